/// Reads Manifold's manifests (DESIGN.md §5) from YAML or JSON files into the typed model,
/// strictly: unknown keys, wrong types, missing keys and invalid values are refused with a
/// `ManifestError` naming the file, line, column and key path.
///
/// Paths written in a manifest are resolved against the manifest's folder and returned
/// absolute (`pluginFolders`, mount `manifest` / `mcpServers` / path-like `plugin`, remote
/// `cwd`); a plugin's `library` stays as written, for the native loader to resolve.
public enum ManifestLoader {
    /// Reads a host manifest (`kind: host`, or no `kind`).
    public static func loadHost(path: String) throws(ManifestError) -> HostManifest {
        try HostManifestReader.read(ManifestDocument.read(path: path))
    }

    /// Reads a plugin manifest (`kind: plugin` or `kind: ffi`).
    public static func loadPlugin(path: String) throws(ManifestError) -> PluginManifest {
        try PluginManifestReader.read(ManifestDocument.read(path: path))
    }

    /// Reads a host manifest from text; `file` names it in errors and is the base for its
    /// relative paths (it need not exist).
    public static func parseHost(yaml: String, file: String) throws(ManifestError) -> HostManifest {
        try HostManifestReader.read(ManifestDocument.parse(
            text: yaml, displayPath: file, absolutePath: ManifestPaths.absolute(file)))
    }

    /// Reads a plugin manifest from text; `file` names it in errors and becomes its `file`.
    public static func parsePlugin(yaml: String, file: String) throws(ManifestError) -> PluginManifest {
        try PluginManifestReader.read(ManifestDocument.parse(
            text: yaml, displayPath: file, absolutePath: ManifestPaths.absolute(file)))
    }
}
