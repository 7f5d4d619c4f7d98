@_exported import CManifoldABI

/// A Manifold plugin: its identity and its components. Declare one as a static constant and
/// hand it to the host from the library's entry function:
///
///     enum TextTools {
///         static let plugin = Plugin(id: "texttools", version: "1.0.0") {
///             Tool("upper", description: "Uppercases text.") { (args: Args, _) in .text(args.text.uppercased()) }
///         }
///     }
///
///     @_cdecl("manifold_plugin_entry_v1")
///     public func manifold_plugin_entry_v1(_ host: UnsafePointer<manifold_host_api_v1>?) -> UnsafePointer<manifold_plugin_v1>? {
///         TextTools.plugin.export(host)
///     }
///
/// One library exports one plugin.
public final class Plugin: Sendable {
    public let id: String
    public let version: String
    /// Whether handlers may run on several host threads at once (the default; handlers are
    /// `@Sendable`). Set false to have the host serialize calls.
    public let concurrentCalls: Bool
    let components: [Component]
    let onInit: (@Sendable (PluginInstance) throws -> Void)?
    let onShutdown: (@Sendable (PluginInstance) -> Void)?

    /// A plugin with components from a builder block.
    ///
    /// - Parameters:
    ///   - onInit: runs once when the host initializes the plugin (config is available; start
    ///     background work with `instance.every`). Throwing refuses the load.
    ///   - onShutdown: runs once when the host shuts the plugin down, after every call completed.
    public init(id: String, version: String, concurrentCalls: Bool = true,
                onInit: (@Sendable (PluginInstance) throws -> Void)? = nil,
                onShutdown: (@Sendable (PluginInstance) -> Void)? = nil,
                @PluginBuilder components: () -> [Component]) {
        self.id = id
        self.version = version
        self.concurrentCalls = concurrentCalls
        self.components = components()
        self.onInit = onInit
        self.onShutdown = onShutdown
    }

    /// A plugin with components from an array.
    public init(id: String, version: String, concurrentCalls: Bool = true,
                onInit: (@Sendable (PluginInstance) throws -> Void)? = nil,
                onShutdown: (@Sendable (PluginInstance) -> Void)? = nil,
                components: [any PluginComponent]) {
        self.id = id
        self.version = version
        self.concurrentCalls = concurrentCalls
        self.components = components.map(\.component)
        self.onInit = onInit
        self.onShutdown = onShutdown
    }

    /// Problems that keep the plugin from loading: schemas that could not be generated, bad URI
    /// templates, duplicate or invalid names. Empty when the plugin is fine.
    public func validate() -> [String] {
        var catalog = Catalog()
        var problems: [String] = []
        for component in components {
            do { try catalog.add(component) } catch { problems.append(error.description) }
        }
        return problems
    }

    /// The JSON array the host gets from `list(kind)` (for tests and `inspect`-style tooling).
    public func listJSON(_ kind: ComponentKind) -> JSON {
        var catalog = Catalog()
        for component in components { try? catalog.add(component) }
        return catalog.list(kind)
    }

    /// Checks the host (ABI major, runtime tag) and the plugin (`validate()`), then returns the
    /// static descriptor, or NULL after explaining the refusal through `host->log`.
    public func export(_ host: UnsafePointer<manifold_host_api_v1>?) -> UnsafePointer<manifold_plugin_v1>? {
        Runtime.export(self, host: host)
    }
}

/// Severity of a log message (the syslog levels MCP uses).
public enum LogLevel: Int32, Sendable, Comparable, CaseIterable {
    case debug = 0, info, notice, warning, error, critical, alert, emergency

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    var abi: manifold_log_level { manifold_log_level(rawValue: UInt32(rawValue)) }
}

/// A protocol-level failure of a resource read, prompt or completion (tools report failures as
/// `isError` results instead). The host turns it into a JSON-RPC error.
public enum PluginError: Error, CustomStringConvertible, Sendable {
    /// Unknown name or URI (resources: -32002; others: -32602).
    case notFound(String)
    /// The request's input is not what the component accepts (-32602).
    case invalidArguments(String)
    /// Anything else (-32603).
    case failed(String)

    public var description: String {
        switch self {
        case .notFound(let m), .invalidArguments(let m), .failed(let m): return m
        }
    }

    var status: manifold_status {
        switch self {
        case .notFound: return MANIFOLD_ERR_NOT_FOUND
        case .invalidArguments: return MANIFOLD_ERR_INVALID_ARGUMENTS
        case .failed: return MANIFOLD_ERR_INTERNAL
        }
    }
}

/// An error whose description is exactly its message: throw it from a tool to get an
/// `isError` result with that text.
public struct ToolError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One loaded instance of a plugin: its configuration and the plugin-level host services. Handlers
/// reach it as `context.plugin`; `onInit` and `onShutdown` receive it.
public final class PluginInstance: @unchecked Sendable {
    public let id: String
    public let version: String
    /// The manifest's `config` object (`{}` when absent).
    public let config: JSON
    let handle: OpaquePointer?
    let host: HostAPI
    let catalog: MutexBox<Catalog>
    let lifecycle = MutexBox(Lifecycle())
    let calls = MutexBox<[UInt: CallContext]>([:])

    struct Lifecycle {
        var initialized = false
        var shutDown = false
        var tasks: [RepeatingTask] = []
    }

    init(plugin: Plugin, host: HostAPI, handle: OpaquePointer?, config: JSON) {
        id = plugin.id
        version = plugin.version
        self.host = host
        self.handle = handle
        self.config = config
        var catalog = Catalog()
        for component in plugin.components { try? catalog.add(component) }
        self.catalog = MutexBox(catalog)
    }

    /// Writes to the host's own log (stderr), attributed to this plugin. Not sent to clients.
    public func log(_ level: LogLevel, _ message: String) {
        lifecycle.withLock { state in
            guard !state.shutDown, let log = host.api.log else { return }
            withBytes(message) { log(handle, level.abi, $0) }
        }
    }

    /// Tells the host the list of `kind` changed; it lists again later and tells clients.
    /// (`add` and `remove` call this themselves.)
    public func notifyListChanged(_ kind: ComponentKind) {
        lifecycle.withLock { state in
            guard state.initialized, !state.shutDown, let notify = host.api.notify_list_changed else { return }
            notify(handle, manifold_kind(rawValue: UInt32(kind.rawValue)))
        }
    }

    /// Tells the host the resource at `uri` (this plugin's own URI) changed; subscribed clients
    /// get `notifications/resources/updated`.
    public func notifyResourceUpdated(_ uri: String) {
        lifecycle.withLock { state in
            guard state.initialized, !state.shutDown, let notify = host.api.notify_resource_updated else { return }
            withBytes(uri) { notify(handle, $0) }
        }
    }

    /// Adds a component at run time (or replaces one of the same kind and name) and announces
    /// the change.
    public func add(_ component: some PluginComponent) throws(SchemaError) {
        let component = component.component
        try catalog.withLock { (catalog: inout Catalog) throws(SchemaError) in
            catalog.remove(component.kind, named: component.name)
            try catalog.add(component)
        }
        notifyListChanged(component.kind)
    }

    /// Removes a component (a tool or prompt by name, a resource by URI, a template by its URI
    /// template) and announces the change. Returns false if there was none.
    @discardableResult
    public func remove(_ kind: ComponentKind, named name: String) -> Bool {
        let removed = catalog.withLock { $0.remove(kind, named: name) }
        if removed { notifyListChanged(kind) }
        return removed
    }

    /// The names of the current components of `kind`.
    public func names(_ kind: ComponentKind) -> [String] {
        catalog.withLock { $0.names(kind) }
    }

    /// Runs `body` every `milliseconds` on a thread of its own until the returned task is
    /// cancelled or the plugin shuts down (shutdown waits for a run in progress).
    @discardableResult
    public func every(milliseconds: Int, _ body: @escaping @Sendable (PluginInstance) -> Void) -> RepeatingTask {
        let task = RepeatingTask()
        let accepted = lifecycle.withLock { state -> Bool in
            guard !state.shutDown else { return false }
            state.tasks.append(task)
            return true
        }
        guard accepted else { task.cancel(); return task }
        let interval = max(1, milliseconds)
        let thread = OSThread.start { [self] in
            while !task.stop.wait(milliseconds: interval) {
                body(self)
            }
        }
        task.thread.value = thread
        return task
    }

    func markInitialized() { lifecycle.withLock { $0.initialized = true } }

    func shutDown() {
        let tasks = lifecycle.withLock { state -> [RepeatingTask] in
            state.shutDown = true
            defer { state.tasks = [] }
            return state.tasks
        }
        for task in tasks { task.cancelAndJoin() }
    }
}

/// The components of an instance, by kind, in declaration order.
struct Catalog: Sendable {
    var tools: [Tool] = []
    var resources: [Resource] = []
    var templates: [ResourceTemplate] = []
    var prompts: [Prompt] = []

    static func validName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && name.utf8.allSatisfy { b in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
                || b == UInt8(ascii: ".")
        }
    }

    mutating func add(_ component: Component) throws(SchemaError) {
        switch component.storage {
        case .tool(let tool):
            guard Catalog.validName(tool.name) else {
                throw SchemaError(message: "tool '\(tool.name)': a name is 1–64 of A–Z a–z 0–9 _ - .")
            }
            guard !tool.description.isEmpty else {
                throw SchemaError(message: "tool '\(tool.name)': the description is empty (clients and the conformance suite expect one)")
            }
            guard !tools.contains(where: { $0.name == tool.name }) else {
                throw SchemaError(message: "tool '\(tool.name)' is declared twice")
            }
            do { _ = try tool.inputSchema.get() } catch {
                throw SchemaError(message: "tool '\(tool.name)': input schema: \(error)")
            }
            if let output = tool.outputSchema {
                do { _ = try output.get() } catch {
                    throw SchemaError(message: "tool '\(tool.name)': output schema: \(error)")
                }
            }
            tools.append(tool)
        case .resource(let resource):
            guard !resource.uri.isEmpty else { throw SchemaError(message: "a resource has an empty URI") }
            guard !resources.contains(where: { $0.uri == resource.uri }) else {
                throw SchemaError(message: "resource '\(resource.uri)' is declared twice")
            }
            resources.append(resource)
        case .template(let template):
            if case .failure(let error) = template.template { throw error }
            guard !templates.contains(where: { $0.uriTemplate == template.uriTemplate }) else {
                throw SchemaError(message: "resource template '\(template.uriTemplate)' is declared twice")
            }
            templates.append(template)
        case .prompt(let prompt):
            guard Catalog.validName(prompt.name) else {
                throw SchemaError(message: "prompt '\(prompt.name)': a name is 1–64 of A–Z a–z 0–9 _ - .")
            }
            guard !prompts.contains(where: { $0.name == prompt.name }) else {
                throw SchemaError(message: "prompt '\(prompt.name)' is declared twice")
            }
            prompts.append(prompt)
        }
    }

    @discardableResult
    mutating func remove(_ kind: ComponentKind, named name: String) -> Bool {
        switch kind {
        case .tool:
            let before = tools.count; tools.removeAll { $0.name == name }; return tools.count != before
        case .resource:
            let before = resources.count; resources.removeAll { $0.uri == name }; return resources.count != before
        case .resourceTemplate:
            let before = templates.count; templates.removeAll { $0.uriTemplate == name }; return templates.count != before
        case .prompt:
            let before = prompts.count; prompts.removeAll { $0.name == name }; return prompts.count != before
        }
    }

    func names(_ kind: ComponentKind) -> [String] {
        switch kind {
        case .tool: return tools.map(\.name)
        case .resource: return resources.map(\.uri)
        case .resourceTemplate: return templates.map(\.uriTemplate)
        case .prompt: return prompts.map(\.name)
        }
    }

    func list(_ kind: ComponentKind) -> JSON {
        switch kind {
        case .tool: return .array(tools.map(\.listJSON))
        case .resource: return .array(resources.map(\.listJSON))
        case .resourceTemplate: return .array(templates.map(\.listJSON))
        case .prompt: return .array(prompts.map(\.listJSON))
        }
    }
}
