#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the HTTP section's processes run (`suite --pin`): servers on CPU 0, the load generator
/// on the others, each started under `taskset`. On a small machine an unpinned wrk takes turns
/// with the server's event loops on the same cores, and every tail latency then includes a
/// scheduler time slice; pinned, each side has its own cores.
enum CPUPinning: Equatable, CustomStringConvertible {
    case none
    /// Servers on CPU 0; clients on CPUs 1 through `clientCPUs`.
    case split(clientCPUs: Int)

    /// Servers on CPU 0, clients on every other online CPU (at least two CPUs, and `taskset`).
    static func split() throws -> CPUPinning {
        let cpus = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        guard cpus >= 2 else { throw BenchFailure("--pin needs at least two CPUs (this machine has \(cpus))") }
        guard access("/usr/bin/taskset", X_OK) == 0 || access("/bin/taskset", X_OK) == 0 else {
            throw BenchFailure("--pin needs taskset (util-linux)")
        }
        return .split(clientCPUs: cpus - 1)
    }

    var clientCPUs: Int {
        if case .split(let n) = self { return n }
        return 0
    }

    /// A server's command line, pinned.
    func server(_ argv: [String]) -> [String] {
        guard case .split = self else { return argv }
        return ["taskset", "-c", "0"] + argv
    }

    /// The load generator's command line, pinned.
    func client(_ argv: [String]) -> [String] {
        guard case .split(let n) = self else { return argv }
        return ["taskset", "-c", n == 1 ? "1" : "1-\(n)"] + argv
    }

    var description: String {
        switch self {
        case .none:
            return ""
        case .split(let n):
            return "Pinned (`--pin`): every server runs on CPU 0 (one event loop: Manifold counts the CPUs it may run on, "
                + "the ceiling gets `--threads 1`), wrk on CPU\(n == 1 ? " 1" : "s 1–\(n)") with \(n) thread\(n == 1 ? "" : "s"). "
                + "The sequential client is the benchmark process itself (unpinned).\n"
        }
    }
}
