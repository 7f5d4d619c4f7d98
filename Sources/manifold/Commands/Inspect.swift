import ArgumentParser
import ManifoldCore
import ManifoldManifest
import ManifoldProtocol
import ManifoldServer

/// `manifold inspect <manifest>`: the composed tree — each mount with its prefix, mode, filter
/// and state; every exposed name with its tags; what each filter removed and why; and what
/// each endpoint shows.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the composed surface: mounts, exposed names with tags, and what each filter removed.")

    @OptionGroup var host: HostOptions

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    func run() throws {
        let protocolFD = ProtocolStdout.claim()
        let loaded = try LoadedHost.load(host)
        let report = try InspectionReport(loaded)
        var out = StandardOutput(fd: protocolFD)
        if json {
            out.line(report.json.jsonText)
        } else {
            out.write(report.text)
        }
    }
}

/// What `inspect` reports, built once and printed as text or JSON.
struct InspectionReport {
    struct EndpointView {
        var spec: EndpointSpec
        var filter: TagFilter
        var view: SurfaceView
    }

    let loaded: LoadedHost
    let surface: Surface
    let endpoints: [EndpointView]

    init(_ loaded: LoadedHost) throws {
        self.loaded = loaded
        self.surface = loaded.composition.surface
        self.endpoints = try loaded.endpoints.map { spec in
            let filter = try loaded.filter(of: spec)
            return EndpointView(spec: spec, filter: filter,
                                view: SurfaceView(surface: loaded.composition.surface, filter: filter, pageSize: 1 << 30))
        }
    }

    private static func health(of mount: Mount) -> String {
        switch mount.content {
        case .provider(let provider): return provider.health.description
        case .composition(let tree):
            let failing = tree.providers.filter { !$0.health.isReady }
            return failing.isEmpty ? "ready" : "degraded: " + failing.map { "\($0.displayName) \($0.health)" }.joined(separator: "; ")
        }
    }

    private static func transport(_ spec: EndpointSpec) -> String {
        switch spec.transport {
        case .stdio: return "stdio"
        case .http(let http): return "http \(http.listen)\(http.path)\(http.stateless ? " (stateless)" : "")"
        }
    }

    /// Exposed components grouped by the top-level mount they came through.
    private func exposed(by mount: Mount) -> [ExposedComponent] {
        ComponentKind.allCases.flatMap { kind in surface[kind].filter { $0.origin.last == mount.label } }
    }

    private func removed(by mount: Mount) -> [RemovedComponent] {
        surface.removed.filter { $0.origin.last == mount.label }
    }

    var text: String {
        var s = "host \(loaded.manifest.file)\n"
        s += "  server \(loaded.manifest.server.name) \(loaded.manifest.server.version), separator '\(loaded.manifest.separator)'\n"
        for mount in loaded.assembly.tree.mounts {
            s += "\nmount \(mount.label)\n"
            s += "  prefix: \(mount.prefix ?? "(none)")   mode: \(mount.mode.rawValue)   filter: \(mount.filter)   state: \(Self.health(of: mount))\n"
            for entry in exposed(by: mount) {
                let tags = entry.component.tags.sorted().joined(separator: ", ")
                let via = entry.origin.count > 1 ? "   via " + entry.origin.dropLast().joined(separator: " ← ") : ""
                s += "  \(pad(entry.component.kind.description, 18)) \(pad(entry.name, 40)) [\(tags)]\(via)\n"
            }
            for removed in removed(by: mount) {
                s += "  removed \(removed.kind) '\(removed.name)': \(removed.reason)\n"
            }
        }
        for endpoint in endpoints {
            s += "\nendpoint \(Self.transport(endpoint.spec))   filter: \(endpoint.filter)\n"
            let counts = ComponentKind.allCases.map { "\(endpoint.view.entries($0).count) \($0)s" }
            s += "  shows \(counts.joined(separator: ", "))\n"
            for kind in ComponentKind.allCases {
                for entry in surface[kind] where endpoint.view.lookup(kind, entry.name) == nil {
                    s += "  hides \(kind) '\(entry.name)': \(endpoint.filter.removalReason(entry.component.tags) ?? "filtered")\n"
                }
            }
        }
        if !loaded.assembly.problems.isEmpty {
            s += "\nproblems\n"
            for problem in loaded.assembly.problems { s += "  \(problem)\n" }
        }
        return s
    }

    var json: JSONValue {
        func component(_ entry: ExposedComponent) -> JSONValue {
            ["kind": .string(entry.component.kind.description), "name": .string(entry.name),
             "tags": .array(entry.component.tags.sorted().map(JSONValue.string)),
             "origin": .array(entry.origin.map(JSONValue.string))]
        }
        let mounts: [JSONValue] = loaded.assembly.tree.mounts.map { mount in
            [
                "label": .string(mount.label), "prefix": mount.prefix.map(JSONValue.string) ?? .null,
                "mode": .string(mount.mode.rawValue), "filter": .string(mount.filter.description),
                "state": .string(Self.health(of: mount)),
                "components": .array(exposed(by: mount).map(component)),
                "removed": .array(removed(by: mount).map { r in
                    ["kind": .string(r.kind.description), "name": .string(r.name), "reason": .string(r.reason)]
                }),
            ]
        }
        let endpoints: [JSONValue] = self.endpoints.map { e in
            var visible = JSONObject()
            for kind in ComponentKind.allCases {
                visible[kind.listField] = .array(e.view.entries(kind).map { .string($0.name) })
            }
            return ["transport": .string(Self.transport(e.spec)), "filter": .string(e.filter.description),
                    "visible": .object(visible)]
        }
        return ["manifest": .string(loaded.manifest.file), "mounts": .array(mounts), "endpoints": .array(endpoints),
                "problems": .array(loaded.assembly.problems.map(JSONValue.string))]
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
