import Dispatch
import Foundation

/// A fixed number of threads shared by grid cells that run at the same time.
///
/// A cell's replicates are split into fixed blocks that workers claim one at a time; with the
/// cells run one after another, a cell with fewer blocks than threads (100 replicates are 7
/// blocks: a Collapse-or-Thrive grid on 16 threads) or with a tail (the last blocks of a cell,
/// its serial summary) leaves threads idle. With a budget, several cells are in flight: each is
/// driven by a thread that holds one of the budget's `limit` threads while it works, and a
/// cell's parallel phase (`parallel`) takes helpers only from threads that are free, and is
/// handed every thread another cell gives back while it still has blocks to claim (the oldest
/// such phase first). So no more than `limit` threads compute at any moment, and none is idle
/// while any in-flight cell has a block left.
///
/// Results cannot depend on it: the workers only choose which block they run next, and each
/// block's values and their merge order are fixed by the block's index.
///
/// Deadlock freedom: a thread waits for the budget only while holding none of it (a driver
/// between cells or after giving its thread back at the end of a phase, a helper before it
/// starts); every holder computes a block or a cell's serial part and gives its thread back.
public final class ThreadBudget: @unchecked Sendable {
    /// The most threads that compute at once.
    public let limit: Int
    private let condition = NSCondition()
    private var free: Int
    private var phases: [Phase] = []
    /// The most threads that held the budget at once (for tests).
    public private(set) var peakHeld = 0

    /// A parallel phase; its `started` is read and written only under the budget's lock.
    final class Phase: @unchecked Sendable {
        let workers: Int
        let hasWork: @Sendable () -> Bool
        let body: @Sendable (Int) -> Void
        var started = 1  // worker 0 is the calling thread
        let group = DispatchGroup()
        init(workers: Int, hasWork: @escaping @Sendable () -> Bool, body: @escaping @Sendable (Int) -> Void) {
            self.workers = workers; self.hasWork = hasWork; self.body = body
        }
        /// Whether one more helper would find work: fewer than `workers` started and blocks left.
        var wantsHelper: Bool { started < workers && hasWork() }
        /// Under the budget's lock: the next helper's worker index, counted in `group` at once, so
        /// that the phase's caller, which removes the phase under the same lock and then waits for
        /// `group`, also waits for a helper chosen just before that but not yet started.
        func claimHelper() -> Int {
            group.enter()
            started += 1
            return started - 1
        }
    }

    public init(threads: Int) {
        precondition(threads >= 1, "ThreadBudget: threads must be ≥ 1, got \(threads)")
        limit = threads
        free = threads
    }

    /// Takes one thread of the budget for the calling thread, waiting while none is free.
    public func acquire() {
        condition.lock()
        while free == 0 { condition.wait() }
        free -= 1
        peakHeld = max(peakHeld, limit - free)
        condition.unlock()
    }

    /// Gives the calling thread's share back: to a helper of the oldest open phase that still
    /// has blocks, else to the budget (waking a waiting driver).
    public func release() {
        condition.lock()
        if let (phase, worker) = nextHelper() {
            condition.unlock()
            start(phase, worker: worker)
            return
        }
        free += 1
        condition.signal()
        condition.unlock()
    }

    /// Runs `body(worker)` for worker 0 on the calling thread, which must hold a share of the
    /// budget, and for workers 1..<`workers` on helper threads, each started when a share is
    /// free and `hasWork()` still says a block is left (so fewer may run). `body` must claim
    /// its work dynamically (any worker may do any part, or none). Returns when every started
    /// worker has returned, with the calling thread holding a share again.
    public func parallel(workers: Int, hasWork: @escaping @Sendable () -> Bool, body: @escaping @Sendable (Int) -> Void) {
        precondition(workers >= 1, "ThreadBudget.parallel: workers must be ≥ 1")
        if workers == 1 {
            body(0)
            return
        }
        let phase = Phase(workers: workers, hasWork: hasWork, body: body)
        var helpers: [Int] = []
        condition.lock()
        phases.append(phase)
        while free > 0 && phase.wantsHelper {
            free -= 1
            helpers.append(phase.claimHelper())
        }
        peakHeld = max(peakHeld, limit - free)
        condition.unlock()
        for worker in helpers { start(phase, worker: worker) }
        body(0)
        // The phase's work is claimed: no helper may join it now; this thread's share goes to
        // another phase or back to the budget while the helpers finish their last blocks.
        condition.lock()
        phases.removeAll { $0 === phase }
        condition.unlock()
        release()
        phase.group.wait()
        acquire()
    }

    /// Under the lock: the oldest phase that wants a helper, and the helper's worker index.
    private func nextHelper() -> (Phase, Int)? {
        for phase in phases where phase.wantsHelper { return (phase, phase.claimHelper()) }
        return nil
    }

    /// Starts a helper that holds a share (handed over by the caller) for `phase`; the helper
    /// was counted in `phase.group` when it was claimed.
    private func start(_ phase: Phase, worker: Int) {
        let thread = Thread { [self] in
            phase.body(worker)
            release()
            phase.group.leave()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }
}

/// Runs a parallel phase on `workers` workers: on the cell's `budget` when it has one (the
/// calling thread holding a share), else with `DispatchQueue.concurrentPerform`. `body(worker)`
/// claims its work dynamically; `hasWork` says whether any is left (a helper that would find
/// none is not started).
public enum ParallelPhase {
    public static func run(
        workers: Int, budget: ThreadBudget?, hasWork: @escaping @Sendable () -> Bool, body: @escaping @Sendable (Int) -> Void
    ) {
        if let budget {
            budget.parallel(workers: workers, hasWork: hasWork, body: body)
        } else {
            DispatchQueue.concurrentPerform(iterations: workers, execute: body)
        }
    }
}
