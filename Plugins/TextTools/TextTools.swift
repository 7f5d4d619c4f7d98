import ManifoldPluginKit
import Synchronization

// TextTools: a small, real Swift plugin — string tools, a resource, a template and a prompt.

/// The text a tool works on.
struct TextArgs: Decodable, FieldDescribing {
    var text: String
    static let fieldDescriptions = ["text": "The text to work on"]
}

struct SlugifyArgs: Decodable, FieldDescribing {
    var text: String
    var separator: String?
    var maxLength: UInt8?
    static let fieldDescriptions = [
        "text": "The text to turn into a slug",
        "separator": "Put between words (default \"-\")",
        "maxLength": "Cut the slug to at most this many characters",
    ]
}

enum CaseStyle: String, ArgumentEnum {
    case upper, lower, title, snake, camel
}

struct ChangeCaseArgs: Decodable, FieldDescribing {
    var text: String
    var to: CaseStyle
    static let fieldDescriptions = ["text": "The text to convert", "to": "The case to convert to"]
}

/// What `text_stats` returns (also its output schema).
struct TextStats: Codable {
    var characters: Int
    var words: Int
    var lines: Int
    var longestWord: String?
}

/// Memoized slugs; `purge_cache` empties it. Handlers run concurrently, hence the mutex.
let slugCache = Mutex<[String: String]>([:])

func words(_ text: String) -> [Substring] {
    text.split(whereSeparator: { $0.isWhitespace })
}

func slugify(_ text: String, separator: String, maxLength: Int?) -> String {
    var parts: [String] = []
    var current = ""
    for ch in text.lowercased() {
        if ch.isLetter || ch.isNumber, ch.isASCII {
            current.append(ch)
        } else if let folded = asciiFold(ch) {
            current += folded
        } else if !current.isEmpty {
            parts.append(current)
            current = ""
        }
    }
    if !current.isEmpty { parts.append(current) }
    var slug = parts.joined(separator: separator)
    if let maxLength, slug.count > maxLength {
        slug = String(slug.prefix(maxLength))
        while !separator.isEmpty, slug.hasSuffix(separator) { slug.removeLast(separator.count) }
    }
    return slug
}

/// Latin letters with diacritics to ASCII ("é" → "e"); nil for anything else that is not ASCII.
func asciiFold(_ ch: Character) -> String? {
    guard ch.isLetter else { return nil }
    let table: [Character: String] = [
        "à": "a", "á": "a", "â": "a", "ã": "a", "ä": "a", "å": "a", "æ": "ae", "ç": "c", "è": "e", "é": "e",
        "ê": "e", "ë": "e", "ì": "i", "í": "i", "î": "i", "ï": "i", "ñ": "n", "ò": "o", "ó": "o", "ô": "o",
        "õ": "o", "ö": "o", "ø": "o", "ù": "u", "ú": "u", "û": "u", "ü": "u", "ý": "y", "ÿ": "y", "ß": "ss",
        "œ": "oe",
    ]
    return table[ch]
}

func changeCase(_ text: String, to style: CaseStyle) -> String {
    let ws = words(text).map(String.init)
    switch style {
    case .upper: return text.uppercased()
    case .lower: return text.lowercased()
    case .title: return ws.map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }.joined(separator: " ")
    case .snake: return ws.map { $0.lowercased() }.joined(separator: "_")
    case .camel:
        return ws.enumerated().map { i, w in
            i == 0 ? w.lowercased() : w.prefix(1).uppercased() + w.dropFirst().lowercased()
        }.joined()
    }
}

enum TextTools {
    static let plugin = Plugin(id: "texttools", version: "1.0.0") {
        Tool("word_count", description: "Counts the words in a text.", tags: ["public"],
             annotations: .readOnly) { (args: TextArgs, _) in
            "\(words(args.text).count)"
        }

        Tool("upper", description: "Converts a text to upper case.", tags: ["public"],
             annotations: .readOnly) { (args: TextArgs, _) in
            .text(args.text.uppercased())
        }

        Tool("reverse", description: "Reverses a text, character by character.", tags: ["public"],
             annotations: .readOnly) { (args: TextArgs, _) in
            .text(String(args.text.reversed()))
        }

        Tool("slugify", description: "Turns a text into a URL slug (\"Hello, World!\" → \"hello-world\").",
             tags: ["public"], annotations: .readOnly) { (args: SlugifyArgs, _) in
            let separator = args.separator ?? "-"
            let key = "\(separator)\u{0}\(args.maxLength.map(String.init) ?? "")\u{0}\(args.text)"
            if let hit = slugCache.withLock({ $0[key] }) { return .text(hit) }
            let slug = slugify(args.text, separator: separator, maxLength: args.maxLength.map(Int.init))
            slugCache.withLock { $0[key] = slug }
            return .text(slug)
        }

        Tool("change_case", description: "Converts a text to upper, lower, title, snake or camel case.",
             tags: ["public"], annotations: .readOnly) { (args: ChangeCaseArgs, _) in
            .text(changeCase(args.text, to: args.to))
        }

        Tool("text_stats", description: "Counts characters, words and lines of a text.", tags: ["public"],
             annotations: .readOnly, returning: TextStats.self) { (args: TextArgs, _) in
            let ws = words(args.text)
            return TextStats(characters: args.text.count, words: ws.count,
                             lines: args.text.isEmpty ? 0 : args.text.split(separator: "\n", omittingEmptySubsequences: false).count,
                             longestWord: ws.max { $0.count < $1.count }.map(String.init))
        }

        Tool("purge_cache", description: "Empties the slug cache. Administrative.", tags: ["admin"],
             annotations: ToolAnnotations(readOnly: false, destructive: true, idempotent: true, openWorld: false)) { context in
            let purged = slugCache.withLock { cache in defer { cache = [:] }; return cache.count }
            context.plugin.log(.info, "slug cache purged (\(purged) entries)")
            return "Purged \(purged) cached slugs."
        }

        Resource("text://texttools/about", name: "about", title: "About TextTools",
                 description: "What the TextTools plugin offers.", mimeType: "text/plain", tags: ["public"],
                 text: """
                 TextTools — string utilities for Manifold.
                 Tools: word_count, upper, reverse, slugify, change_case, text_stats (public), purge_cache (admin).
                 Template: text://texttools/upper/{word}. Prompt: summarize(text, style?).
                 """)

        ResourceTemplate("text://texttools/upper/{word}", name: "upper-word", title: "Uppercased word",
                         description: "The word in the URI, in upper case.", mimeType: "text/plain",
                         tags: ["public"]) { request, _ in
            .text(request["word"].uppercased())
        }

        Prompt("summarize", title: "Summarize a text", description: "Asks the model to summarize a text.",
               arguments: [.init("text", description: "The text to summarize", required: true),
                           .init("style", description: "brief, detailed or bullet-points")],
               tags: ["public"],
               complete: { request, _ in
                   request.argument == "style" ? .matching(["brief", "detailed", "bullet-points"], prefix: request.value) : .none
               }) { args, _ in
            let style = args["style"] ?? "brief"
            return "Summarize the following text in a \(style) style:\n\n\(args["text"] ?? "")"
        }
    }
}

@_cdecl("manifold_plugin_entry_v1")
public func manifold_plugin_entry_v1(_ host: UnsafePointer<manifold_host_api_v1>?) -> UnsafePointer<manifold_plugin_v1>? {
    TextTools.plugin.export(host)
}
