import Dispatch
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Watches folders with inotify (docs/RELOAD.md, decision 3) on one dedicated thread that
/// blocks in the kernel until something happens — no polling, no sleeps. Events that matter to
/// the current `WatchPlan` are coalesced: the first one schedules a recheck `settle` seconds
/// later on `queue`; events arriving meanwhile push it back (a burst — a compiler writing, `cp`,
/// an editor's save — ends in one rescan), but never beyond `maxDelay` after the first.
///
/// Files are seen when they are complete: a file written in place when it is closed
/// (IN_CLOSE_WRITE), a file renamed into place at the rename (IN_MOVED_TO); a symbolic link when
/// it is created. A file merely being created or written is not yet a change.
public final class FolderWatcher: Sendable {
    /// One relevant event, for logs and tests.
    public struct Change: Sendable, Hashable, CustomStringConvertible {
        public var path: String
        public var what: String
        public var description: String { "\(what) \(path)" }
    }

    private let inotify: Int32
    /// Written to wake the thread up for good (`stop`).
    private let wake: (read: Int32, write: Int32)
    private let settle: Double
    private let maxDelay: Double
    private let queue: DispatchQueue
    private let onChange: @Sendable ([Change]) -> Void
    private let logger: Logger

    private struct State {
        var plan = WatchPlan()
        var byDescriptor: [Int32: String] = [:]
        var byFolder: [String: Int32] = [:]
        var pending: [Change] = []
        var firstPending: DispatchTime?
        var lastPending: DispatchTime?
        var scheduled = false
        var stopped = false
    }
    private let state = Mutex(State())

    public init(settle: Double = 0.05, maxDelay: Double = 1, queue: DispatchQueue, logger: Logger,
                onChange: @escaping @Sendable ([Change]) -> Void) throws {
        let fd = inotify_init1(Int32(IN_CLOEXEC))
        guard fd >= 0 else { throw WatchError("inotify_init1 failed: \(String(cString: strerror(errno)))") }
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else {
            close(fd)
            throw WatchError("pipe failed: \(String(cString: strerror(errno)))")
        }
        for end in pipeFDs { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        self.inotify = fd
        self.wake = (pipeFDs[0], pipeFDs[1])
        self.settle = settle
        self.maxDelay = maxDelay
        self.queue = queue
        self.logger = logger
        self.onChange = onChange
        let thread = Thread { [self] in self.readLoop() }
        thread.name = "manifold.watch"
        thread.start()
    }

    /// Watches exactly the plan's folders from now on (adds and removes inotify watches).
    public func update(_ plan: WatchPlan) {
        state.withLock { s in
            guard !s.stopped else { return }
            s.plan = plan
            for (folder, descriptor) in s.byFolder where plan.folders[folder] == nil {
                inotify_rm_watch(inotify, descriptor)
                s.byFolder[folder] = nil
                s.byDescriptor[descriptor] = nil
            }
            for folder in plan.folders.keys where s.byFolder[folder] == nil {
                let mask = UInt32(bitPattern: IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE
                                  | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
                let descriptor = inotify_add_watch(inotify, folder, mask)
                guard descriptor >= 0 else {
                    // A folder that does not exist (yet): the next rescan tries again.
                    logger.debug("not watching \(folder): \(String(cString: strerror(errno)))")
                    continue
                }
                s.byFolder[folder] = descriptor
                s.byDescriptor[descriptor] = folder
            }
        }
    }

    /// The folders being watched now.
    public var watchedFolders: Set<String> { state.withLock { Set($0.byFolder.keys) } }

    /// Stops the thread; no change is reported afterwards.
    public func stop() {
        let first = state.withLock { s -> Bool in
            if s.stopped { return false }
            s.stopped = true
            return true
        }
        guard first else { return }
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
    }

    // MARK: The thread

    private func readLoop() {
        let size = 64 * 1024
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        defer {
            buffer.deallocate()
            close(inotify)
            close(wake.read)
            close(wake.write)
        }
        var fds = [pollfd(fd: inotify, events: Int16(POLLIN), revents: 0), pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
        while true {
            // Blocks until there are events or `stop` writes to the wake pipe.
            let ready = poll(&fds, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                logger.error("file watching stopped: poll failed: \(String(cString: strerror(errno)))")
                return
            }
            if fds[1].revents != 0 || state.withLock({ $0.stopped }) { return }
            let count = read(inotify, buffer, size)
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                logger.error("file watching stopped: read failed: \(String(cString: strerror(errno)))")
                return
            }
            var changes: [Change] = []
            var offset = 0
            while offset + MemoryLayout<inotify_event>.size <= count {
                let event = buffer.load(fromByteOffset: offset, as: inotify_event.self)
                let nameStart = offset + MemoryLayout<inotify_event>.size
                var name = ""
                if event.len > 0 {
                    let bytes = UnsafeRawBufferPointer(start: buffer + nameStart, count: Int(event.len))
                    name = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
                }
                offset = nameStart + Int(event.len)
                if let change = relevant(event, name: name) { changes.append(change) }
            }
            if !changes.isEmpty { noted(changes) }
        }
    }

    /// The change an event stands for, if the plan cares.
    private func relevant(_ event: inotify_event, name: String) -> Change? {
        let mask = Int32(bitPattern: event.mask)
        if mask & IN_Q_OVERFLOW != 0 { return Change(path: "(inotify queue overflow)", what: "overflow") }
        return state.withLock { s -> Change? in
            guard let folder = s.byDescriptor[event.wd] else { return nil }
            if mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF) != 0 {
                if mask & IN_IGNORED != 0 {
                    s.byDescriptor[event.wd] = nil
                    if s.byFolder[folder] == event.wd { s.byFolder[folder] = nil }
                }
                return Change(path: folder, what: "folder gone")
            }
            let isDirectory = mask & IN_ISDIR != 0
            guard s.plan.isRelevant(folder: folder, name: name, isDirectory: isDirectory) else { return nil }
            let path = folder + "/" + name
            if mask & IN_CREATE != 0 && !isDirectory {
                // Being written: wait for IN_CLOSE_WRITE — unless it is a symbolic link (no write follows).
                var info = stat()
                guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return nil }
                return Change(path: path, what: "linked")
            }
            let what = mask & IN_CLOSE_WRITE != 0 ? "written"
                : mask & IN_MOVED_TO != 0 ? "moved in"
                : mask & IN_MOVED_FROM != 0 ? "moved out"
                : mask & IN_DELETE != 0 ? "deleted"
                : mask & IN_CREATE != 0 ? "created" : "changed"
            return Change(path: path, what: what)
        }
    }

    /// Coalesces: schedules one delivery `settle` after the first change of a burst.
    private func noted(_ changes: [Change]) {
        let now = DispatchTime.now()
        let schedule = state.withLock { s -> Bool in
            guard !s.stopped else { return false }
            // One entry per path (a file renamed into place is often also "written": the
            // writer closes it after the rename); the first event names it.
            for change in changes where !s.pending.contains(where: { $0.path == change.path }) {
                s.pending.append(change)
            }
            s.lastPending = now
            if s.firstPending == nil { s.firstPending = now }
            if s.scheduled { return false }
            s.scheduled = true
            return true
        }
        if schedule { queue.asyncAfter(deadline: now + settle) { self.recheck() } }
    }

    /// Delivers the burst, unless it is still going on (then looks again when it may have settled).
    private func recheck() {
        let now = DispatchTime.now()
        let outcome = state.withLock { s -> (deliver: [Change]?, again: DispatchTime?) in
            guard !s.stopped, let first = s.firstPending, let last = s.lastPending else {
                s.scheduled = false
                return (nil, nil)
            }
            let quietSince = Double(now.uptimeNanoseconds - last.uptimeNanoseconds) / 1e9
            let waited = Double(now.uptimeNanoseconds - first.uptimeNanoseconds) / 1e9
            if quietSince + 0.001 < settle && waited < maxDelay {
                return (nil, last + settle)
            }
            let changes = s.pending
            s.pending = []
            s.firstPending = nil
            s.lastPending = nil
            s.scheduled = false
            return (changes, nil)
        }
        if let again = outcome.again {
            queue.asyncAfter(deadline: again) { self.recheck() }
        } else if let changes = outcome.deliver, !changes.isEmpty {
            onChange(changes)
        }
    }

    struct WatchError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
