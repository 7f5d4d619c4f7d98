#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps every CPU out of its sleep states while the suite runs (`suite --awake`).
///
/// In a virtual machine an idle vCPU halts, and waking it for the next message costs the
/// hypervisor's wake-up path — tens of microseconds, more than a whole Manifold round trip. On
/// this box the pipe floor's sequential p50 was 6.9 µs while other work kept the cores busy and
/// 80 µs on the idle machine.
///
/// The first choice is the kernel's PM QoS request that latency benchmarks use: writing 0 to
/// `/dev/cpu_dma_latency` and holding the file open tells cpuidle to use only its polling state,
/// so an idle CPU spins in the kernel's idle loop instead of halting, and takes no time from any
/// process (the pipe floor: 9–14 µs). It needs write access to the device (root). Without it the
/// fallback is a `nice 19` spinner per CPU, which keeps the vCPUs running too but is a process:
/// the measured ones preempt it, yet a woken thread may wait for the spinner's turn to end, and
/// throughput loses up to its ~1.5 % share on both sides of a ratio.
final class AwakeCPUs {
    private enum Method {
        /// The open `/dev/cpu_dma_latency`: the request holds while it is open.
        case latencyRequest(fd: Int32)
        case spinners([ChildProcess])
    }
    private let method: Method

    init(cpus: Int, logPath: String) throws {
        if let fd = Self.requestZeroWakeLatency() {
            method = .latencyRequest(fd: fd)
        } else {
            method = .spinners(try (0..<cpus).map { index in
                try ChildProcess.spawn(["nice", "-n", "19", "sh", "-c", "while :; do :; done"], label: "spinner \(index)",
                                       pipes: false, logPath: logPath)
            })
        }
    }

    /// How the CPUs are kept awake, for the report's header.
    var description: String {
        switch method {
        case .latencyRequest: return "a PM QoS request of 0 µs wake-up latency (`/dev/cpu_dma_latency`): idle CPUs poll instead of halting"
        case .spinners(let spinners): return "one `nice 19` spinner per CPU (\(spinners.count)); `/dev/cpu_dma_latency` was not writable"
        }
    }

    func stop() {
        switch method {
        case .latencyRequest(let fd): close(fd)
        case .spinners(let spinners): for spinner in spinners { spinner.stop(grace: 0) }
        }
    }

    /// Opens `/dev/cpu_dma_latency` and asks for 0 µs; nil when the device is missing or not ours.
    private static func requestZeroWakeLatency() -> Int32? {
        let fd = open("/dev/cpu_dma_latency", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        var microseconds: Int32 = 0
        guard write(fd, &microseconds, MemoryLayout<Int32>.size) == MemoryLayout<Int32>.size else {
            close(fd)
            return nil
        }
        return fd
    }
}
