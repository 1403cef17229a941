/// What the user chooses about a fit. The defaults here are the only ones:
/// `mtp train` and `mtp sweep` declare these options once
/// (`TrainingArguments`) and take their defaults from this type.
public struct TrainingOptions: Codable, Equatable, Sendable {
    public var loss = LossSettings()
    public var maxIterations = 100
    /// Stop when an accepted step lowers the loss by less than this fraction.
    public var tolerance = 1e-8
    /// Ridge penalty ridge * |xi|^2 on the species and moment coefficients.
    public var ridge = 0.0
    /// The registered optimizer's name (`Optimizers`).
    public var optimizer = LevenbergMarquardt.name
    /// How the loss weights are chosen: a rule (`WeightRule`, balanced by
    /// default) and any weights given explicitly, which win. `Fit` resolves
    /// it on the whole training set into `loss`'s three weights
    /// (`DefaultWeights`), so the weights in `loss` are overwritten.
    /// Nil: `loss`'s weights are used as they stand (library callers that set
    /// them, and checkpoints and sweep records written before the rule).
    public var weights: WeightRequest? = WeightRequest()
    /// Levenberg-Marquardt's geodesic acceleration (`GeodesicAcceleration`);
    /// nil: `LevenbergMarquardt.defaultGeodesicAcceleration`.
    public var geodesicAcceleration: Bool? = nil
    public init() {}

    /// Whether a checkpoint made under `other` continues a fit under these
    /// options: every setting the same except the iteration limit, which a
    /// resumed run may raise (a fit that stopped at its limit goes on to the
    /// new one, damping and curvature memory intact) or lower.
    public func continues(_ other: TrainingOptions) -> Bool {
        var same = other
        same.maxIterations = maxIterations
        return same == self
    }

    /// With `loss` given and `weights` nil (the default here), the fit
    /// uses `loss`'s weights as they are.
    public init(loss: LossSettings, maxIterations: Int, tolerance: Double, ridge: Double,
                optimizer: String = LevenbergMarquardt.name, weights: WeightRequest? = nil) {
        self.loss = loss
        self.maxIterations = maxIterations
        self.tolerance = tolerance
        self.ridge = ridge
        self.optimizer = optimizer
        self.weights = weights
    }
}
