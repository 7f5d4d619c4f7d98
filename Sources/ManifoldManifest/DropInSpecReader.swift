/// Reads one entry of a host manifest's `dropIns` list into a `DropInSpec` (docs/RELOAD.md).
enum DropInSpecReader {
    static let keys = ["folder", "prefix", "mode", "includeTags", "excludeTags", "filter", "addTags", "execution"]

    static func read(_ reader: YAMLNodeReader, in document: ManifestDocument) throws(ManifestError) -> DropInSpec {
        let map = try reader.mapping(allowing: keys)
        let folder = try map.required("folder").nonEmptyString()
        let prefix = try map["prefix"]?.string(
            satisfying: isPrefixTemplate,
            "is not a valid prefix template: letters, digits, '_', '.', '-' and '{id}' (the plugin's id), or \"\" for none")
            ?? "{id}"
        return DropInSpec(
            folder: document.resolve(folder),
            prefix: prefix,
            mode: try map["mode"]?.choice(MountMode.self) ?? .mount,
            filter: try TagFilterReader.read(map),
            addTags: try map["addTags"]?.stringList() ?? [],
            execution: try map["execution"]?.choice(ExecutionMode.self),
            location: reader.location
        )
    }

    /// A prefix template: empty, or a name once every `{id}` is replaced by a valid id.
    static func isPrefixTemplate(_ text: String) -> Bool {
        if text.isEmpty { return true }
        let sample = text.replacing("{id}", with: "x")
        return !sample.contains("{") && !sample.contains("}") && ManifestRules.isName(sample)
    }
}
