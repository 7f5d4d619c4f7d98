#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-way latch: `signal()` once, `wait` until signalled or a timeout. Built on a pthread
/// mutex and condition variable so the kit needs neither Foundation nor Dispatch, and so waiting
/// blocks the calling (plugin pool) thread rather than a Swift concurrency thread.
final class Latch: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var signalled = false

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    var isSignalled: Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return signalled
    }

    func signal() {
        pthread_mutex_lock(mutex)
        signalled = true
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Waits up to `milliseconds`; true if signalled.
    func wait(milliseconds: Int) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if signalled { return true }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let nanos = Int(now.tv_nsec) + (milliseconds % 1000) * 1_000_000
        var deadline = timespec()
        deadline.tv_sec = now.tv_sec + time_t(milliseconds / 1000 + nanos / 1_000_000_000)
        deadline.tv_nsec = .init(nanos % 1_000_000_000)
        while !signalled {
            if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT { break }
        }
        return signalled
    }

    /// Waits until signalled.
    func wait() {
        pthread_mutex_lock(mutex)
        while !signalled { pthread_cond_wait(condition, mutex) }
        pthread_mutex_unlock(mutex)
    }
}

/// A joinable OS thread running a closure.
struct OSThread: @unchecked Sendable {
    let handle: pthread_t

    private final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    /// Starts a thread, or returns nil if the system refuses one.
    static func start(_ body: @escaping @Sendable () -> Void) -> OSThread? {
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        #if canImport(Darwin)
        var handle: pthread_t?
        let rc = pthread_create(&handle, nil, { raw in
            Unmanaged<Box>.fromOpaque(raw).takeRetainedValue().body()
            return nil
        }, context)
        guard rc == 0, let handle else {
            Unmanaged<Box>.fromOpaque(context).release()
            return nil
        }
        return OSThread(handle: handle)
        #else
        var handle = pthread_t()
        let rc = pthread_create(&handle, nil, { raw in
            Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(context).release()
            return nil
        }
        return OSThread(handle: handle)
        #endif
    }

    func join() { pthread_join(handle, nil) }

    static func isCurrent(_ thread: OSThread) -> Bool { pthread_equal(pthread_self(), thread.handle) != 0 }
}

/// Sleeps the calling thread.
func sleepMilliseconds(_ milliseconds: Int) {
    guard milliseconds > 0 else { return }
    var request = timespec(tv_sec: time_t(milliseconds / 1000), tv_nsec: .init((milliseconds % 1000) * 1_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}

/// Work the plugin runs every `interval` on its own thread (see `PluginInstance.every`). Stops
/// when cancelled or when the plugin shuts down; shutdown waits for a run in progress to end.
public final class RepeatingTask: Sendable {
    let stop = Latch()
    let thread = MutexBox<OSThread?>(nil)

    init() {}

    /// Stops the task after any run in progress.
    public func cancel() { stop.signal() }

    /// Whether `cancel()` was called or the plugin shut down.
    public var isCancelled: Bool { stop.isSignalled }

    func cancelAndJoin() {
        stop.signal()
        if let thread = thread.value, !OSThread.isCurrent(thread) { thread.join() }
    }
}

/// A value behind a pthread mutex.
final class MutexBox<Value>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var storage: Value

    init(_ value: Value) {
        storage = value
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<R, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&storage)
    }

    var value: Value {
        get { withLock { $0 } }
        set { withLock { $0 = newValue } }
    }
}
