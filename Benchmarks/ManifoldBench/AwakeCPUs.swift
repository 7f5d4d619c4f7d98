/// Keeps every CPU busy with a lowest-priority spinner while the suite runs (`suite --awake`).
///
/// In a virtual machine an idle vCPU halts, and waking it for the next message costs the
/// hypervisor's wake-up path — tens of microseconds, more than a whole Manifold round trip. On
/// this box the pipe floor's sequential p50 was 6.9 µs while other work kept the cores busy and
/// 80 µs on the idle machine. A `nice 19` spinner per CPU keeps the vCPUs running; the measured
/// processes preempt it at once (it has about 1.5 % of a normal process's share), so latencies
/// are the software's again. Throughput figures lose at most that share, on both sides of a ratio.
final class AwakeCPUs {
    private let spinners: [ChildProcess]

    init(cpus: Int, logPath: String) throws {
        spinners = try (0..<cpus).map { index in
            try ChildProcess.spawn(["nice", "-n", "19", "sh", "-c", "while :; do :; done"], label: "spinner \(index)",
                                   pipes: false, logPath: logPath)
        }
    }

    func stop() {
        for spinner in spinners { spinner.stop(grace: 0) }
    }
}
