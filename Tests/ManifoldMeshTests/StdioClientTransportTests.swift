import Foundation
import ManifoldPlugins
import Testing

/// The stdio client transport against real children (`/bin/sh` scripts): what the child
/// inherits from a host that ignores SIGPIPE and blocks signals on its threads, what it reads,
/// and the reasons the transport closes with.
@Suite struct StdioClientTransportTests {
    private typealias Inbox = StreamableHTTPTransportTests.Inbox

    private func start(_ script: String) throws -> (StdioClientTransport, Inbox) {
        let transport = StdioClientTransport(executable: "sh", arguments: ["-c", script])
        return (transport, try StreamableHTTPTransportTests().start(transport))
    }

    @Test func theChildGetsDefaultSignalsAndAnEmptyMask() throws {
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous) }
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGTERM)
        var saved = sigset_t()
        pthread_sigmask(SIG_BLOCK, &blocked, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        // One JSON line with the child's own masks, then it waits for its stdin to close.
        let (transport, inbox) = try start("""
            printf '{"ignored":"%s","blocked":"%s"}\\n' "$(grep '^SigIgn:' /proc/$$/status | cut -f2)" \
              "$(grep '^SigBlk:' /proc/$$/status | cut -f2)"; read line || exit 0
            """)
        defer { transport.close() }
        let messages = inbox.wait(for: 1)
        try #require(messages.count == 1)
        let masks = try JSONSerialization.jsonObject(with: Data(messages[0].0.utf8)) as? [String: String]
        let ignored = UInt64(masks?["ignored"] ?? "", radix: 16)
        let blockedInChild = UInt64(masks?["blocked"] ?? "", radix: 16)
        #expect(ignored.map { $0 & (1 << (UInt64(SIGPIPE) - 1)) } == 0, "SigIgn \(masks ?? [:])")
        #expect(blockedInChild.map { $0 & 0x7FFF_FFFF } == 0, "SigBlk \(masks ?? [:])")
    }

    @Test func linesInLinesOutAndTheExitIsTheReason() throws {
        let (transport, inbox) = try start(#"read line; echo "$line"; read line; exit 3"#)
        transport.send(Array(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#.utf8), requestID: 1)
        #expect(inbox.wait(for: 1).first?.0 == #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
        transport.send(Array("{}".utf8), requestID: nil)
        #expect(inbox.waitClosed() == "'sh' exited with status 3")
    }

    @Test func closeStopsTheChildWithSIGTERM() throws {
        let (transport, inbox) = try start("while :; do read line || exit 0; done")
        #expect(transport.processIdentifier != nil)
        transport.close()
        #expect(inbox.waitClosed() == "'sh' was killed by signal \(SIGTERM) (SIGTERM)")
    }

    @Test func aMissingCommandIsRefusedAtStart() {
        let transport = StdioClientTransport(executable: "manifold-no-such-server", arguments: [])
        #expect(throws: (any Error).self) { _ = try StreamableHTTPTransportTests().start(transport) }
        do {
            _ = try StreamableHTTPTransportTests().start(transport)
        } catch {
            #expect("\(error)" == "'manifold-no-such-server' was not found on PATH")
        }
    }
}
