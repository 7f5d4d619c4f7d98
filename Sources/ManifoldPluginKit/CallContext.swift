/// What a handler can do for the client while it serves one request: report progress, log,
/// notice cancellation, and ask the client things (sampling, elicitation, roots).
///
/// Handlers run on the host's plugin thread pool, so the client requests here simply block until
/// the answer arrives. Everything is callable from any thread, but only while the request is in
/// flight: once the handler returned, calls are ignored (and requests throw).
public final class CallContext: @unchecked Sendable {
    /// The plugin instance serving the call (config, plugin-level host services).
    public let plugin: PluginInstance
    /// The tool or prompt name, or the resource URI, being served.
    public let name: String

    let call: OpaquePointer
    let host: HostAPI
    private let state = MutexBox(State())
    private let cancelled = MutexBox(false)
    private let cancelLatch = Latch()

    private struct State {
        var finished = false
        var lastProgress = -Double.infinity
    }

    init(plugin: PluginInstance, call: OpaquePointer, host: HostAPI, name: String) {
        self.plugin = plugin
        self.call = call
        self.host = host
        self.name = name
    }

    // MARK: The request

    /// The `_meta` object the client sent with the request (`{}` when none), e.g. to read a
    /// `progressToken`. Empty with hosts older than the `call_meta` service.
    public var meta: JSON {
        let api = host.api
        let offset = MemoryLayout<manifold_host_api_v1>.offset(of: \.call_meta) ?? Int.max
        guard Int(api.struct_size) > offset, let callMeta = api.call_meta else { return [:] }
        return (try? JSON(parsing: copyBytes(callMeta(call)))) ?? [:]
    }

    // MARK: Cancellation

    /// True once the client cancelled the request. A cancelled handler should stop: throwing
    /// (e.g. from `checkCancellation()` or `sleep`) ends the call with nothing sent to the client.
    public var isCancelled: Bool {
        if cancelled.value { return true }
        let hostSays = state.withLock { state -> Bool in
            guard !state.finished, let isCancelled = host.api.is_cancelled else { return false }
            return isCancelled(call) != 0
        }
        if hostSays { markCancelled() }
        return hostSays
    }

    /// Throws `CancellationError` if the client cancelled the request.
    public func checkCancellation() throws {
        if isCancelled { throw CancellationError() }
    }

    /// Sleeps, waking early (and throwing `CancellationError`) if the request is cancelled.
    public func sleep(milliseconds: Int) throws {
        var left = milliseconds
        while left > 0 {
            try checkCancellation()
            let slice = min(left, 50)
            if cancelLatch.wait(milliseconds: slice) { throw CancellationError() }
            left -= slice
        }
        try checkCancellation()
    }

    func markCancelled() {
        cancelled.value = true
        cancelLatch.signal()
    }

    // MARK: Notifications

    /// Reports progress (`notifications/progress`). `progress` must grow from one report to the
    /// next (reports that do not are dropped); `total` nil means unknown. Sent only if the client
    /// asked for progress.
    public func progress(_ progress: Double, total: Double? = nil, message: String? = nil) {
        state.withLock { state in
            guard !state.finished, progress > state.lastProgress, let report = host.api.progress else { return }
            state.lastProgress = progress
            withBytes(message ?? "") { report(call, progress, total ?? -1, $0) }
        }
    }

    /// Sends a log message to this request's client (`notifications/message`) if it passes the
    /// client's `logging/setLevel` threshold.
    public func log(_ level: LogLevel, _ message: String, logger: String? = nil) {
        log(level, data: .string(message), logger: logger)
    }

    /// Sends any JSON value as a log message's `data`.
    public func log(_ level: LogLevel, data: JSON, logger: String? = nil) {
        state.withLock { state in
            guard !state.finished, let send = host.api.call_log else { return }
            withBytes(logger ?? "") { loggerBytes in
                withBytes(data.bytes) { dataBytes in send(call, level.abi, loggerBytes, dataBytes) }
            }
        }
    }

    // MARK: Requests to the client

    /// Sends a request to the client that made this call and blocks until it answers.
    /// Throws `ClientRequestError` when the client lacks the capability or answers with an
    /// error, `CancellationError` if the call is cancelled while waiting.
    public func request(method: String, params: JSON) throws -> JSON {
        let box = ResponseBox()
        let context = Unmanaged.passRetained(box).toOpaque()
        let status: manifold_status = state.withLock { state in
            guard !state.finished, let send = host.api.client_request else { return MANIFOLD_ERR_UNSUPPORTED }
            return withBytes(method) { methodBytes in
                withBytes(params.bytes) { paramBytes in
                    send(call, methodBytes, paramBytes, kitClientResponse, context)
                }
            }
        }
        guard status == MANIFOLD_OK else {
            Unmanaged<ResponseBox>.fromOpaque(context).release()
            throw ClientRequestError.notSent(method: method, status: status)
        }
        while !box.latch.wait(milliseconds: 50) {
            if isCancelled { throw CancellationError() }
        }
        return try box.result()
    }

    /// Asks the client's model for a completion (`sampling/createMessage`) of one user message
    /// and returns the client's `CreateMessageResult`.
    public func sample(_ prompt: String, maxTokens: Int = 1000, systemPrompt: String? = nil) throws -> JSON {
        var params: JSONObject = [
            "messages": [["role": "user", "content": ["type": "text", "text": .string(prompt)]]],
            "maxTokens": .int(Int64(maxTokens)),
        ]
        if let systemPrompt { params["systemPrompt"] = .string(systemPrompt) }
        return try request(method: "sampling/createMessage", params: .object(params))
    }

    /// Sends `sampling/createMessage` with the given params.
    public func sample(params: JSON) throws -> JSON {
        try request(method: "sampling/createMessage", params: params)
    }

    /// Asks the user for input through the client (`elicitation/create`, form mode) and returns
    /// the client's `ElicitResult` (`action` is "accept", "decline" or "cancel"; `content` holds
    /// the answers when accepted).
    public func elicit(message: String, requestedSchema: JSON) throws -> JSON {
        try request(method: "elicitation/create", params: ["message": .string(message), "requestedSchema": requestedSchema])
    }

    /// The client's roots (`roots/list`).
    public func listRoots() throws -> [Root] {
        let result = try request(method: "roots/list", params: [:])
        return (result["roots"]?.arrayValue ?? []).compactMap { root in
            guard let uri = root["uri"]?.stringValue else { return nil }
            return Root(uri: uri, name: root["name"]?.stringValue)
        }
    }

    // MARK: Completion (kit-internal)

    /// Completes the call once; later attempts are ignored.
    func complete(_ status: manifold_status, _ bytes: [UInt8]) {
        state.withLock { state in
            guard !state.finished else { return }
            state.finished = true
            withBytes(bytes) { host.api.complete?(call, status, $0) }
        }
    }

    func complete(_ status: manifold_status, message: String) { complete(status, Array(message.utf8)) }
}

/// One of the client's roots.
public struct Root: Sendable, Equatable {
    public var uri: String
    public var name: String?
}

/// A request to the client that failed.
public struct ClientRequestError: Error, CustomStringConvertible, Sendable {
    /// The JSON-RPC error code the client answered with, if it answered.
    public let code: Int?
    public let message: String
    public let data: JSON?

    /// "MCP error <code>: <message>" for client errors (as the TypeScript SDK words them),
    /// or the reason the request could not be sent.
    public var description: String {
        if let code { return "MCP error \(code): \(message)" }
        return message
    }

    static func notSent(method: String, status: manifold_status) -> ClientRequestError {
        if status == MANIFOLD_ERR_UNSUPPORTED {
            let capability: String
            switch method {
            case "sampling/createMessage": capability = "sampling"
            case "elicitation/create": capability = "elicitation"
            case "roots/list": capability = "listing roots"
            default: capability = method
            }
            return ClientRequestError(code: nil, message: "Client does not support \(capability) (required for \(method))", data: nil)
        }
        return ClientRequestError(code: nil, message: "The host could not send \(method) (status \(status))", data: nil)
    }
}

final class ResponseBox: @unchecked Sendable {
    let latch = Latch()
    private var status: manifold_status = MANIFOLD_ERR_INTERNAL
    private var bytes: [UInt8] = []

    func fulfill(_ status: manifold_status, _ bytes: [UInt8]) {
        self.status = status
        self.bytes = bytes
        latch.signal()  // the latch's mutex orders these writes before the waiter's reads
    }

    func result() throws -> JSON {
        if status == MANIFOLD_OK {
            do { return try JSON(parsing: bytes) } catch {
                throw ClientRequestError(code: nil, message: "The client's answer is not JSON: \(error)", data: nil)
            }
        }
        if let json = try? JSON(parsing: bytes), case .object(let error) = json {
            let code = error["code"]?.intValue.map { Int($0) }
            let message = error["message"]?.stringValue ?? json.description
            throw ClientRequestError(code: code, message: message, data: error["data"])
        }
        let text = String(decoding: bytes, as: UTF8.self)
        throw ClientRequestError(code: nil, message: text.isEmpty ? "The client request failed (status \(status))" : text, data: nil)
    }
}

/// Receives host->client_request answers: exactly once per sent request, from any thread.
let kitClientResponse: manifold_client_response_fn = { context, status, response in
    guard let context else { return }
    let box = Unmanaged<ResponseBox>.fromOpaque(context).takeRetainedValue()
    box.fulfill(status, copyBytes(response))
}
