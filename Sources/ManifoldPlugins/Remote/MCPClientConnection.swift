import Dispatch
import ManifoldProtocol
import Synchronization

/// A JSON-RPC client over a `ClientTransport`: numbers requests, matches responses to their
/// callbacks, hands notifications and server→client requests to handlers, and fails every
/// pending request at once when the transport closes — a dead backend never leaves a caller
/// hanging.
public final class MCPClientConnection: Sendable {
    public typealias ResponseHandler = @Sendable (Result<[UInt8], RPCError>) -> Void

    /// What the connection does with messages that are not responses. `relatedRequestID` is the
    /// id of our request the message came with, when the transport knows it.
    public struct Handlers: Sendable {
        public var notification: @Sendable (RPCEnvelope, _ relatedRequestID: Int?) -> Void
        public var request: @Sendable (RPCEnvelope, _ relatedRequestID: Int?) -> Void
        public var closed: @Sendable (String) -> Void

        public init(notification: @escaping @Sendable (RPCEnvelope, Int?) -> Void,
                    request: @escaping @Sendable (RPCEnvelope, Int?) -> Void,
                    closed: @escaping @Sendable (String) -> Void) {
            self.notification = notification
            self.request = request
            self.closed = closed
        }
    }

    private let transport: any ClientTransport
    private struct State {
        var nextID = 1
        var pending: [Int: ResponseHandler] = [:]
        var closedReason: String?
    }
    private let state = Mutex(State())

    public init(transport: any ClientTransport) {
        self.transport = transport
    }

    public func start(_ handlers: Handlers) throws {
        try transport.start(
            onMessage: { [weak self] bytes, related in self?.receive(bytes, related: related, handlers) },
            onClose: { [weak self] reason in
                self?.closed(reason)
                handlers.closed(reason)
            })
    }

    /// Sends a request; `params` is a JSON object's bytes (nil for none). Returns the id, or nil
    /// when the connection is already closed (then `onResponse` was called with the error).
    @discardableResult
    public func request(_ method: String, params: [UInt8]?, onResponse: @escaping ResponseHandler) -> Int? {
        request(method, paramsSize: params?.count ?? 0, writeParams: params.map { bytes in { $0.raw(bytes) } },
                onResponse: onResponse)
    }

    /// Sends a request whose params `writeParams` writes straight into the message (no
    /// intermediate copy of large arguments); `paramsSize` is a capacity hint.
    @discardableResult
    public func request(_ method: String, paramsSize: Int, writeParams: ((inout JSONWriter) -> Void)?,
                        onResponse: @escaping ResponseHandler) -> Int? {
        let id: Int? = state.withLock { s in
            guard s.closedReason == nil else { return nil }
            let id = s.nextID
            s.nextID += 1
            s.pending[id] = onResponse
            return id
        }
        guard let id else {
            onResponse(.failure(.internalError("backend disconnected: \(state.withLock { $0.closedReason ?? "" })")))
            return nil
        }
        var w = JSONWriter(capacity: paramsSize + method.utf8.count + 48)
        w.raw("{\"jsonrpc\":\"2.0\",\"id\":")
        w.int(id)
        w.raw(",\"method\":")
        w.string(method)
        if let writeParams {
            w.raw(",\"params\":")
            writeParams(&w)
        }
        w.raw("}")
        transport.send(w.bytes, requestID: id)
        return id
    }

    /// Stops waiting for a response (timeout, cancellation); returns its handler if it was pending.
    public func abandon(_ id: Int) -> ResponseHandler? {
        state.withLock { $0.pending.removeValue(forKey: id) }
    }

    public func notify(_ method: String, params: JSONValue?) {
        transport.send(RPCMessage.notification(method: method, params: params), requestID: nil)
    }

    /// Answers a request the backend sent us.
    public func respond(to id: RequestID, _ result: Result<[UInt8], RPCError>) {
        switch result {
        case .success(let bytes): transport.send(RPCMessage.response(id: id, result: bytes), requestID: nil)
        case .failure(let error): transport.send(RPCMessage.error(error, id: id), requestID: nil)
        }
    }

    /// Tells the transport the protocol version the backend accepted.
    public func negotiated(protocolVersion: String) { transport.negotiated(protocolVersion: protocolVersion) }

    public func close() { transport.close() }

    public var isClosed: Bool { state.withLock { $0.closedReason != nil } }

    private func receive(_ bytes: [UInt8], related: Int?, _ handlers: Handlers) {
        guard case .success(let envelope) = RPCEnvelope.parse(bytes) else { return }
        switch envelope.kind {
        case .response, .errorResponse:
            guard let id = envelope.id, let number = Self.integer(id.raw) else { return }
            guard let handler = state.withLock({ $0.pending.removeValue(forKey: number) }) else { return }
            if let result = envelope.result {
                handler(.success(Array(envelope.bytes[result])))
            } else {
                let object = envelope.error.flatMap { try? JSONValue.parse(envelope.bytes[$0]) } ?? .null
                handler(.failure(RPCError(code: .init(rawValue: object["code"]?.intValue ?? -32603),
                                          message: object["message"]?.stringValue ?? "error", data: object["data"])))
            }
        case .notification:
            handlers.notification(envelope, related)
        case .request:
            handlers.request(envelope, related)
        }
    }

    /// The id of one of our requests (a plain non-negative integer), read from its bytes.
    static func integer(_ raw: [UInt8]) -> Int? {
        guard !raw.isEmpty, raw.count < 19 else { return nil }
        var value = 0
        for byte in raw {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    private func closed(_ reason: String) {
        let pending = state.withLock { s -> [ResponseHandler] in
            s.closedReason = reason
            let handlers = Array(s.pending.values)
            s.pending = [:]
            return handlers
        }
        for handler in pending { handler(.failure(.internalError("backend disconnected: \(reason)"))) }
    }
}
