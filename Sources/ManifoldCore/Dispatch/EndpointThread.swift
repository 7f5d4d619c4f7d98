#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The threads endpoints own — the stdio reader, the HTTP event loops — on which a provider
/// may run work it declared non-blocking inline, instead of handing it to its own threads and
/// back (BENCHMARKS.md: the two hand-offs were most of a call's cost). Endpoints mark their
/// threads themselves, so a thread of Swift's cooperative pool, a test's thread or a plugin
/// worker is never marked and never runs plugin code inline (DESIGN.md §2).
public enum EndpointThread {
    /// A thread-specific slot: non-nil on marked threads. Created once, never deleted.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "cannot create the endpoint-thread key")
        return key
    }()

    /// Marks the calling thread as an endpoint I/O thread for the rest of its life.
    public static func markCurrent() {
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1))
    }

    /// Whether the calling thread was marked by an endpoint.
    @inline(__always)
    public static var isCurrent: Bool { pthread_getspecific(key) != nil }
}
