/// Reads the include/exclude lists and `filter` expression a mount or an endpoint carries.
enum TagFilterReader {
    static func read(_ map: YAMLMappingReader) throws(ManifestError) -> TagFilterSpec {
        TagFilterSpec(
            includeTags: try map["includeTags"]?.stringList() ?? [],
            excludeTags: try map["excludeTags"]?.stringList() ?? [],
            expression: try map["filter"]?.nonEmptyString()
        )
    }
}
