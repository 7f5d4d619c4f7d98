import Foundation
import Yams

/// One manifest file, read and composed into a YAML node tree (JSON is YAML too), with the
/// paths the readers need: the name to show in errors and the folder to resolve against.
struct ManifestDocument {
    /// The path as the caller gave it; errors and locations use it.
    let displayPath: String
    /// The absolute, normalized path; the model's `file`.
    let absolutePath: String
    let root: Node

    var directory: String { ManifestPaths.directory(of: absolutePath) }

    var rootReader: YAMLNodeReader { YAMLNodeReader(node: root, path: .root, file: displayPath) }

    /// Resolves a path written in this manifest.
    func resolve(_ path: String) -> String { ManifestPaths.absolute(path, relativeTo: directory) }

    static func read(path: String) throws(ManifestError) -> ManifestDocument {
        let absolute = ManifestPaths.absolute(path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) else {
            throw ManifestError(file: path, line: 0, column: 0, keyPath: "", message: "file not found")
        }
        guard !isDirectory.boolValue else {
            throw ManifestError(file: path, line: 0, column: 0, keyPath: "",
                                message: "is a folder, not a manifest file")
        }
        guard let data = FileManager.default.contents(atPath: absolute) else {
            throw ManifestError(file: path, line: 0, column: 0, keyPath: "", message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ManifestError(file: path, line: 0, column: 0, keyPath: "", message: "the file is not valid UTF-8")
        }
        return try parse(text: text, displayPath: path, absolutePath: absolute)
    }

    static func parse(text: String, displayPath: String, absolutePath: String)
        throws(ManifestError) -> ManifestDocument {
        // libyaml is told the encoding, so it does not skip a byte order mark itself.
        let text = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        let root: Node?
        do {
            root = try Yams.compose(yaml: text, YAMLCoreSchema.resolver)
        } catch {
            throw syntaxError(error, file: displayPath, text: text)
        }
        guard let root else {
            throw ManifestError(file: displayPath, line: 1, column: 1, keyPath: "", message: "the manifest is empty")
        }
        return ManifestDocument(displayPath: displayPath, absolutePath: absolutePath, root: root)
    }

    /// Yams' errors as manifest errors: libyaml's problem at libyaml's position.
    static func syntaxError(_ error: any Error, file: String, text: String) -> ManifestError {
        func located(_ mark: Mark, _ message: String) -> ManifestError {
            ManifestError(file: file, line: mark.line, column: mark.column, keyPath: "", message: message)
        }
        func unlocated(_ message: String, line: Int = 1, column: Int = 1) -> ManifestError {
            ManifestError(file: file, line: line, column: column, keyPath: "", message: message)
        }
        func explain(_ problem: String, _ context: YamlError.Context?) -> String {
            guard let context else { return "invalid YAML: \(problem)" }
            let mark = context.mark
            return "invalid YAML: \(problem) (\(context.text) at line \(mark.line), column \(mark.column))"
        }
        guard let yamlError = error as? YamlError else {
            return unlocated("invalid YAML: \(error)")
        }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            if problem == "but found another document" {
                return located(mark, "invalid YAML: a manifest is one YAML document, found a second one")
            }
            return located(mark, explain(problem, context))
        case .reader(let problem, let offset, _, _):
            let (line, column) = position(ofCharacterOffset: offset ?? 0, in: text)
            return unlocated("invalid YAML: \(problem)", line: line, column: column)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let names = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return located(context.mark, "duplicate key \(names) in the same mapping")
        case .dataCouldNotBeDecoded:
            return ManifestError(file: file, line: 0, column: 0, keyPath: "", message: "the file is not valid UTF-8")
        default:
            return ManifestError(file: file, line: 1, column: 1, keyPath: "", message: "invalid YAML: \(yamlError)")
        }
    }

    private static func position(ofCharacterOffset offset: Int, in text: String) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for character in text.prefix(offset) {
            if character == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }
}
