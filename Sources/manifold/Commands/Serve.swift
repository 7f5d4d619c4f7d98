import ArgumentParser
import ManifoldCore
import ManifoldServer

/// `manifold serve <manifest>`: serve the composition on the manifest's endpoints (stdio by
/// default).
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a host manifest as one MCP endpoint (stdio by default).")

    @OptionGroup var host: HostOptions

    func run() throws {
        // Before any plugin loads: stdout carries MCP frames only.
        let protocolFD = ProtocolStdout.claim()
        let loaded = try LoadedHost.load(host)
        let dispatcher = Dispatcher(identity: loaded.identity, logger: loaded.logger)
        let stdio = loaded.endpoints.filter { if case .stdio = $0.transport { return true } else { return false } }
        guard let endpoint = stdio.first else {
            throw CommandFailure("\(loaded.manifest.file) declares no stdio endpoint; HTTP endpoints are not available in this build")
        }
        let view = loaded.composition.view(filter: try loaded.filter(of: endpoint))
        let surface = view.current
        loaded.logger.info("serving \(surface.entries(.tool).count) tools on stdio")
        StdioEndpoint(dispatcher: dispatcher, view: view, output: protocolFD, logger: loaded.logger).run()
    }
}
