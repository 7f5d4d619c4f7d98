import Synchronization

/// Runs jobs one at a time, in order, on a shared `WorkerPool` — for plugins that did not
/// declare concurrent calls. Idle lanes hold no thread.
public final class SerialLane: Sendable {
    private let pool: WorkerPool
    private struct State {
        var queue: [WorkerPool.Job] = []
        var head = 0
        var running = false
    }
    private let state = Mutex(State())

    public init(pool: WorkerPool) { self.pool = pool }

    public func submit(_ job: @escaping WorkerPool.Job) {
        let start = state.withLock { s -> Bool in
            s.queue.append(job)
            if s.running { return false }
            s.running = true
            return true
        }
        if start { pool.submit { self.drain() } }
    }

    private func drain() {
        while true {
            let next: WorkerPool.Job? = state.withLock { s in
                guard s.head < s.queue.count else {
                    s.queue.removeAll(keepingCapacity: true)
                    s.head = 0
                    s.running = false
                    return nil
                }
                let job = s.queue[s.head]
                s.head += 1
                return job
            }
            guard let next else { return }
            next()
        }
    }
}
