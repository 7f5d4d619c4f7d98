import Foundation
import Glibc
import ManifoldIO
import Testing

/// `SpawnedProcess` starts real children (`/bin/sh`) and checks, from the child's own
/// `/proc/self`, what a host's child must not inherit.
@Suite struct SpawnedProcessTests {
    /// Runs a shell command with stdout piped to us; returns its output and how it ended.
    private func shell(_ script: String, environment: [String: String] = ["PATH": "/usr/bin:/bin"],
                       workingDirectory: String? = nil) throws -> (String, SpawnedProcess.Termination) {
        let child = try SpawnedProcess.spawn("sh", arguments: ["-c", script], environment: environment,
                                             workingDirectory: workingDirectory, stdin: .null, stdout: .pipe, stderr: .null)
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(child.output!, &buffer, buffer.count)
            if n <= 0 { break }
            output += buffer[0..<n]
        }
        close(child.output!)
        return (String(decoding: output, as: UTF8.self), child.wait())
    }

    @Test func theChildHasDefaultSignalsNoMaskAndNoInheritedDescriptors() throws {
        // What a host does to itself: SIGPIPE ignored, signals blocked on this thread, and
        // descriptors open without close-on-exec.
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous) }
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGTERM)
        sigaddset(&blocked, SIGXCPU)
        var saved = sigset_t()
        pthread_sigmask(SIG_BLOCK, &blocked, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        let leaked = (0..<4).map { _ in open("/dev/null", O_RDONLY) }
        defer { for fd in leaked { close(fd) } }
        #expect(leaked.allSatisfy { $0 > 2 })

        let (output, end) = try shell("grep -E '^(SigIgn|SigBlk):' /proc/self/status; ls /proc/self/fd")
        #expect(end == .exited(0))
        let lines = output.split(separator: "\n").map(String.init)
        func mask(_ name: String) -> UInt64? {
            lines.first { $0.hasPrefix(name + ":\t") }.flatMap { UInt64($0.dropFirst(name.count + 2), radix: 16) }
        }
        // Signals 1–31 (SIGPIPE is bit 12). glibc keeps its own two (32, 33) out of reach of
        // posix_spawn; the test runner may ignore them.
        #expect(mask("SigIgn").map { $0 & 0x7FFF_FFFF } == 0, "\(lines)")
        #expect(mask("SigBlk").map { $0 & 0x7FFF_FFFF } == 0, "\(lines)")
        // 0, 1, 2 and the descriptor `ls` opened to read the folder: none of the host's.
        let descriptors = Set(lines.compactMap { Int32($0) })
        #expect(descriptors.isSubset(of: [0, 1, 2, 3]), "\(descriptors)")
        #expect(descriptors.isDisjoint(with: leaked.filter { $0 > 3 }))
    }

    @Test func theChildLeadsItsOwnProcessGroup() throws {
        let child = try SpawnedProcess.spawn("/bin/sh", arguments: ["-c", "read line || exit 0"], environment: [:],
                                             stdin: .pipe, stdout: .null, stderr: .null)
        #expect(getpgid(child.pid) == child.pid)
        #expect(getpgid(child.pid) != getpgrp())
        close(child.input!)
        #expect(child.wait() == .exited(0))
    }

    @Test func exitsAndSignalsAreReported() throws {
        #expect(try shell("exit 3").1 == .exited(3))
        #expect(try shell("kill -SEGV $$").1 == .signaled(SIGSEGV))
        let sleeper = try SpawnedProcess.spawn("sleep", arguments: ["30"], environment: ["PATH": "/usr/bin:/bin"],
                                               stdin: .null, stdout: .null, stderr: .null)
        #expect(!sleeper.hasEnded)
        #expect(sleeper.tryWait() == nil)
        sleeper.signal(SIGTERM)
        #expect(sleeper.wait() == .signaled(SIGTERM))
        #expect(sleeper.hasEnded)
        sleeper.signal(SIGKILL)  // reaped: nothing is sent, nothing breaks
        #expect(sleeper.wait() == .signaled(SIGTERM))
        #expect(sleeper.tryWait() == .signaled(SIGTERM))
        // tryWait reaps without blocking; wait then answers the same.
        let quick = try SpawnedProcess.spawn("/bin/sh", arguments: ["-c", "exit 7"], environment: [:],
                                             stdin: .null, stdout: .null, stderr: .null)
        let deadline = Date().addingTimeInterval(10)
        var seen: SpawnedProcess.Termination?
        while seen == nil && Date() < deadline {
            seen = quick.tryWait()
            if seen == nil { usleep(1000) }
        }
        #expect(seen == .exited(7))
        #expect(quick.wait() == .exited(7))
    }

    @Test func environmentAndWorkingDirectoryAreExactlyTheGivenOnes() throws {
        let (output, end) = try shell("echo \"$MANIFOLD_SPAWN_TEST|$HOME|$(pwd)\"",
                                      environment: ["PATH": "/usr/bin:/bin", "MANIFOLD_SPAWN_TEST": "x y"],
                                      workingDirectory: "/tmp")
        #expect(end == .exited(0))
        #expect(output == "x y||/tmp\n")
    }

    @Test func aMissingProgramIsNamed() {
        do {
            _ = try SpawnedProcess.spawn("manifold-no-such-program", arguments: [], environment: ["PATH": "/usr/bin:/bin"],
                                         stdin: .null, stdout: .null)
            Issue.record("a missing program was started")
        } catch {
            #expect(error.description == "'manifold-no-such-program' was not found on PATH")
        }
        do {
            _ = try SpawnedProcess.spawn("/nonexistent/server", arguments: [], environment: [:], stdin: .null, stdout: .null)
            Issue.record("a missing program was started")
        } catch {
            #expect(error.description == "'/nonexistent/server': No such file or directory")
        }
    }
}
