import Dispatch
import Synchronization

/// Counts calls in flight and tells waiters when the count reaches zero: how a retired plugin
/// instance is drained before its shutdown (docs/RELOAD.md). No polling: the last `leave` runs
/// the waiters; a deadline is a scheduled check, not a sleep.
public final class InFlightCounter: Sendable {
    /// On every call's path: an atomic, no lock.
    private let calls = Atomic<Int>(0)
    /// Only touched when someone waits for idleness.
    private let waiters = Mutex<[@Sendable () -> Void]>([])

    public init() {}

    public var count: Int { calls.load(ordering: .sequentiallyConsistent) }

    public func enter() {
        calls.wrappingAdd(1, ordering: .sequentiallyConsistent)
    }

    public func leave() {
        let now = calls.wrappingSubtract(1, ordering: .sequentiallyConsistent).newValue
        guard now == 0 else { return }
        let ready = waiters.withLock { list -> [@Sendable () -> Void] in
            defer { list = [] }
            return list
        }
        for waiter in ready { waiter() }
    }

    /// Calls `body(true)` once the count is zero (now, if it is), or `body(false)` after
    /// `deadline` seconds if it never got there — exactly once either way.
    public func whenIdle(deadline: Double, queue: DispatchQueue = .global(), _ body: @escaping @Sendable (Bool) -> Void) {
        let once = OnceFlag()
        let fire: @Sendable (Bool) -> Void = { drained in
            if once.claim() { body(drained) }
        }
        waiters.withLock { $0.append { fire(true) } }
        // Checked after registering: a `leave` to zero either ran the waiter or happened before
        // this check (then the count is zero here).
        if count == 0 {
            fire(true)
            return
        }
        queue.asyncAfter(deadline: .now() + deadline) { fire(false) }
    }
}

/// True for the first caller of `claim`, false for every later one.
final class OnceFlag: Sendable {
    private let done = Mutex(false)

    init() {}

    func claim() -> Bool {
        done.withLock { done in
            if done { return false }
            done = true
            return true
        }
    }
}
