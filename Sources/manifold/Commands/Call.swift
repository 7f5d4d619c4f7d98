import ArgumentParser
import Dispatch
import ManifoldCore
import ManifoldProtocol
import ManifoldServer

/// `manifold call <manifest> <tool> '<json>'`: call one tool once, for scripts and shells.
/// Prints the text content of the result (or the whole result with `--json`); exits 1 when the
/// result is an error.
struct Call: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Call one tool of a composition and print its result.")

    @OptionGroup var host: HostOptions

    @Argument(help: "The exposed tool name (with its prefix).")
    var tool: String

    @Argument(help: "The arguments as a JSON object.")
    var arguments: String = "{}"

    @Flag(name: .long, help: "Print the whole CallToolResult as JSON.")
    var json = false

    func run() throws {
        let protocolFD = ProtocolStdout.claim()
        let loaded = try LoadedHost.load(host)
        guard case .object = try? JSONValue.parse(arguments) else {
            throw CommandFailure("arguments must be a JSON object, got: \(arguments)")
        }
        let view = loaded.composition.view(filter: try loaded.filter(of: loaded.endpoints[0])).current
        guard let entry = view.lookup(.tool, tool) else {
            let names = view.entries(.tool).map(\.name)
            throw CommandFailure("no tool '\(tool)' in \(loaded.manifest.file); tools: \(names.joined(separator: ", "))")
        }
        let box = OutcomeBox()
        let request = ProviderRequest(kind: .callTool, name: entry.route.localName, input: Array(arguments.utf8)[...])
        entry.route.provider.invoke(request, context: DetachedCallContext()) { box.set($0) }
        let out = TextOutput(fd: protocolFD)
        switch box.wait() {
        case .result(let bytes):
            let result = (try? JSONValue.parse(bytes)) ?? .null
            if json {
                out.line(String(decoding: bytes, as: UTF8.self))
            } else {
                for block in result["content"]?.arrayValue ?? [] {
                    if let text = block["text"]?.stringValue { out.line(text) } else { out.line(block.jsonText) }
                }
            }
            if result["isError"]?.boolValue == true { throw ExitCode(1) }
        case .failure(let error):
            throw CommandFailure("\(tool): \(error)")
        case .cancelled:
            throw CommandFailure("\(tool): cancelled")
        }
    }
}

/// Waits for one outcome from another thread.
final class OutcomeBox: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private var outcome: CallOutcome?

    func set(_ outcome: CallOutcome) {
        self.outcome = outcome
        semaphore.signal()
    }

    func wait() -> CallOutcome {
        semaphore.wait()
        return outcome!
    }
}
