import Foundation
import Logging
import ManifoldCore
import ManifoldManifest
import ManifoldPlugins

/// A host manifest loaded and composed: what every command starts from.
struct LoadedHost {
    let manifest: HostManifest
    let assembly: HostAssembler.Assembly
    let composition: HostComposition
    let runtime: NativeRuntime
    let logger: Logger

    /// Loads the manifest, loads every mount's source (failures become failed mounts) and
    /// builds the composition strictly. Throws `ValidationError`-style failures with messages
    /// that name the file, line and key, or both colliding sources.
    static func load(_ options: HostOptions) throws -> LoadedHost {
        LogSetup.bootstrap(level: options.logLevel)
        let logger = Logger(label: "manifold")
        let manifest: HostManifest
        do {
            manifest = try ManifestLoader.loadHost(path: options.manifest)
        } catch {
            throw CommandFailure("\(error)")
        }
        let runtime = NativeRuntime(threads: options.threads ?? NativeRuntime.defaultThreads)
        let assembly = HostAssembler(runtime: runtime, logger: logger, runnerExecutable: LibraryLocator.executablePath).assemble(manifest)
        let composition: HostComposition
        do {
            composition = try HostComposition(tree: assembly.tree, pageSize: manifest.pageSize, logger: logger)
        } catch {
            throw CommandFailure("\(manifest.file): \(error)")
        }
        return LoadedHost(manifest: manifest, assembly: assembly, composition: composition, runtime: runtime, logger: logger)
    }

    /// The core filter of an endpoint (already validated when the host loaded).
    func filter(of endpoint: EndpointSpec) throws -> TagFilter {
        do {
            return try HostAssembler.filter(endpoint.filter)
        } catch {
            throw CommandFailure("\(endpoint.location): \(error)")
        }
    }

    /// The endpoints to serve: the manifest's, or one stdio endpoint.
    var endpoints: [EndpointSpec] {
        manifest.endpoints.isEmpty
            ? [EndpointSpec(transport: .stdio, location: SourceLocation(file: manifest.file, line: 0, column: 0))]
            : manifest.endpoints
    }

    var identity: ServerIdentity {
        ServerIdentity(name: manifest.server.name, version: manifest.server.version, title: manifest.server.title,
                       description: manifest.server.description, websiteUrl: manifest.server.websiteUrl,
                       instructions: manifest.server.instructions)
    }
}

/// A command failed for a reason the user can act on; printed without a stack of wrappers.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

enum LogSetup {
    /// Logs go to stderr: in stdio mode stdout carries MCP frames only. Once per process.
    static func bootstrap(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
