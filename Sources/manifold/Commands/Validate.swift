import ArgumentParser
import ManifoldServer

/// `manifold validate <manifest>`: load everything the manifest names, build the composition,
/// and report every problem. Exit status 1 when there is any.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a host manifest, its plugins and its composition; exit 1 on any problem.")

    @OptionGroup var host: HostOptions

    func run() throws {
        let protocolFD = ProtocolStdout.claim()
        let loaded = try LoadedHost.load(host)
        for endpoint in loaded.endpoints { _ = try loaded.filter(of: endpoint) }
        let problems = loaded.assembly.problems
        let surface = loaded.composition.surface
        let out = TextOutput(fd: protocolFD)
        if problems.isEmpty {
            out.line("\(loaded.manifest.file): ok — \(surface[.tool].count) tools, \(surface[.resource].count) resources, \(surface[.resourceTemplate].count) resource templates, \(surface[.prompt].count) prompts")
            return
        }
        for problem in problems { out.line("error: \(problem)") }
        throw ExitCode(1)
    }
}
