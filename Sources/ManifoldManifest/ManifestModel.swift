import ManifoldProtocol

// The typed form of Manifold's two manifest kinds (DESIGN.md §5). Parsing and validation live
// in ManifestLoader; these are plain values that the CLI turns into a running composition.

/// Where a value came from in a manifest file, for error messages and `inspect`.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The manifest file as the loader was given it (a relative path stays relative).
    public var file: String
    /// 1-based line.
    public var line: Int
    /// 1-based column, counted in Unicode scalars.
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// A tag filter as written in a manifest: include and exclude lists, and/or a boolean
/// expression over tags (`public and not admin`). Empty means "keep everything".
public struct TagFilterSpec: Sendable, Hashable {
    /// Keep a component only if it has at least one of these tags (when non-empty).
    public var includeTags: [String]
    /// Drop a component that has any of these tags.
    public var excludeTags: [String]
    /// A boolean expression over tags: `and`, `or`, `not`, parentheses, tag names.
    public var expression: String?

    public init(includeTags: [String] = [], excludeTags: [String] = [], expression: String? = nil) {
        self.includeTags = includeTags
        self.excludeTags = excludeTags
        self.expression = expression
    }

    public var isEmpty: Bool { includeTags.isEmpty && excludeTags.isEmpty && expression == nil }
}

/// How a plugin runs (DESIGN.md §3).
public enum ExecutionMode: String, Sendable, Hashable, CaseIterable {
    /// Loaded into the host process: lowest latency; a crash takes the host down.
    case inProcess = "in-process"
    /// Loaded by a runner child process; a crash costs only that plugin's in-flight calls.
    case isolated
}

/// Resource limits for a plugin (applied to isolated runners).
public struct PluginLimits: Sendable, Hashable {
    public var addressSpaceMB: Int?
    public var cpuSeconds: Int?
    public var callTimeoutMs: Int?

    public init(addressSpaceMB: Int? = nil, cpuSeconds: Int? = nil, callTimeoutMs: Int? = nil) {
        self.addressSpaceMB = addressSpaceMB
        self.cpuSeconds = cpuSeconds
        self.callTimeoutMs = callTimeoutMs
    }
}

/// A plugin manifest (`kind: plugin`), the file beside a plugin library, named
/// `<anything>.plugin.yaml` (or `.yml` / `.json`).
///
///     kind: plugin
///     id: math
///     version: 1.0.0
///     description: Arithmetic tools.
///     library: libMath.so          # relative to this file, else the host executable's folder
///     sha256: 3a7bd3e2…            # optional pin of the library's contents
///     abi: "1.0"                    # optional: the ABI the library is expected to speak
///     execution: in-process         # or isolated
///     tags: [math]                  # added to every component of the plugin
///     config: { precision: 6 }      # passed to the plugin's init as JSON
///     limits: { callTimeoutMs: 5000 }
public struct PluginManifest: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A library that implements the Manifold plugin ABI.
        case plugin
        /// A plain C library described function by function (libffi bridge).
        case ffi
    }

    public var kind: Kind
    public var id: String
    public var version: String?
    public var description: String?
    /// The library as written in the manifest (a file name or a path).
    public var library: String
    /// Lower-case hex SHA-256 of the library file, when pinned.
    public var sha256: String?
    /// The ABI version the manifest expects, e.g. "1.0" (major.minor).
    public var abi: String?
    /// `nil` when the manifest does not say (native default: in-process; ffi default: isolated).
    public var execution: ExecutionMode?
    public var tags: [String]
    public var config: JSONValue
    public var limits: PluginLimits
    /// For `kind: ffi`: the functions exposed as tools. The raw JSON of each entry; the ffi
    /// bridge interprets it.
    public var functions: [JSONValue]
    /// For `kind: ffi`: where each entry of `functions` starts (same order), so that the ffi
    /// bridge's errors can point at the entry.
    public var functionLocations: [SourceLocation] = []
    /// The manifest file this was read from (absolute path).
    public var file: String
    /// Where the manifest's `id` value is written.
    public var location: SourceLocation

    public init(kind: Kind, id: String, version: String? = nil, description: String? = nil,
                library: String, sha256: String? = nil, abi: String? = nil,
                execution: ExecutionMode? = nil, tags: [String] = [], config: JSONValue = .object([:]),
                limits: PluginLimits = PluginLimits(), functions: [JSONValue] = [],
                file: String, location: SourceLocation) {
        self.kind = kind
        self.id = id
        self.version = version
        self.description = description
        self.library = library
        self.sha256 = sha256
        self.abi = abi
        self.execution = execution
        self.tags = tags
        self.config = config
        self.limits = limits
        self.functions = functions
        self.file = file
        self.location = location
    }

    /// The execution mode after defaults: ffi plugins are isolated unless they opt in.
    public var effectiveExecution: ExecutionMode {
        execution ?? (kind == .ffi ? .isolated : .inProcess)
    }
}

/// What a mount brings into the composition.
public enum MountSource: Sendable, Hashable {
    /// A plugin, by id (found in the host's plugin folders) or by path to its manifest.
    case plugin(String)
    /// Another host manifest, composed as a unit (nested composition), by path.
    case manifest(String)
    /// A remote MCP server over stdio: a command line to spawn.
    case remoteCommand(command: String, args: [String], env: [String: String], cwd: String?)
    /// A remote MCP server over Streamable HTTP (or legacy SSE when `sse` is true); `tls` adjusts
    /// how an `https://` server is trusted (nil: the system's trust store, no client certificate).
    case remoteURL(url: String, headers: [String: String], bearerTokenEnv: String?, sse: Bool, tls: RemoteTLS? = nil)
    /// A Claude Desktop / Cursor `mcpServers` JSON file: each server under its key as prefix.
    case mcpServers(String)
}

/// A remote mount's `tls`: how Manifold, as a client, trusts an `https://` server and proves who
/// it is. Paths are absolute (resolved against the manifest's folder when read).
///
///     remote:
///       url: https://tools.internal:8443/mcp
///       tls:
///         caFile: ./internal-ca.pem        # trust these CAs instead of the system's
///         certificate: ./client.pem        # a client certificate (mutual TLS) ...
///         key: ./client.key                # ... and its private key
public struct RemoteTLS: Sendable, Hashable {
    /// PEM file of the certificate authorities to trust instead of the system's trust store.
    public var caFile: String?
    /// PEM certificate chain presented to the server (mutual TLS); set together with `key`.
    public var certificate: String?
    /// PEM private key of `certificate`.
    public var key: String?

    public init(caFile: String? = nil, certificate: String? = nil, key: String? = nil) {
        self.caFile = caFile
        self.certificate = certificate
        self.key = key
    }
}

/// Mount (live) or import (snapshot at compose time), DESIGN.md §6.
public enum MountMode: String, Sendable, Hashable, CaseIterable {
    case mount
    case `import`
}

/// One entry of a host manifest's `mounts` list.
///
///     mounts:
///       - plugin: math
///         prefix: math
///         mode: mount                 # or import
///         includeTags: [public]
///         excludeTags: [admin]
///         filter: "public and not admin"
///         rename: { add: plus }       # tool/prompt renames, before the prefix
///         descriptions: { add: "Adds two integers." }
///         fixedArguments: { round: { digits: 2 } }   # hidden from the schema, merged into calls
///         tools: { allow: ["*"], deny: [admin_*] }   # by the tools' own names
///         addTags: [demo]
///         timeoutMs: 30000            # per-call deadline for remote backends
public struct MountSpec: Sendable, Hashable {
    public var source: MountSource
    public var prefix: String?
    public var mode: MountMode
    public var filter: TagFilterSpec
    public var rename: [String: String]
    public var addTags: [String]
    /// Per-call timeout, for remote backends.
    public var timeoutMs: Int?
    /// For `mcpServers` groups: per-server overrides, keyed by server name (raw JSON object).
    public var options: JSONValue
    /// Where the mount's entry starts in the host manifest.
    public var location: SourceLocation
    /// Description overrides for tools and prompts, by their own name (`descriptions`).
    public var descriptions: [String: String] = [:]
    /// Arguments fixed per tool, by the tool's own name (`fixedArguments`): hidden from its
    /// schema and merged into every call.
    public var fixedArguments: [String: JSONObject] = [:]
    /// Tool allow/deny lists (`tools`), by the tools' own names.
    public var tools = ToolSelectionSpec()
    /// For `mcpServers` mounts: `options.servers`, per server name.
    public var servers: [String: MCPServerOptions] = [:]

    public init(source: MountSource, prefix: String? = nil, mode: MountMode = .mount,
                filter: TagFilterSpec = TagFilterSpec(), rename: [String: String] = [:],
                addTags: [String] = [], timeoutMs: Int? = nil, options: JSONValue = .object([:]),
                location: SourceLocation) {
        self.source = source
        self.prefix = prefix
        self.mode = mode
        self.filter = filter
        self.rename = rename
        self.addTags = addTags
        self.timeoutMs = timeoutMs
        self.options = options
        self.location = location
    }
}

/// An HTTP listener declared in a host manifest.
public struct HTTPEndpointSpec: Sendable, Hashable {
    /// `host:port`, e.g. "127.0.0.1:8080" (port 0 = any free port).
    public var listen: String
    /// The MCP path, default "/mcp".
    public var path: String
    public var stateless: Bool
    /// Extra settings (origins, auth, TLS, limits) as raw JSON; the HTTP endpoint reads them.
    public var settings: JSONValue

    public init(listen: String, path: String = "/mcp", stateless: Bool = false,
                settings: JSONValue = .object([:])) {
        self.listen = listen
        self.path = path
        self.stateless = stateless
        self.settings = settings
    }
}

/// One endpoint of a host manifest: where the composed surface is served, and which slice.
///
///     endpoints:
///       - stdio: {}
///         excludeTags: [admin]
///       - http: { listen: "127.0.0.1:8080", path: /mcp }
///         filter: "public"
public struct EndpointSpec: Sendable, Hashable {
    public enum Transport: Sendable, Hashable {
        case stdio
        case http(HTTPEndpointSpec)
    }

    public var transport: Transport
    public var filter: TagFilterSpec
    /// Where the endpoint's entry starts (for the default stdio endpoint: the document start).
    public var location: SourceLocation

    public init(transport: Transport, filter: TagFilterSpec = TagFilterSpec(), location: SourceLocation) {
        self.transport = transport
        self.filter = filter
        self.location = location
    }
}

/// Server identity announced in `initialize`.
public struct ServerInfoSpec: Sendable, Hashable {
    public var name: String
    public var version: String
    public var title: String?
    public var description: String?
    public var websiteUrl: String?
    public var instructions: String?

    public init(name: String = "manifold", version: String = "0.1.0", title: String? = nil,
                description: String? = nil, websiteUrl: String? = nil, instructions: String? = nil) {
        self.name = name
        self.version = version
        self.title = title
        self.description = description
        self.websiteUrl = websiteUrl
        self.instructions = instructions
    }
}

/// A host manifest (`kind: host`, the default): the composition and where it is served.
///
///     kind: host
///     server: { name: workbench, version: 1.0.0, instructions: "…" }
///     separator: "_"
///     pageSize: 500
///     pluginFolders: [../Plugins, ./plugins]
///     dropIns: [ { folder: ./drop-ins, prefix: "{id}" } ]   # every plugin found there is mounted
///     discovery: runner           # or off (docs/RELOAD.md)
///     watch: true                 # reload on file changes (docs/RELOAD.md)
///     mounts: [ … ]
///     endpoints: [ … ]           # default: one stdio endpoint, no filter
public struct HostManifest: Sendable, Hashable {
    public var server: ServerInfoSpec
    /// Between prefix and name for tools and prompts. Default "_".
    public var separator: String
    /// Items per `*/list` page. Default 500.
    public var pageSize: Int
    /// Folders searched for plugin manifests (absolute paths after loading).
    public var pluginFolders: [String]
    public var mounts: [MountSpec]
    public var endpoints: [EndpointSpec]
    /// When two mounts expose the same name: `error` (default) refuses the composition;
    /// `first` / `last` keep that mount's component and log the other.
    public var onCollision: CollisionPolicy
    /// The manifest file this was read from (absolute path).
    public var file: String
    /// Folders whose every plugin is mounted by a rule (docs/RELOAD.md).
    public var dropIns: [DropInSpec] = []
    /// Whether a library the host has not seen is first loaded in a runner child process.
    public var discovery: DiscoveryMode = .runner
    /// Whether `serve` watches the manifest, the plugin folders and the libraries, and reloads.
    public var watch: Bool = true

    public enum CollisionPolicy: String, Sendable, Hashable, CaseIterable {
        case error
        case first
        case last
    }

    /// `discovery:` — how libraries are vetted before they are loaded in-process.
    public enum DiscoveryMode: String, Sendable, Hashable, CaseIterable {
        /// A `manifold runner --discover` child loads a new library first; a crash refuses it.
        case runner
        /// Libraries are loaded in-process directly.
        case off
    }

    public init(server: ServerInfoSpec = ServerInfoSpec(), separator: String = "_", pageSize: Int = 500,
                pluginFolders: [String] = [], mounts: [MountSpec] = [], endpoints: [EndpointSpec] = [],
                onCollision: CollisionPolicy = .error, file: String) {
        self.server = server
        self.separator = separator
        self.pageSize = pageSize
        self.pluginFolders = pluginFolders
        self.mounts = mounts
        self.endpoints = endpoints
        self.onCollision = onCollision
        self.file = file
    }
}

/// One entry of a host manifest's `dropIns`: a folder whose every plugin manifest
/// (`*.plugin.yaml|yml|json`, in the folder or one subfolder down) is mounted by this rule, and
/// mounted, reloaded or unmounted as files appear, change or go (docs/RELOAD.md).
///
///     dropIns:
///       - folder: ./drop-ins
///         prefix: "{id}"              # template; {id} is the plugin's id; "" for no prefix
///         excludeTags: [admin]
///         addTags: [dropped]
///         mode: mount
///         execution: isolated         # overrides the plugin manifests' execution
public struct DropInSpec: Sendable, Hashable {
    /// The folder (absolute after loading).
    public var folder: String
    /// The prefix template: `{id}` is replaced by the plugin's id.
    public var prefix: String
    public var mode: MountMode
    public var filter: TagFilterSpec
    public var addTags: [String]
    /// When set, every plugin of the folder runs this way, whatever its manifest says.
    public var execution: ExecutionMode?
    public var location: SourceLocation

    public init(folder: String, prefix: String = "{id}", mode: MountMode = .mount, filter: TagFilterSpec = TagFilterSpec(),
                addTags: [String] = [], execution: ExecutionMode? = nil, location: SourceLocation) {
        self.folder = folder
        self.prefix = prefix
        self.mode = mode
        self.filter = filter
        self.addTags = addTags
        self.execution = execution
        self.location = location
    }

    /// The prefix for a plugin id (nil when the template is empty).
    public func prefix(for id: String) -> String? {
        let prefix = self.prefix.replacing("{id}", with: id)
        return prefix.isEmpty ? nil : prefix
    }
}
