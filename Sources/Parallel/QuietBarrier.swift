import Foundation
import CMPI
import _CShims

extension Communicator {
    /// A barrier that waits without spinning: a non-blocking barrier tested
    /// every millisecond, the rank sleeping in between. Ranks that finished
    /// their share of independent work (a sweep's groups) wait here without
    /// taking a core from ranks still working, which matters when ranks
    /// outnumber cores. Collective, like `barrier`.
    public func quietBarrier() {
        var request: MPI_Request? = nil
        MPI_Ibarrier(handle, &request)
        var done: Int32 = 0
        while true {
            MPI_Test(&request, &done, nil)
            if done != 0 { return }
            usleep(1000)
        }
    }
}
