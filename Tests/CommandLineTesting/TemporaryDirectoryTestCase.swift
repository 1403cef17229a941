import XCTest
import Foundation

/// A test case with its own scratch directory: the one place that makes and
/// removes the temporary directories of the tests, instead of every class
/// repeating the same setUp and tearDown. Each test gets a fresh, empty
/// directory (named after its class, with a UUID) under the system's
/// temporary directory, and it is removed in tearDown, which XCTest runs
/// even when the test fails or throws. Subclasses that override setUp or
/// tearDown call super.
open class TemporaryDirectoryTestCase: XCTestCase {
    /// This test's scratch directory, as a path.
    public private(set) var tmp: String!
    /// The same directory as a file URL.
    public private(set) var tmpURL: URL!

    open override func setUpWithError() throws {
        try super.setUpWithError()
        tmpURL = FileManager.default.temporaryDirectory.appendingPathComponent("\(type(of: self))-\(UUID().uuidString)")
        tmp = tmpURL.path
        try FileManager.default.createDirectory(at: tmpURL, withIntermediateDirectories: true)
    }

    open override func tearDownWithError() throws {
        if let tmpURL { try? FileManager.default.removeItem(at: tmpURL) }
        try super.tearDownWithError()
    }
}
