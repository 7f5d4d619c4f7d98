import ManifoldProtocol

/// The methods that reach a provider: tools/call, resources/read, prompts/get and
/// completion/complete. Each resolves the exposed name in the session's view, then starts an
/// `InFlightCall` whose outcome becomes the response.
extension Dispatcher {
    private static let emptyObject: ArraySlice<UInt8> = Array("{}".utf8)[...]

    func callTool(id: RequestID, params: RequestParams, view: SurfaceView, session: Session,
                  reply: any ReplySink) throws(RPCError) {
        let name = try params.requiredString("name")
        let arguments = try params.object("arguments") ?? Self.emptyObject
        guard let entry = view.lookup(.tool, name) else {
            throw RPCError.invalidParams("Unknown tool: '\(name)'")
        }
        // Arguments a mount fixed are merged in; every other tool's bytes go through untouched.
        let input = entry.route.fixedArguments.map { $0.merge(into: arguments)[...] } ?? arguments
        start(ProviderRequest(kind: .callTool, name: entry.route.localName, input: input),
              on: entry.route.provider, id: id, params: params, session: session, reply: reply)
    }

    func readResource(id: RequestID, params: RequestParams, view: SurfaceView, session: Session,
                      reply: any ReplySink) throws(RPCError) {
        let uri = try params.requiredString("uri")
        guard let (entry, localURI) = view.resolveResource(uri) else { throw Self.resourceNotFound(uri) }
        let path = entry.route.uriPath
        let transform: (@Sendable ([UInt8]) -> [UInt8])? = path.isEmpty ? nil : { @Sendable bytes in
            Self.exposeContentURIs(bytes, requested: uri, local: localURI, path: path)
        }
        start(ProviderRequest(kind: .readResource, name: localURI, input: Self.emptyObject),
              on: entry.route.provider, id: id, params: params, session: session, reply: reply,
              transform: transform, adjust: { outcome in
            // A provider that cannot find a URI its template matched answers "not found" too.
            if case .failure(let error) = outcome, error.code == .resourceNotFound || error.code == .invalidParams {
                return .failure(Self.resourceNotFound(uri))
            }
            return outcome
        })
    }

    func getPrompt(id: RequestID, params: RequestParams, view: SurfaceView, session: Session,
                   reply: any ReplySink) throws(RPCError) {
        let name = try params.requiredString("name")
        guard let entry = view.lookup(.prompt, name) else {
            throw RPCError.invalidParams("Unknown prompt: '\(name)'")
        }
        let arguments = try params.object("arguments") ?? Self.emptyObject
        let declared = entry.component.definition["arguments"]?.arrayValue ?? []
        let required = declared.compactMap { arg -> String? in
            arg["required"]?.boolValue == true ? arg["name"]?.stringValue : nil
        }
        if !required.isEmpty {
            let given = (try? JSONValue.parse(arguments))?.objectValue ?? [:]
            if let missing = required.first(where: { given[$0] == nil || given[$0]!.isNull }) {
                throw RPCError.invalidParams("Missing required argument '\(missing)' for prompt '\(name)'")
            }
        }
        start(ProviderRequest(kind: .getPrompt, name: entry.route.localName, input: arguments),
              on: entry.route.provider, id: id, params: params, session: session, reply: reply)
    }

    func complete(id: RequestID, params: RequestParams, view: SurfaceView, session: Session,
                  reply: any ReplySink) throws(RPCError) {
        var object = params.tree
        guard var ref = object["ref"]?.objectValue else {
            throw RPCError.invalidParams("Invalid params: 'ref' must be an object")
        }
        guard let argument = object["argument"]?.objectValue, argument["name"]?.stringValue != nil,
            argument["value"]?.stringValue != nil
        else {
            throw RPCError.invalidParams("Invalid params: 'argument' must be an object with string 'name' and 'value'")
        }
        let entry: ExposedComponent
        switch ref["type"]?.stringValue {
        case "ref/prompt":
            let name = ref["name"]?.stringValue ?? ""
            guard let found = view.lookup(.prompt, name) else { throw RPCError.invalidParams("Unknown prompt: '\(name)'") }
            entry = found
            ref["name"] = .string(found.route.localName)
        case "ref/resource":
            let uri = ref["uri"]?.stringValue ?? ""
            guard let found = view.lookup(.resourceTemplate, uri) ?? view.lookup(.resource, uri) else {
                throw RPCError.invalidParams("Unknown resource template: '\(uri)'")
            }
            entry = found
            ref["uri"] = .string(found.route.localName)
        default:
            throw RPCError.invalidParams("Invalid params: 'ref.type' must be 'ref/prompt' or 'ref/resource'")
        }
        object["ref"] = .object(ref)
        let input = JSONValue.object(object).serialized()[...]
        start(ProviderRequest(kind: .complete, name: entry.route.localName, input: input),
              on: entry.route.provider, id: id, params: params, session: session, reply: reply, adjust: { outcome in
            // A provider without completions offers none.
            if case .failure(let error) = outcome, error.code == .methodNotFound {
                return .result(Array("{\"completion\":{\"values\":[],\"hasMore\":false}}".utf8))
            }
            return outcome
        })
    }

    /// Starts a provider request for a client request and wires its outcome to the response.
    private func start(_ request: ProviderRequest, on provider: any Provider, id: RequestID, params: RequestParams,
                       session: Session, reply: any ReplySink,
                       transform: (@Sendable ([UInt8]) -> [UInt8])? = nil,
                       adjust: (@Sendable (CallOutcome) -> CallOutcome)? = nil) {
        let meta = (try? params.object("_meta")) ?? nil
        let call = InFlightCall(requestID: id, session: session, reply: reply, meta: meta,
                                progressToken: meta == nil ? nil : params.progressToken, transform: transform)
        if let adjust {
            provider.invoke(request, context: call) { outcome in call.finish(adjust(outcome)) }
        } else {
            provider.invoke(request, context: call) { outcome in call.finish(outcome) }
        }
        // After the provider took it: a call that already finished (run inline) is not tracked.
        call.registerIfLive()
    }

    /// Rewrites `contents[].uri` of a ReadResourceResult from the provider's URIs to exposed ones.
    static func exposeContentURIs(_ bytes: [UInt8], requested: String, local: String, path: String) -> [UInt8] {
        guard var result = (try? JSONValue.parse(bytes))?.objectValue, let contents = result["contents"]?.arrayValue else {
            return bytes
        }
        let prefixPath = String(path.dropLast())
        result["contents"] = .array(contents.map { item in
            guard var object = item.objectValue, let uri = object["uri"]?.stringValue else { return item }
            object["uri"] = .string(uri == local ? requested : ResourceURI.adding(prefix: prefixPath, to: uri))
            return .object(object)
        })
        return JSONValue.object(result).serialized()
    }
}
