import ManifoldManifest

/// libFuzzer target: manifest text (YAML or JSON) → the typed model, as `manifold validate` and
/// `serve` read it. Byte 0 picks the reader (even: host manifest, odd: plugin manifest); the rest
/// is the file's text. Errors (`ManifestError`) are the expected outcome for most inputs; a trap,
/// a crash or a hang is a finding.
///
/// The file name is fixed and its folder does not exist, so paths inside a manifest resolve to
/// nowhere.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data + 1, count: size - 1), as: UTF8.self)
    if data[0] & 1 == 0 {
        _ = try? ManifestLoader.parseHost(yaml: text, file: "/nonexistent-fuzz/host.yaml")
    } else {
        _ = try? ManifestLoader.parsePlugin(yaml: text, file: "/nonexistent-fuzz/plugin.plugin.yaml")
    }
    return 0
}
