import COpenBLAS

/// OpenBLAS runs on one thread in this program. Its thread count is global
/// state, so it is set once, the first time any caller asks, instead of on
/// every call: the products here are small (threads would cost more than
/// they save), under MPI every core already runs a rank, and results must
/// not depend on how many CPUs mpirun binds a rank to, since OpenBLAS splits
/// work, and so the order of its sums, by its thread count.
public enum BLASThreads {
    /// Runs once, thread-safely (a lazily initialised global).
    private static let singleThreaded: Void = openblas_set_num_threads(1)

    /// Makes sure OpenBLAS runs on one thread; call before any BLAS or
    /// LAPACK work whose result must not depend on the launch.
    public static func useOne() {
        _ = singleThreaded
    }
}
