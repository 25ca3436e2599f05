import CollapseExport
import Dispatch
import Foundation
import XCTest

/// `ThreadBudget`: cells in flight share `limit` threads; a phase's helpers take only free
/// shares, and a share given back goes to a phase that still has work.
final class ThreadBudgetTests: XCTestCase {
    /// Claims items in turn and counts how many threads compute at once.
    final class Work: @unchecked Sendable {
        let lock = NSLock()
        let items: Int
        var next = 0, running = 0, peak = 0
        var done: [Int]
        init(items: Int) { self.items = items; done = Array(repeating: 0, count: items) }
        func claim() -> Int? {
            lock.withLock {
                guard next < items else { return nil }
                next += 1
                return next - 1
            }
        }
        var hasWork: Bool { lock.withLock { next < items } }
        func enter() {
            lock.withLock {
                running += 1; peak = max(peak, running)
            }
        }
        func leave(_ item: Int) {
            lock.withLock {
                running -= 1; done[item] += 1
            }
        }
    }

    /// A little arithmetic (tens of microseconds), so that threads overlap; the result is
    /// checked, so the loop cannot be optimised away.
    static func spin(_ n: Int) -> Double {
        var x = 1.0
        for i in 0..<n { x = (x * 1.000_000_1 + Double(i & 7)).truncatingRemainder(dividingBy: 1e6) }
        return x
    }

    func testEveryItemRunsOnceAndNoMoreThanLimitThreadsCompute() {
        let budget = ThreadBudget(threads: 3)
        // Six drivers (cells in flight), each with a phase of up to 3 workers over its own items,
        // and a serial part before and after it that also counts as computing.
        let cells = (0..<12).map { _ in Work(items: 40) }
        let all = Work(items: 0)  // counts every computing thread, drivers and helpers
        let next = Work(items: cells.count)
        DispatchQueue.concurrentPerform(iterations: 6) { _ in
            while let c = next.claim() {
                budget.acquire()
                all.enter(); XCTAssertTrue(Self.spin(100_000).isFinite); all.lock.withLock { all.running -= 1 }
                let work = cells[c]
                let hasWork: @Sendable () -> Bool = { work.hasWork }
                budget.parallel(workers: 3, hasWork: hasWork) { _ in
                    while let item = work.claim() {
                        all.enter(); work.enter()
                        XCTAssertTrue(Self.spin(20_000).isFinite)
                        work.leave(item); all.lock.withLock { all.running -= 1 }
                    }
                }
                all.enter(); XCTAssertTrue(Self.spin(100_000).isFinite); all.lock.withLock { all.running -= 1 }
                budget.release()
            }
        }
        for (c, work) in cells.enumerated() { XCTAssertEqual(work.done, Array(repeating: 1, count: 40), "cell \(c)") }
        XCTAssertLessThanOrEqual(all.peak, 3, "never more computing threads than the budget")
        XCTAssertLessThanOrEqual(budget.peakHeld, 3)
        XCTAssertGreaterThanOrEqual(all.peak, 2, "cells did overlap")
    }

    /// A phase opened while every share is held gets a helper as soon as a share is given back.
    func testAShareGivenBackGoesToAPhaseWithWorkLeft() {
        let budget = ThreadBudget(threads: 2)
        let opened = DispatchSemaphore(value: 0), helped = DispatchSemaphore(value: 0)
        let work = Work(items: 1000)
        let workers = Work(items: 0)
        let group = DispatchGroup()
        budget.acquire()  // the other cell's driver holds the second share
        group.enter()
        Thread {
            budget.acquire()
            let hasWork: @Sendable () -> Bool = { work.hasWork }
            budget.parallel(workers: 2, hasWork: hasWork) { worker in
                if worker == 0 {
                    opened.signal()
                    // Worker 0 waits (at most 10 s) until a helper has taken an item.
                    if helped.wait(timeout: .now() + 10) == .success { workers.lock.withLock { workers.peak = 1 } }
                } else {
                    workers.lock.withLock { workers.next += 1 }
                    helped.signal()
                }
                while let item = work.claim() { work.enter(); work.leave(item) }
            }
            budget.release()
            group.leave()
        }.start()
        XCTAssertEqual(opened.wait(timeout: .now() + 10), .success)
        budget.release()  // the other cell finishes: its share must start worker 1
        XCTAssertEqual(group.wait(timeout: .now() + 20), .success)
        XCTAssertEqual(workers.peak, 1, "the released share started a helper for the open phase")
        XCTAssertEqual(workers.next, 1, "one helper")
        XCTAssertEqual(work.done, Array(repeating: 1, count: 1000))
    }

    /// No helper starts for a phase without work, and one worker runs on the calling thread.
    func testOneWorkerOrNoWorkStartsNoHelper() {
        let budget = ThreadBudget(threads: 4)
        budget.acquire()
        let started = Work(items: 0)
        let none: @Sendable () -> Bool = { false }, some: @Sendable () -> Bool = { true }
        budget.parallel(workers: 4, hasWork: none) { _ in started.lock.withLock { started.next += 1 } }
        XCTAssertEqual(started.next, 1, "only the calling thread ran")
        budget.parallel(workers: 1, hasWork: some) { worker in XCTAssertEqual(worker, 0) }
        budget.release()
        XCTAssertEqual(budget.peakHeld, 1)
    }
    /// `parallel` returns only after every helper it was handed has returned: a share handed to
    /// the phase just as its caller finishes the last block must not start a worker after the
    /// caller has returned (the helper was once counted in the phase's group only when its
    /// thread started, after the budget's lock was given up). A race, so many short phases are
    /// run; no worker may see its phase returned.
    func testNoWorkerRunsAfterItsPhaseReturned() {
        final class Phase: @unchecked Sendable {
            let lock = NSLock()
            var next = 0, returned = false
        }
        let budget = ThreadBudget(threads: 3)
        let late = Work(items: 0), rounds = Work(items: 300_000)
        DispatchQueue.concurrentPerform(iterations: 3) { _ in
            while rounds.claim() != nil {
                budget.acquire()
                let phase = Phase()
                let hasWork: @Sendable () -> Bool = { phase.lock.withLock { phase.next < 2 } }
                budget.parallel(workers: 3, hasWork: hasWork) { _ in
                    if phase.lock.withLock({ phase.returned }) { late.lock.withLock { late.next += 1 } }
                    while phase.lock.withLock({ () -> Bool in
                        guard phase.next < 2 else { return false }
                        phase.next += 1
                        return true
                    }) { XCTAssertTrue(Self.spin(200).isFinite) }
                }
                phase.lock.withLock { phase.returned = true }
                budget.release()
            }
        }
        // A worker started late would still run now, holding a share: wait for the budget to be whole.
        for _ in 0..<3 { budget.acquire() }
        XCTAssertEqual(late.lock.withLock { late.next }, 0, "workers that ran after their phase had returned")
    }
}
