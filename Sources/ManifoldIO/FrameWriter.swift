#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes newline-delimited JSON-RPC frames to a file descriptor from any thread. Frames
/// queued while a write is in progress are sent together by the thread already writing, so a
/// burst of responses costs few system calls and no thread waits for another's write to finish
/// before queueing its own. A raw CR or LF inside a frame (only possible as JSON whitespace) is
/// replaced by a space: one frame is always one line.
///
/// A reader that already holds more requests than it has answered can `cork` the writer: frames
/// are then only queued, and `uncork` (before the reader blocks for more input) writes them all
/// at once — one system call for a whole batch of pipelined requests instead of one per answer.
///
/// A write that fails (the reader closed its end: `EPIPE`) breaks the writer for good: later
/// frames are dropped, and `onBroken` runs once with the `errno`, so the owner can tell its peer
/// is gone instead of waiting for answers that cannot come.
public final class FrameWriter: @unchecked Sendable {
    private let fd: Int32
    private let closesDescriptor: Bool
    private let onBroken: (@Sendable (_ errno: Int32) -> Void)?
    private var mutex = pthread_mutex_t()
    // Protected by `mutex`.
    private var pending: [UInt8] = []
    private var writing = false
    private var corked = false
    private var broken = false

    /// `closesDescriptor`: the writer owns `fd` and closes it when it goes away — only then can
    /// no thread still be writing to it (closing it earlier could send a late frame to whatever
    /// file next gets that number).
    public init(fd: Int32, closesDescriptor: Bool = false, onBroken: (@Sendable (_ errno: Int32) -> Void)? = nil) {
        self.fd = fd
        self.closesDescriptor = closesDescriptor
        self.onBroken = onBroken
        pthread_mutex_init(&mutex, nil)
        pending.reserveCapacity(64 * 1024)
    }

    deinit {
        if closesDescriptor { close(fd) }
        pthread_mutex_destroy(&mutex)
    }

    /// Queues one frame (without its newline) and writes it unless another thread is already
    /// writing (that thread writes it) or the writer is corked (`uncork` writes it).
    public func write(_ frame: [UInt8]) {
        pthread_mutex_lock(&mutex)
        if broken {
            pthread_mutex_unlock(&mutex)
            return
        }
        let start = pending.count
        pending.append(contentsOf: frame)
        pending.withUnsafeMutableBytes { Self.flattenLineBreaks($0, from: start) }
        pending.append(0x0A)
        if writing || corked {
            pthread_mutex_unlock(&mutex)
            return
        }
        drain()
    }

    /// From now on frames are only queued, until `uncork`.
    public func cork() {
        pthread_mutex_lock(&mutex)
        corked = true
        pthread_mutex_unlock(&mutex)
    }

    /// Writes every frame queued while corked (unless another thread is writing: it takes them).
    public func uncork() {
        pthread_mutex_lock(&mutex)
        corked = false
        if writing || pending.isEmpty || broken {
            pthread_mutex_unlock(&mutex)
            return
        }
        drain()
    }

    /// Called with `mutex` held and `writing` false; writes until nothing is pending, then
    /// releases `mutex`.
    private func drain() {
        writing = true
        var batch: [UInt8] = []
        batch.reserveCapacity(64 * 1024)
        var failure: Int32?
        while !pending.isEmpty && !corked {
            swap(&batch, &pending)
            pthread_mutex_unlock(&mutex)
            let error = writeAll(batch)
            batch.removeAll(keepingCapacity: true)
            pthread_mutex_lock(&mutex)
            if let error, !broken {
                broken = true
                failure = error
                pending.removeAll()
            }
        }
        writing = false
        pthread_mutex_unlock(&mutex)
        if let failure { onBroken?(failure) }
    }

    /// Replaces CR and LF from `start` on by spaces, with memchr (vectorized): frames built by
    /// the JSON writer contain none, and a 250 kB tools/list page should not cost a byte loop.
    private static func flattenLineBreaks(_ bytes: UnsafeMutableRawBufferPointer, from start: Int) {
        guard let base = bytes.baseAddress, start < bytes.count else { return }
        for breakByte: Int32 in [0x0A, 0x0D] {
            var at = start
            while at < bytes.count, let hit = memchr(base + at, breakByte, bytes.count - at) {
                let index = base.distance(to: hit)
                bytes[index] = 0x20
                at = index + 1
            }
        }
    }

    /// Writes every byte; returns the `errno` of a failed write, or nil.
    private func writeAll(_ bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += n
            }
            return nil
        }
    }
}
