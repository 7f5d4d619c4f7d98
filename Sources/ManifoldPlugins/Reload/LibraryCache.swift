import Crypto
import Foundation
import ManifoldManifest
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A plugin library as the host loads it: where it came from, its content hash, and the
/// content-addressed copy that `dlopen` is given (docs/RELOAD.md, decision 1).
public struct LibraryImage: Sendable, Hashable {
    /// The file the manifest names (after the locator's search).
    public var source: String
    /// Lower-case hex SHA-256 of the bytes that were copied.
    public var sha256: String
    /// `<cache>/libs/<sha256>-<file name>`: what is actually opened.
    public var loadPath: String
}

/// Manifold's cache folder and the content-addressed copies of plugin libraries in it.
///
/// Why copies: `dlopen` of a path that is already loaded returns the image already mapped, so a
/// rebuilt library at the same path would never be seen; and a library overwritten in place
/// (`cp new.so lib.so`) rewrites pages of a mapped image under the running code. Loading every
/// library from `<cache>/libs/<sha256>-<name>` gives each build its own path (so a new build is
/// a new image, side by side with the old one) and a file nothing ever writes to again. The
/// same content always maps to the same path, so 50 mounts of one library are one image.
///
/// Layout (all plain files, safe to delete while no `manifold` runs):
///
///     <cache>/libs/<sha256>-<file>       the copies that are dlopen'ed
///     <cache>/discovered/<sha256>        a runner loaded and listed this library (summary JSON)
///     <cache>/refused/<sha256>           a runner crashed on it; never loaded in-process (reason)
///     <cache>/live/<key>-<pid>.json      what `inspect --live` shows of a running `serve`
public final class LibraryCache: Sendable {
    public let root: String

    public init(root: String) {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
    }

    /// The cache of this process: `$MANIFOLD_CACHE_DIR`, else `$XDG_CACHE_HOME/manifold`, else
    /// `~/.cache/manifold`.
    public static let shared = LibraryCache(root: defaultRoot(environment: ProcessInfo.processInfo.environment))

    public static func defaultRoot(environment: [String: String]) -> String {
        if let explicit = environment["MANIFOLD_CACHE_DIR"], !explicit.isEmpty { return explicit }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/manifold" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.cache/manifold"
    }

    public var libsFolder: String { root + "/libs" }
    public var discoveredFolder: String { root + "/discovered" }
    public var refusedFolder: String { root + "/refused" }
    public var liveFolder: String { root + "/live" }

    // MARK: Content-addressed copies

    /// Reads `source`, checks `pinnedSHA256` against its content, and returns its content-addressed
    /// copy (made now unless it exists). The hash and the copy come from the same read, so what is
    /// loaded is exactly what was hashed and pin-checked.
    public func image(of source: String, pluginID: String, pinnedSHA256: String?) throws(PluginLoadError) -> LibraryImage {
        func refuse(_ reason: PluginLoadError.Reason) -> PluginLoadError {
            PluginLoadError(pluginID: pluginID, library: source, reason: reason)
        }
        guard let data = FileManager.default.contents(atPath: source) else {
            throw refuse(.dlopenFailed("cannot read the library file"))
        }
        let sha = Self.sha256(data)
        if let pinned = pinnedSHA256?.lowercased(), pinned != sha {
            throw refuse(.checksumMismatch(expected: pinned, actual: sha))
        }
        let name = Self.baseName(of: source)
        let destination = libsFolder + "/" + sha + "-" + name
        if URL(fileURLWithPath: source).standardizedFileURL.path == destination {
            return LibraryImage(source: source, sha256: sha, loadPath: destination)
        }
        if !Self.isComplete(destination, size: data.count) {
            do {
                try Self.writeAtomically(data, to: destination, mode: 0o755)
            } catch {
                throw refuse(.dlopenFailed("cannot copy the library into the cache \(libsFolder): \(error)"))
            }
        }
        return LibraryImage(source: source, sha256: sha, loadPath: destination)
    }

    /// The file name a copy is stored under: the source's, without a leading `<sha256>-` (so
    /// loading a copy from the cache again maps to itself).
    static func baseName(of path: String) -> String {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let parts = name.split(separator: "-", maxSplits: 1)
        if parts.count == 2, parts[0].count == 64, parts[0].allSatisfy(\.isHexDigit) { return String(parts[1]) }
        return name
    }

    private static func isComplete(_ path: String, size: Int) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && Int(info.st_size) == size
    }

    // MARK: Copies in use, and pruning

    /// Instances of this process that use each copy (`loadPath`), counted by `retain` and
    /// `release`. A copy no instance uses any more is deleted (docs/RELOAD.md, decision 1).
    private let users = Mutex<[String: Int]>([:])

    /// Counts one more instance using `image`'s copy, and makes sure the copy is there to be
    /// opened (re-made from the source when a `release` — of this process or another — deleted
    /// it after `image(of:)` returned; the source must still have the same content). Pair every
    /// successful `retain` with one `release`.
    public func retain(_ image: LibraryImage, pluginID: String) throws(PluginLoadError) {
        let failure = users.withLock { users -> PluginLoadError? in
            users[image.loadPath, default: 0] += 1
            guard Self.isPrunable(image, in: libsFolder), !FileManager.default.fileExists(atPath: image.loadPath) else { return nil }
            guard let data = FileManager.default.contents(atPath: image.source), Self.sha256(data) == image.sha256 else {
                return PluginLoadError(pluginID: pluginID, library: image.source, reason: .dlopenFailed(
                    "its copy \(image.loadPath) was removed and the library changed since it was read"))
            }
            do {
                try Self.writeAtomically(data, to: image.loadPath, mode: 0o755)
                return nil
            } catch {
                return PluginLoadError(pluginID: pluginID, library: image.source, reason: .dlopenFailed(
                    "cannot copy the library into the cache \(libsFolder): \(error)"))
            }
        }
        if let failure {
            release(image)
            throw failure
        }
    }

    /// One instance no longer uses `image`'s copy (it was shut down, or its load failed). When
    /// none does, the copy is deleted: an image still mapped stays mapped (the file's data lives
    /// until the last mapping goes), and loading the same content again makes the copy again.
    /// Returns whether the copy was deleted.
    @discardableResult
    public func release(_ image: LibraryImage) -> Bool {
        users.withLock { users -> Bool in
            guard let count = users[image.loadPath] else { return false }
            guard count <= 1 else {
                users[image.loadPath] = count - 1
                return false
            }
            users[image.loadPath] = nil
            guard Self.isPrunable(image, in: libsFolder) else { return false }
            return unlink(image.loadPath) == 0
        }
    }

    /// How many instances of this process use `image`'s copy.
    public func users(of image: LibraryImage) -> Int { users.withLock { $0[image.loadPath] ?? 0 } }

    /// Only copies this cache made are deleted — never a library loaded from the cache folder
    /// directly (its own source).
    private static func isPrunable(_ image: LibraryImage, in libsFolder: String) -> Bool {
        image.loadPath.hasPrefix(libsFolder + "/")
            && URL(fileURLWithPath: image.source).standardizedFileURL.path != image.loadPath
    }

    // MARK: Records

    /// The record for `sha256` in `folder`, if there is one.
    func record(in folder: String, sha256: String) -> String? {
        guard let data = FileManager.default.contents(atPath: folder + "/" + sha256) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    func writeRecord(in folder: String, sha256: String, _ text: String) {
        try? Self.writeAtomically(Data(text.utf8), to: folder + "/" + sha256, mode: 0o644)
    }

    // MARK: Files

    /// Writes through a temporary file in the same folder and renames it into place, so a reader
    /// (another manifold, a runner) never sees half a file.
    static func writeAtomically(_ data: Data, to path: String, mode: mode_t) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let temporary = folder + "/.tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw CacheError("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var failure: String?
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                    return
                }
                offset += n
            }
        }
        fchmod(fd, mode)
        close(fd)
        if let failure {
            unlink(temporary)
            throw CacheError("cannot write \(temporary): \(failure)")
        }
        guard rename(temporary, path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(temporary)
            throw CacheError("cannot rename into \(path): \(why)")
        }
    }

    static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// Lower-case hex SHA-256 of bytes.
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    struct CacheError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

/// SHA-256 of files, remembered by (device, inode, size, modification time) so a rescan of an
/// unchanged folder reads no library again. A file replaced by rename has a new inode; one
/// rewritten in place has a new modification time.
public final class FileHashes: Sendable {
    private struct Fingerprint: Hashable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var seconds: Int
        var nanoseconds: Int
    }
    private let known = Mutex<[String: (Fingerprint, String)]>([:])

    public init() {}

    /// The file's SHA-256, or nil when it cannot be read.
    public func sha256(of path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let fingerprint = Fingerprint(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
                                      seconds: Int(info.st_mtim.tv_sec), nanoseconds: Int(info.st_mtim.tv_nsec))
        if let (seen, sha) = known.withLock({ $0[path] }), seen == fingerprint { return sha }
        guard let sha = Checksum.sha256(ofFile: path) else { return nil }
        known.withLock { $0[path] = (fingerprint, sha) }
        return sha
    }
}
