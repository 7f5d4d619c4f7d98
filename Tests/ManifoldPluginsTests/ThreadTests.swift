import Dispatch
import Synchronization
import Testing
@testable import ManifoldPlugins

#if canImport(Glibc)
import Glibc
#endif

/// WorkerPool (dedicated threads) and SerialLane (one job at a time, in order).
@Suite struct ThreadTests {
    @Test func syncRunsTheBodyOnAPoolThreadAndReturnsItsValue() {
        let pool = WorkerPool(name: "test.sync", threads: 2)
        defer { pool.shutdown() }
        let caller = pthread_self()
        let (value, thread) = pool.sync { (41 + 1, pthread_self()) }
        #expect(value == 42)
        #expect(pthread_equal(thread, caller) == 0)
    }

    @Test func syncCanReturnNil() {
        let pool = WorkerPool(name: "test.nil", threads: 1)
        defer { pool.shutdown() }
        let value: Int? = pool.sync { nil }
        #expect(value == nil)
    }

    @Test func singleThreadPoolRunsJobsInSubmissionOrderEvenPastItsInitialCapacity() {
        let pool = WorkerPool(name: "test.order", threads: 1)
        let gate = DispatchSemaphore(value: 0)
        let order = Locked<[Int]>([])
        // Hold the only thread so that the queue must grow well beyond its 256 slots.
        pool.submit { gate.wait() }
        for i in 0..<1_000 { pool.submit { order.withLock { $0.append(i) } } }
        gate.signal()
        pool.shutdown()
        #expect(order.value == Array(0..<1_000))
    }

    @Test func shutdownLetsQueuedJobsFinish() {
        let pool = WorkerPool(name: "test.drain", threads: 3)
        let ran = Locked(0)
        for _ in 0..<500 { pool.submit { ran.withLock { $0 += 1 } } }
        pool.shutdown()
        #expect(ran.value == 500)
    }

    @Test func poolRunsJobsInParallel() {
        // Two jobs that each wait for the other can only both finish on two threads at once.
        let pool = WorkerPool(name: "test.parallel", threads: 2)
        let a = DispatchSemaphore(value: 0)
        let b = DispatchSemaphore(value: 0)
        let finished = Locked(0)
        pool.submit { a.signal(); b.wait(); finished.withLock { $0 += 1 } }
        pool.submit { b.signal(); a.wait(); finished.withLock { $0 += 1 } }
        pool.shutdown()
        #expect(finished.value == 2)
    }

    @Test(.timeLimit(.minutes(1)))
    func serialLaneRunsJobsInOrderOneAtATime() async {
        let pool = WorkerPool(name: "test.lane", threads: 4)
        defer { pool.shutdown() }
        let lane = SerialLane(pool: pool)
        let count = 2_000
        let order = Locked<[Int]>([])
        let running = Locked(0)
        let overlaps = Locked(0)
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            // Submitted from several threads at once; each submitter's jobs must stay in order.
            DispatchQueue.concurrentPerform(iterations: 4) { submitter in
                for k in 0..<(count / 4) {
                    let job = submitter * 10_000 + k
                    lane.submit {
                        let alongside = running.withLock { n -> Int in
                            n += 1
                            return n
                        }
                        if alongside > 1 { overlaps.withLock { $0 += 1 } }
                        let total = order.withLock { list -> Int in
                            list.append(job)
                            return list.count
                        }
                        running.withLock { $0 -= 1 }
                        if total == count { done.resume() }
                    }
                }
            }
        }
        let ran = order.value
        #expect(ran.count == count)
        #expect(overlaps.value == 0)
        for submitter in 0..<4 {
            let mine = ran.filter { $0 / 10_000 == submitter }
            #expect(mine == Array(submitter * 10_000..<(submitter * 10_000 + count / 4)))
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func laneStartsAgainAfterGoingIdle() async {
        let pool = WorkerPool(name: "test.idle", threads: 2)
        defer { pool.shutdown() }
        let lane = SerialLane(pool: pool)
        for round in 0..<3 {
            let value = await withCheckedContinuation { (c: CheckedContinuation<Int, Never>) in
                lane.submit { c.resume(returning: round) }
            }
            #expect(value == round)
        }
    }
}
