import Foundation
import Testing
@testable import ManifoldManifest

/// The complete examples in docs/MANIFESTS.md load: the reference says what the loader does.
@Suite struct ReferenceExampleTests {
    static let reference = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/MANIFESTS.md").path

    /// Fenced ```yaml blocks that are whole manifests (they start with `kind:`), and ```json blocks.
    static func examples() -> [String] {
        guard let text = try? String(contentsOfFile: reference, encoding: .utf8) else { return [] }
        var examples: [String] = []
        var current: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line == "```yaml" || line == "```json" {
                current = ""
            } else if let block = current, line == "```" {
                if block.hasPrefix("kind:") || block.hasPrefix("{") { examples.append(block) }
                current = nil
            } else if current != nil {
                current! += line + "\n"
            }
        }
        return examples
    }

    @Test func referenceHasCompleteExamples() {
        #expect(Self.examples().count >= 5)
    }

    @Test(arguments: examples())
    func everyCompleteExampleInTheReferenceLoads(_ example: String) throws {
        if example.contains("kind: plugin") || example.contains("kind: ffi") {
            _ = try ManifestLoader.parsePlugin(yaml: example, file: "/docs/example.plugin.yaml")
        } else {
            _ = try ManifestLoader.parseHost(yaml: example, file: "/docs/example.yaml")
        }
    }
}
