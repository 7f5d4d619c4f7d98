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
public final class FrameWriter: @unchecked Sendable {
    private let fd: Int32
    private var mutex = pthread_mutex_t()
    // Protected by `mutex`.
    private var pending: [UInt8] = []
    private var writing = false
    private var broken = false

    public init(fd: Int32) {
        self.fd = fd
        pthread_mutex_init(&mutex, nil)
        pending.reserveCapacity(64 * 1024)
    }

    /// Queues one frame (without its newline) and writes it unless another thread is already
    /// writing, in which case that thread writes it.
    public func write(_ frame: [UInt8]) {
        pthread_mutex_lock(&mutex)
        if broken {
            pthread_mutex_unlock(&mutex)
            return
        }
        let start = pending.count
        pending.append(contentsOf: frame)
        for i in start..<pending.count where pending[i] == 0x0A || pending[i] == 0x0D { pending[i] = 0x20 }
        pending.append(0x0A)
        if writing {
            pthread_mutex_unlock(&mutex)
            return
        }
        writing = true
        var batch: [UInt8] = []
        batch.reserveCapacity(64 * 1024)
        while !pending.isEmpty {
            swap(&batch, &pending)
            pthread_mutex_unlock(&mutex)
            let ok = writeAll(batch)
            batch.removeAll(keepingCapacity: true)
            pthread_mutex_lock(&mutex)
            if !ok {
                broken = true
                pending.removeAll()
            }
        }
        writing = false
        pthread_mutex_unlock(&mutex)
    }

    private func writeAll(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
    }
}
