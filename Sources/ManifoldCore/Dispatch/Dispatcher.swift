import Logging
import ManifoldProtocol

/// Serves MCP messages for sessions: the lifecycle gate, then one handler per method. It knows
/// nothing of transports: an endpoint hands it a message's bytes, the session it belongs to, and
/// a `ReplySink` for what goes back.
///
/// The hot path (`tools/call`) reads the envelope once, finds the tool with one dictionary
/// lookup in the session's current view, forwards the argument bytes untouched, and splices the
/// provider's result bytes into the response.
public final class Dispatcher: Sendable {
    public let identity: ServerIdentity
    let logger: Logger
    private let initializeResults: [ProtocolVersion: [UInt8]]

    public init(identity: ServerIdentity, logger: Logger) {
        self.identity = identity
        self.logger = logger
        var results: [ProtocolVersion: [UInt8]] = [:]
        for version in ProtocolVersion.supported {
            results[version] = identity.initializeResult(version: version).serialized()
        }
        self.initializeResults = results
    }

    /// Methods a client may call; others are -32601 at any time.
    static let requestMethods: Set<String> = [
        MCPMethod.initialize, MCPMethod.ping, MCPMethod.toolsList, MCPMethod.toolsCall,
        MCPMethod.resourcesList, MCPMethod.resourcesRead, MCPMethod.resourcesTemplatesList,
        MCPMethod.resourcesSubscribe, MCPMethod.resourcesUnsubscribe, MCPMethod.promptsList,
        MCPMethod.promptsGet, MCPMethod.loggingSetLevel, MCPMethod.completionComplete,
    ]

    /// `requestMethods.contains(method)`, with `tools/call` first and no hashing (per request).
    @inline(__always)
    static func isRequestMethod(_ method: String) -> Bool {
        method == MCPMethod.toolsCall || requestMethods.contains(method)
    }

    /// Handles one incoming message (a single message or, for sessions before 2025-06-18, a
    /// batch). `reply.finish` is called exactly once.
    public func handle(_ bytes: [UInt8], session: Session, reply: any ReplySink) {
        if let first = bytes.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }),
            first == UInt8(ascii: "[")
        {
            handleBatch(bytes, session: session, reply: reply)
            return
        }
        switch RPCEnvelope.parse(bytes) {
        case .failure(let error):
            reply.finish(RPCMessage.error(error))
        case .success(let envelope):
            handle(envelope, session: session, reply: reply)
        }
    }

    /// Handles a parsed message.
    public func handle(_ envelope: RPCEnvelope, session: Session, reply: any ReplySink) {
        switch envelope.kind {
        case .request:
            handleRequest(envelope, session: session, reply: reply)
        case .notification:
            handleNotification(envelope, session: session)
            reply.finish(nil)
        case .response:
            session.resolve(envelope.id!, .success(Array(envelope.bytes[envelope.result!])))
            reply.finish(nil)
        case .errorResponse:
            if let id = envelope.id {
                let object = (try? JSONValue.parse(envelope.bytes[envelope.error!])) ?? .null
                let error = RPCError(code: .init(rawValue: object["code"]?.intValue ?? -32603),
                                     message: object["message"]?.stringValue ?? "error", data: object["data"])
                session.resolve(id, .failure(error))
            }
            reply.finish(nil)
        }
    }

    private func handleRequest(_ envelope: RPCEnvelope, session: Session, reply: any ReplySink) {
        let id = envelope.id!
        let method = envelope.method!
        do throws(RPCError) {
            guard Self.isRequestMethod(method) else { throw RPCError.methodNotFound(method) }
            if session.phase == .new && method != MCPMethod.initialize && method != MCPMethod.ping {
                throw RPCError(code: .invalidRequest, message: "Server not initialized: send 'initialize' first")
            }
            let params = try RequestParams(envelope)
            let view = session.view.current
            let result: [UInt8]
            switch method {
            case MCPMethod.toolsCall:
                try callTool(id: id, params: params, view: view, session: session, reply: reply)
                return
            case MCPMethod.resourcesRead:
                try readResource(id: id, params: params, view: view, session: session, reply: reply)
                return
            case MCPMethod.promptsGet:
                try getPrompt(id: id, params: params, view: view, session: session, reply: reply)
                return
            case MCPMethod.completionComplete:
                try complete(id: id, params: params, view: view, session: session, reply: reply)
                return
            case MCPMethod.toolsList:
                result = try view.listPage(.tool, cursor: params.string("cursor"))
            case MCPMethod.resourcesList:
                result = try view.listPage(.resource, cursor: params.string("cursor"))
            case MCPMethod.resourcesTemplatesList:
                result = try view.listPage(.resourceTemplate, cursor: params.string("cursor"))
            case MCPMethod.promptsList:
                result = try view.listPage(.prompt, cursor: params.string("cursor"))
            case MCPMethod.initialize:
                result = try initialize(params: params, session: session)
            case MCPMethod.ping:
                result = Array("{}".utf8)
            case MCPMethod.loggingSetLevel:
                let name = try params.requiredString("level")
                guard let level = LogLevel(name: name) else {
                    throw RPCError.invalidParams("Invalid params: unknown log level '\(name)'")
                }
                session.state.withLock { $0.logLevel = level }
                result = Array("{}".utf8)
            case MCPMethod.resourcesSubscribe, MCPMethod.resourcesUnsubscribe:
                let uri = try params.requiredString("uri")
                if method == MCPMethod.resourcesSubscribe {
                    guard let (entry, localURI) = view.resolveResource(uri) else { throw Self.resourceNotFound(uri) }
                    session.subscribe(uri, provider: entry.route.provider, localURI: localURI)
                } else {
                    session.unsubscribe(uri)
                }
                result = Array("{}".utf8)
            default:
                throw RPCError.methodNotFound(method)
            }
            reply.finish(RPCMessage.response(id: id, result: result))
        } catch {
            reply.finish(RPCMessage.error(error, id: id))
        }
    }

    private func initialize(params: RequestParams, session: Session) throws(RPCError) -> [UInt8] {
        let requested = try params.requiredString("protocolVersion")
        if let first = params.firstByte("capabilities"), first != UInt8(ascii: "{") {
            throw RPCError.invalidParams("Invalid params: 'capabilities' must be an object")
        }
        let version = ProtocolVersion.negotiate(requested)
        let capabilities = params.value("capabilities") ?? .object([:])
        let clientInfo = params.value("clientInfo") ?? .null
        try session.state.withLock { (s) throws(RPCError) in
            guard s.phase == .new else {
                throw RPCError(code: .invalidRequest, message: "Invalid Request: the session is already initialized")
            }
            s.phase = .initializing
            s.version = version
            s.clientCapabilities = capabilities
            s.clientInfo = clientInfo
        }
        logger.debug("session \(session.id) initialized", metadata: ["protocolVersion": "\(version)", "client": "\(clientInfo["name"]?.stringValue ?? "?")"])
        return initializeResults[version]!
    }

    private func handleNotification(_ envelope: RPCEnvelope, session: Session) {
        switch envelope.method! {
        case MCPMethod.initialized:
            session.state.withLock { s in if s.phase == .initializing { s.phase = .ready } }
        case MCPMethod.cancelled:
            guard let params = try? RequestParams(envelope), let raw = params.raw("requestId") else { return }
            session.cancel(RequestID(raw: Array(raw)))
        default:
            break
        }
    }

    static func resourceNotFound(_ uri: String) -> RPCError {
        RPCError(code: .resourceNotFound, message: "Resource not found: \(uri)", data: ["uri": .string(uri)])
    }
}
