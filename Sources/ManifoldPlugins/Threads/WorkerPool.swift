#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fixed set of dedicated threads that run plugin code (DESIGN.md §2): never Swift's
/// cooperative pool and never the endpoints' I/O threads, because a plugin may block.
/// Jobs run in submission order, on whichever thread is free.
public final class WorkerPool: @unchecked Sendable {
    public typealias Job = @Sendable () -> Void

    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    // Protected by `mutex`: a ring buffer of jobs.
    private var jobs: [Job?]
    private var head = 0
    private var count = 0
    private var stopping = false
    private var workers: [pthread_t] = []
    public let name: String

    public init(name: String, threads: Int) {
        self.name = name
        self.jobs = Array(repeating: nil, count: 256)
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        for i in 0..<max(1, threads) {
            let box = Unmanaged.passRetained(self)
            var thread = pthread_t()
            let rc = pthread_create(&thread, nil, { arg in
                let pool = Unmanaged<WorkerPool>.fromOpaque(arg!).takeRetainedValue()
                pool.run()
                return nil
            }, box.toOpaque())
            precondition(rc == 0, "cannot start worker thread \(i) of \(name)")
            workers.append(thread)
        }
    }

    /// Queues a job. Never blocks on the job itself.
    public func submit(_ job: @escaping Job) {
        pthread_mutex_lock(&mutex)
        if count == jobs.count {
            // Grow the ring, keeping order.
            var grown: [Job?] = Array(repeating: nil, count: jobs.count * 2)
            for i in 0..<count { grown[i] = jobs[(head + i) % jobs.count] }
            jobs = grown
            head = 0
        }
        jobs[(head + count) % jobs.count] = job
        count += 1
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
    }

    private func run() {
        while true {
            pthread_mutex_lock(&mutex)
            while count == 0 && !stopping { pthread_cond_wait(&condition, &mutex) }
            if count == 0 && stopping {
                pthread_mutex_unlock(&mutex)
                return
            }
            let job = jobs[head]!
            jobs[head] = nil
            head = (head + 1) % jobs.count
            count -= 1
            pthread_mutex_unlock(&mutex)
            job()
        }
    }

    /// Runs `body` on a pool thread and waits for its result (control-thread calls).
    public func sync<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let box = ResultBox<T>()
        submit {
            box.set(body())
        }
        return box.wait()
    }

    /// Lets queued jobs finish, then stops the threads.
    public func shutdown() {
        pthread_mutex_lock(&mutex)
        stopping = true
        pthread_cond_broadcast(&condition)
        pthread_mutex_unlock(&mutex)
        for thread in workers { pthread_join(thread, nil) }
        workers = []
    }
}

/// A one-shot value handed from one thread to another.
final class ResultBox<T: Sendable>: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var value: T?

    init() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
    }

    func set(_ newValue: T) {
        pthread_mutex_lock(&mutex)
        value = newValue
        pthread_cond_broadcast(&condition)
        pthread_mutex_unlock(&mutex)
    }

    func wait() -> T {
        pthread_mutex_lock(&mutex)
        while value == nil { pthread_cond_wait(&condition, &mutex) }
        let result = value!
        pthread_mutex_unlock(&mutex)
        return result
    }
}
