#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a byte stream into lines (LF, with an optional CR before it), with no limit on line
/// length: MCP messages over stdio can be megabytes. Blocking reads, no polling.
public struct LineReader {
    private let fd: Int32
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    /// Where the search for the next newline resumes: bytes before it were already searched,
    /// so a long line arriving in many reads costs linear time.
    private var scanned = 0
    private var eof = false

    public init(fd: Int32, chunk: Int = 256 * 1024) {
        self.fd = fd
        self.buffer = Array(repeating: 0, count: chunk)
    }

    /// Where the next line ends (a newline already found by `hasBufferedLine`), or -1.
    private var foundNewline = -1

    /// Whether a whole line is already buffered: the next `next()` returns without reading.
    /// Endpoints use it to answer a burst of pipelined requests with one write.
    public mutating func hasBufferedLine() -> Bool {
        if foundNewline >= 0 { return true }
        let from = max(start, scanned)
        guard from < end else { return false }
        let hit = buffer.withUnsafeBytes { b in memchr(b.baseAddress! + from, 0x0A, end - from) }
        guard let hit else {
            scanned = end
            return false
        }
        foundNewline = buffer.withUnsafeBytes { b in b.baseAddress!.distance(to: UnsafeRawPointer(hit)) }
        return true
    }

    /// The next non-empty line, or nil at end of input.
    public mutating func next() -> [UInt8]? {
        while true {
            let known = foundNewline
            foundNewline = -1
            if let newline = known >= 0 ? known : buffer[max(start, scanned)..<end].firstIndex(of: 0x0A) {
                var lineEnd = newline
                if lineEnd > start && buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                let line = Array(buffer[start..<lineEnd])
                start = newline + 1
                scanned = start
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                return line
            }
            scanned = end
            if eof {
                guard start < end else { return nil }
                let line = Array(buffer[start..<end])
                start = end
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return nil }
                return line
            }
            fill()
        }
    }

    private mutating func fill() {
        if start > 0 {
            // Move the partial line to the front.
            let count = end - start
            if count > 0 {
                buffer.withUnsafeMutableBytes { b in
                    _ = memmove(b.baseAddress!, b.baseAddress! + start, count)
                }
            }
            scanned -= start
            start = 0
            end = count
        }
        if end == buffer.count {
            buffer.append(contentsOf: repeatElement(0, count: buffer.count))
        }
        let capacity = buffer.count - end
        let n = buffer.withUnsafeMutableBytes { b in read(fd, b.baseAddress! + end, capacity) }
        if n > 0 {
            end += n
        } else if n == 0 || (n < 0 && errno != EINTR) {
            eof = true
        }
    }
}
