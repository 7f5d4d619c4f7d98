import ManifoldProtocol
import Synchronization

extension Dispatcher {
    /// JSON-RPC batches: served for sessions that negotiated a version before 2025-06-18,
    /// refused (-32600) otherwise. Responses are collected into one array.
    func handleBatch(_ bytes: [UInt8], session: Session, reply: any ReplySink) {
        guard let version = session.protocolVersion, version.allowsBatches else {
            reply.finish(RPCMessage.error(RPCError(
                code: .invalidRequest,
                message: "Invalid Request: JSON-RPC batches are not supported by protocol version \(session.protocolVersion?.rawValue ?? ProtocolVersion.latest.rawValue)")))
            return
        }
        var elements: [[UInt8]] = []
        let valid = bytes.withUnsafeBytes { buffer -> Bool in
            var scanner = JSONScanner(buffer)
            do {
                try scanner.expect(UInt8(ascii: "["))
                scanner.skipWhitespace()
                if scanner.peek() != UInt8(ascii: "]") {
                    while true {
                        let range = try scanner.skipValue()
                        elements.append(Array(buffer[range]))
                        scanner.skipWhitespace()
                        if scanner.peek() == UInt8(ascii: "]") { break }
                        try scanner.expect(UInt8(ascii: ","))
                    }
                }
                try scanner.expect(UInt8(ascii: "]"))
                scanner.skipWhitespace()
                return scanner.atEnd
            } catch {
                return false
            }
        }
        guard valid else {
            reply.finish(RPCMessage.error(RPCError(code: .parseError, message: "Parse error: invalid batch")))
            return
        }
        guard !elements.isEmpty else {
            reply.finish(RPCMessage.error(RPCError(code: .invalidRequest, message: "Invalid Request: empty batch")))
            return
        }
        let collector = BatchCollector(count: elements.count, parent: reply)
        for element in elements {
            switch RPCEnvelope.parse(element) {
            case .failure(let error): collector.finish(RPCMessage.error(error))
            case .success(let envelope):
                if envelope.method == MCPMethod.initialize {
                    collector.finish(RPCMessage.error(RPCError(
                        code: .invalidRequest, message: "Invalid Request: initialize cannot be part of a batch"), id: envelope.id))
                } else {
                    handle(envelope, session: session, reply: collector)
                }
            }
        }
    }
}

/// Gathers the responses of a batch and sends them as one array when all have finished.
final class BatchCollector: ReplySink {
    private let parent: any ReplySink
    private struct State {
        var remaining: Int
        var responses: [[UInt8]] = []
    }
    private let state: Mutex<State>

    init(count: Int, parent: any ReplySink) {
        self.parent = parent
        self.state = Mutex(State(remaining: count))
    }

    func send(_ message: [UInt8]) { parent.send(message) }
    var carriesRequests: Bool { parent.carriesRequests }

    func finish(_ response: [UInt8]?) {
        let done: [[UInt8]]? = state.withLock { s in
            if let response { s.responses.append(response) }
            s.remaining -= 1
            return s.remaining == 0 ? s.responses : nil
        }
        guard let done else { return }
        if done.isEmpty {
            parent.finish(nil)
            return
        }
        var w = JSONWriter()
        w.raw("[")
        for (i, r) in done.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw(r)
        }
        w.raw("]")
        parent.finish(w.bytes)
    }
}
