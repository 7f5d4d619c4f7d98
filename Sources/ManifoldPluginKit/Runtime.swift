/// The host's service table (valid until the process exits).
struct HostAPI: @unchecked Sendable {
    let table: UnsafePointer<manifold_host_api_v1>
    var api: manifold_host_api_v1 { table.pointee }
}

nonisolated(unsafe) private let emptyCString: UnsafePointer<CChar> = {
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
    p.initialize(to: 0)
    return UnsafePointer(p)
}()

/// Lends `bytes` to a C function as a `manifold_bytes` (never a NULL pointer).
func withBytes<R>(_ bytes: [UInt8], _ body: (manifold_bytes) -> R) -> R {
    bytes.withUnsafeBufferPointer { buffer in
        let pointer = buffer.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) } ?? emptyCString
        return body(manifold_bytes(ptr: pointer, len: buffer.count))
    }
}

/// Lends the UTF-8 of `string` to a C function.
func withBytes<R>(_ string: String, _ body: (manifold_bytes) -> R) -> R {
    withBytes(Array(string.utf8), body)
}

/// Copies a borrowed view.
func copyBytes(_ bytes: manifold_bytes) -> [UInt8] {
    guard let pointer = bytes.ptr, bytes.len > 0 else { return [] }
    return Array(UnsafeRawBufferPointer(start: pointer, count: bytes.len))
}

/// Describes an error for a client: its `description` when it has one.
func describeError(_ error: any Error) -> String {
    if let error = error as? CustomStringConvertible { return error.description }
    return String(describing: error)
}

/// The image-wide state behind the C entry points: the exported plugin and the host table.
/// (The library is loaded with RTLD_LOCAL, so each plugin image has its own copy of the kit.)
enum Runtime {
    struct Exported: @unchecked Sendable {
        var plugin: Plugin?
        var host: HostAPI?
        var descriptor: UnsafeMutablePointer<manifold_plugin_v1>?
    }

    static let exported = MutexBox(Exported())

    static var current: (Plugin, HostAPI)? {
        exported.withLock { state in
            guard let plugin = state.plugin, let host = state.host else { return nil }
            return (plugin, host)
        }
    }

    static func export(_ plugin: Plugin, host: UnsafePointer<manifold_host_api_v1>?) -> UnsafePointer<manifold_plugin_v1>? {
        guard let host else { return nil }
        // Read struct_size alone first: a smaller table may not hold the fields below.
        let size = UnsafeRawPointer(host).load(as: UInt32.self)
        let minimum = MemoryLayout<manifold_host_api_v1>.size
        guard size >= UInt32(MemoryLayout<UInt32>.size + 4) else { return nil }
        let major = UnsafeRawPointer(host).load(fromByteOffset: 4, as: UInt16.self)

        func refuse(_ reason: String) -> UnsafePointer<manifold_plugin_v1>? {
            if size >= minimum, let log = host.pointee.log {
                withBytes("plugin '\(plugin.id)' refuses to load: \(reason)") { log(nil, MANIFOLD_LOG_ERROR, $0) }
            }
            return nil
        }

        guard major == UInt16(MANIFOLD_ABI_MAJOR) else {
            return refuse("abi_major mismatch: the plugin was built for ABI major \(MANIFOLD_ABI_MAJOR), the host has \(major)")
        }
        guard size >= UInt32(minimum) else {
            return refuse("struct_size mismatch: the host's service table has \(size) bytes, the plugin needs \(minimum)")
        }
        let mine = manifold_swift_runtime_tag().map { String(cString: $0) } ?? "none"
        let theirs = host.pointee.runtime_tag.map { String(cString: $0) } ?? "none"
        guard mine == theirs else {
            return refuse("runtime_tag mismatch: the plugin was built with \(mine), the host runs \(theirs); rebuild the plugin with the host's toolchain")
        }
        let problems = plugin.validate()
        guard problems.isEmpty else { return refuse(problems.joined(separator: "; ")) }

        let descriptor = exported.withLock { state -> UnsafeMutablePointer<manifold_plugin_v1> in
            state.plugin = plugin
            state.host = HostAPI(table: host)
            if let existing = state.descriptor {
                fill(existing, plugin)
                return existing
            }
            // Allocated once and never freed: the host may hold it for the life of the process.
            let d = UnsafeMutablePointer<manifold_plugin_v1>.allocate(capacity: 1)
            d.initialize(to: manifold_plugin_v1())
            fill(d, plugin)
            state.descriptor = d
            return d
        }
        return UnsafePointer(descriptor)
    }

    static func cString(_ s: String) -> UnsafePointer<CChar> {
        let utf8 = Array(s.utf8)
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count + 1)
        for (i, b) in utf8.enumerated() { p[i] = CChar(bitPattern: b) }
        p[utf8.count] = 0
        return UnsafePointer(p)
    }

    static func fill(_ d: UnsafeMutablePointer<manifold_plugin_v1>, _ plugin: Plugin) {
        if d.pointee.id == nil || String(cString: d.pointee.id) != plugin.id { d.pointee.id = cString(plugin.id) }
        if d.pointee.version == nil || String(cString: d.pointee.version) != plugin.version {
            d.pointee.version = cString(plugin.version)
        }
        d.pointee.struct_size = UInt32(MemoryLayout<manifold_plugin_v1>.size)
        d.pointee.abi_major = UInt16(MANIFOLD_ABI_MAJOR)
        d.pointee.abi_minor = UInt16(MANIFOLD_ABI_MINOR)
        d.pointee.runtime_tag = manifold_swift_runtime_tag()
        // Never MANIFOLD_PLUGIN_FLAG_UNLOADABLE: a Swift image must stay mapped.
        d.pointee.flags = plugin.concurrentCalls ? UInt32(MANIFOLD_PLUGIN_FLAG_CONCURRENT_CALLS) : 0
        d.pointee.`init` = kitInit
        d.pointee.list = kitList
        d.pointee.call = kitCall
        d.pointee.cancel = kitCancel
        d.pointee.shutdown = kitShutdown
    }
}

// MARK: - The C entry points

private func instance(_ pointer: UnsafeMutableRawPointer?) -> PluginInstance? {
    guard let pointer else { return nil }
    return Unmanaged<PluginInstance>.fromOpaque(pointer).takeUnretainedValue()
}

private let kitInit: @convention(c) (OpaquePointer?, manifold_bytes, UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> manifold_status = {
    handle, config, out in
    guard let (plugin, host) = Runtime.current else { return MANIFOLD_ERR_INTERNAL }
    let configBytes = copyBytes(config)
    var configJSON: JSON = [:]
    if !configBytes.isEmpty {
        do { configJSON = try JSON(parsing: configBytes) } catch {
            if let log = host.api.log {
                withBytes("plugin '\(plugin.id)': config is not JSON (\(error)); using {}") { log(handle, MANIFOLD_LOG_WARNING, $0) }
            }
        }
    }
    let instance = PluginInstance(plugin: plugin, host: host, handle: handle, config: configJSON)
    do {
        try plugin.onInit?(instance)
    } catch {
        instance.log(.error, "init failed: \(describeError(error))")
        instance.shutDown()
        return MANIFOLD_ERR_REFUSED
    }
    instance.markInitialized()
    out?.pointee = Unmanaged.passRetained(instance).toOpaque()
    return MANIFOLD_OK
}

private let kitList: @convention(c) (UnsafeMutableRawPointer?, manifold_kind, OpaquePointer?) -> manifold_status = {
    pointer, kind, call in
    guard let instance = instance(pointer), let call else { return MANIFOLD_ERR_INTERNAL }
    guard let kind = ComponentKind(rawValue: Int32(kind.rawValue)) else { return MANIFOLD_ERR_UNSUPPORTED }
    let json = instance.catalog.withLock { $0.list(kind) }
    withBytes(json.bytes) { instance.host.api.complete?(call, MANIFOLD_OK, $0) }
    return MANIFOLD_OK
}

private let kitCall: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, manifold_kind, manifold_bytes, manifold_bytes) -> manifold_status = {
    pointer, call, kind, name, input in
    guard let instance = instance(pointer), let call else { return MANIFOLD_ERR_INTERNAL }
    let name = String(decoding: copyBytes(name), as: UTF8.self)
    let input = copyBytes(input)
    return instance.serve(call: call, kind: kind, name: name, input: input)
}

private let kitCancel: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?) -> Void = { pointer, call in
    guard let instance = instance(pointer), let call else { return }
    let key = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(call)))
    instance.calls.withLock { $0[key] }?.markCancelled()
}

private let kitShutdown: @convention(c) (UnsafeMutableRawPointer?) -> Void = { pointer in
    guard let pointer else { return }
    let instance = Unmanaged<PluginInstance>.fromOpaque(pointer).takeRetainedValue()
    if let (plugin, _) = Runtime.current { plugin.onShutdown?(instance) }
    instance.shutDown()
}

// MARK: - Serving calls

extension PluginInstance {
    func serve(call: OpaquePointer, kind: manifold_kind, name: String, input: [UInt8]) -> manifold_status {
        let context = CallContext(plugin: self, call: call, host: host, name: name)
        let key = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(call)))
        calls.withLock { $0[key] = context }
        let outcome: (manifold_status, [UInt8])
        switch kind {
        case MANIFOLD_KIND_TOOL: outcome = callTool(name, input, context)
        case MANIFOLD_KIND_RESOURCE: outcome = readResource(name, context)
        case MANIFOLD_KIND_PROMPT: outcome = getPrompt(name, input, context)
        case MANIFOLD_KIND_COMPLETION: outcome = complete(name, input, context)
        default:
            calls.withLock { $0[key] = nil }
            return MANIFOLD_ERR_UNSUPPORTED
        }
        calls.withLock { $0[key] = nil }
        context.complete(outcome.0, outcome.1)
        return MANIFOLD_OK
    }

    private func failure(_ status: manifold_status, _ message: String) -> (manifold_status, [UInt8]) {
        (status, Array(message.utf8))
    }

    private func success(_ json: JSON) -> (manifold_status, [UInt8]) { (MANIFOLD_OK, json.bytes) }

    /// A handler error as a protocol-level outcome.
    private func thrown(_ error: any Error, _ context: CallContext) -> (manifold_status, [UInt8]) {
        if error is CancellationError { return failure(MANIFOLD_ERR_CANCELLED, "cancelled") }
        if let error = error as? PluginError { return failure(error.status, error.description) }
        if let error = error as? ArgumentError { return failure(MANIFOLD_ERR_INVALID_ARGUMENTS, error.description) }
        return failure(MANIFOLD_ERR_INTERNAL, describeError(error))
    }

    private func parseInput(_ input: [UInt8]) throws(PluginError) -> JSONObject {
        if input.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return [:] }
        let json: JSON
        do { json = try JSON(parsing: input) } catch {
            throw PluginError.invalidArguments("arguments are not valid JSON: \(error)")
        }
        switch json {
        case .object(let object): return object
        case .null: return [:]
        default: throw PluginError.invalidArguments("arguments must be a JSON object, not \(json.kindDescription)")
        }
    }

    private func callTool(_ name: String, _ input: [UInt8], _ context: CallContext) -> (manifold_status, [UInt8]) {
        guard let tool = catalog.withLock({ $0.tools.first { $0.name == name } }) else {
            return failure(MANIFOLD_ERR_NOT_FOUND, "Unknown tool: \(name)")
        }
        let arguments: JSONObject
        do { arguments = try parseInput(input) } catch { return failure(error.status, error.description) }
        do {
            let result = try tool.invoke(.object(arguments), context)
            return success(result.json)
        } catch is CancellationError {
            return failure(MANIFOLD_ERR_CANCELLED, "cancelled")
        } catch {
            return success(ToolResult.error(describeError(error)).json)
        }
    }

    private func readResource(_ uri: String, _ context: CallContext) -> (manifold_status, [UInt8]) {
        let (resource, templates) = catalog.withLock { ($0.resources.first { $0.uri == uri }, $0.templates) }
        do {
            if let resource {
                return success(try resource.read(context).json(uri: uri, mimeType: resource.mimeType))
            }
            for template in templates {
                guard let parsed = try? template.template.get(), let variables = parsed.match(uri) else { continue }
                let result = try template.read(ResourceRequest(uri: uri, variables: variables), context)
                return success(result.json(uri: uri, mimeType: template.mimeType))
            }
        } catch {
            return thrown(error, context)
        }
        return failure(MANIFOLD_ERR_NOT_FOUND, "Resource not found: \(uri)")
    }

    private func getPrompt(_ name: String, _ input: [UInt8], _ context: CallContext) -> (manifold_status, [UInt8]) {
        guard let prompt = catalog.withLock({ $0.prompts.first { $0.name == name } }) else {
            return failure(MANIFOLD_ERR_NOT_FOUND, "Unknown prompt: \(name)")
        }
        var arguments: [String: String] = [:]
        do throws(PluginError) {
            for (key, value) in try parseInput(input) {
                switch value {
                case .null: continue
                case .string(let s): arguments[key] = s
                case .bool, .int, .double: arguments[key] = value.description
                case .array, .object:
                    throw PluginError.invalidArguments("prompt argument '\(key)' must be a string, not \(value.kindDescription)")
                }
            }
        } catch {
            return failure(error.status, error.description)
        }
        for argument in prompt.arguments where argument.required && arguments[argument.name] == nil {
            return failure(MANIFOLD_ERR_INVALID_ARGUMENTS, "Missing required argument '\(argument.name)' for prompt '\(name)'")
        }
        do {
            return success(try prompt.handler(arguments, context).json)
        } catch {
            return thrown(error, context)
        }
    }

    private func complete(_ name: String, _ input: [UInt8], _ context: CallContext) -> (manifold_status, [UInt8]) {
        let params: JSONObject
        do { params = try parseInput(input) } catch { return failure(error.status, error.description) }
        let ref = params["ref"]
        let completer: (@Sendable (CompletionRequest, CallContext) throws -> Completion)?
        if ref?["type"]?.stringValue == "ref/resource" {
            guard let template = catalog.withLock({ $0.templates.first { $0.uriTemplate == name } }) else {
                return failure(MANIFOLD_ERR_NOT_FOUND, "Unknown resource template: \(name)")
            }
            completer = template.complete
        } else {
            guard let prompt = catalog.withLock({ $0.prompts.first { $0.name == name } }) else {
                return failure(MANIFOLD_ERR_NOT_FOUND, "Unknown prompt: \(name)")
            }
            completer = prompt.complete
        }
        guard let completer else { return success(Completion.none.json) }
        guard let argument = params["argument"]?["name"]?.stringValue else {
            return failure(MANIFOLD_ERR_INVALID_ARGUMENTS, "completion request without argument.name")
        }
        var contextArguments: [String: String] = [:]
        for (key, value) in params["context"]?["arguments"]?.objectValue ?? [:] {
            if let s = value.stringValue { contextArguments[key] = s }
        }
        let request = CompletionRequest(argument: argument, value: params["argument"]?["value"]?.stringValue ?? "",
                                        context: contextArguments, params: .object(params))
        do {
            return success(try completer(request, context).json)
        } catch {
            return thrown(error, context)
        }
    }
}
