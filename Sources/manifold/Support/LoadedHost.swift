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
    /// Keeps what it loaded, for reloads (docs/RELOAD.md).
    let assembler: HostAssembler

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
        let assembler = HostAssembler(runtime: runtime, logger: logger, runnerExecutable: LibraryLocator.executablePath)
        let assembly = assembler.assemble(manifest)
        let composition: HostComposition
        do {
            composition = try HostComposition(tree: assembly.tree, pageSize: manifest.pageSize, logger: logger)
        } catch {
            throw CommandFailure("\(manifest.file): \(error)")
        }
        return LoadedHost(manifest: manifest, assembly: assembly, composition: composition, runtime: runtime, logger: logger,
                          assembler: assembler)
    }

    /// `serve`: reload on file changes (unless the manifest says `watch: false`) and on SIGHUP,
    /// and publish the live state `manifold inspect --live` reads (docs/RELOAD.md).
    func superviseReloads() throws -> HostSupervisor {
        let supervisor = HostSupervisor(manifest: manifest, assembly: assembly, assembler: assembler,
                                        composition: composition, logger: logger)
        let status = LiveStatus(cache: assembler.cache, manifest: manifest.file, logger: logger)
        let base = self
        let publish: @Sendable () -> Void = {
            let snapshot = supervisor.snapshot
            status.publish {
                let current = LoadedHost(manifest: snapshot.manifest, assembly: snapshot.assembly, composition: base.composition,
                                         runtime: base.runtime, logger: base.logger, assembler: base.assembler)
                return try? InspectionReport(current, reloadPasses: snapshot.passes, manifestError: snapshot.manifestError)
            }
        }
        supervisor.onReload { _ in publish() }
        composition.onRebuild { _ in publish() }
        publish()
        do {
            try supervisor.start(watching: manifest.watch, sighup: true)
        } catch {
            logger.error("file watching is off: \(error); SIGHUP still reloads")
            try supervisor.start(watching: false, sighup: true)
        }
        return supervisor
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
