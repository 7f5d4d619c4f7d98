/// What a request's `Accept` header allows the server to answer with, as far as MCP cares.
///
/// Lenient by design (docs/HTTP.md): no `Accept` header, `*/*`, `application/*` and `text/*`
/// count as accepting the corresponding forms, so `curl` works without ceremony. Spec-following
/// clients send `application/json, text/event-stream` and get exactly the spec's behaviour.
struct AcceptedMedia: Equatable {
    var json: Bool
    var sse: Bool

    init(json: Bool, sse: Bool) {
        self.json = json
        self.sse = sse
    }

    init(_ header: String?) {
        // What SDK clients send, recognised without splitting.
        if header == "application/json, text/event-stream" || header == "text/event-stream, application/json" {
            self.init(json: true, sse: true)
            return
        }
        guard let header, !header.allSatisfy({ $0 == " " }) else {
            self.init(json: true, sse: true)
            return
        }
        var json = false
        var sse = false
        for range in header.split(separator: ",") {
            let type = (range.split(separator: ";", maxSplits: 1).first ?? "").lowercased().trimmingSpaces
            switch type {
            case "application/json": json = true
            case "text/event-stream": sse = true
            case "*/*":
                json = true
                sse = true
            case "application/*": json = true
            case "text/*": sse = true
            default: break
            }
        }
        self.init(json: json, sse: sse)
    }
}
