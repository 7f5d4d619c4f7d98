import ManifoldCore
import ManifoldProtocol
import NIOHTTP1

/// Answers the liveness and readiness probes, before the Host/Origin guard and authentication
/// (orchestrators probe by IP address and carry no credentials):
/// - `GET /healthz` → `200 ok`: the process is up and its event loops answer.
/// - `GET /readyz` → `200 {"ready":true,"failing":[]}` when every mount's provider is
///   serving, else `503 {"ready":false,"failing":[{"mount":…,"health":…}]}` naming each
///   failing or starting mount (`Surface.unhealthy`).
/// Everything else passes (nil). A step of `RequestGate`.
struct HealthProbes {
    /// The providers that are not serving, with their mount label (read per probe).
    let unhealthy: @Sendable () -> [(label: String, health: ProviderHealth)]

    func answer(_ request: HTTPRequest) -> HTTPAnswer? {
        guard request.head.method == .GET else { return nil }
        switch request.path {
        case "/healthz":
            return .text(.ok, "ok\n")
        case "/readyz":
            let failing = unhealthy()
            var w = JSONWriter(capacity: 64)
            w.raw("{\"ready\":")
            w.bool(failing.isEmpty)
            w.raw(",\"failing\":[")
            for (i, entry) in failing.enumerated() {
                if i > 0 { w.raw(",") }
                w.raw("{\"mount\":")
                w.string(entry.label)
                w.raw(",\"health\":")
                w.string(entry.health.description)
                w.raw("}")
            }
            w.raw("]}\n")
            return HTTPAnswer(status: failing.isEmpty ? .ok : .serviceUnavailable, contentType: "application/json",
                              body: w.bytes)
        default:
            return nil
        }
    }
}
