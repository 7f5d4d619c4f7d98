#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ManifoldIO
import Synchronization
import Testing

/// `FrameWriter` on real pipes: one line per frame, and a reader that went away is reported
/// once instead of being written to forever.
@Suite struct FrameWriterTests {
    /// A pipe: (read end, write end).
    private func makePipe() throws -> (Int32, Int32) {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        return (fds[0], fds[1])
    }

    @Test func framesAreLinesWithTheirLineBreaksFlattened() throws {
        let (readEnd, writeEnd) = try makePipe()
        defer { close(readEnd) }
        let writer = FrameWriter(fd: writeEnd)
        writer.write(Array(#"{"a":"x"}"#.utf8))
        writer.cork()
        writer.write(Array("{\"b\":\r\n1}".utf8))
        writer.write(Array("{}".utf8))
        writer.uncork()
        close(writeEnd)
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256)
        while true {
            let n = read(readEnd, &chunk, chunk.count)
            if n <= 0 { break }
            bytes += chunk[..<n]
        }
        #expect(String(decoding: bytes, as: UTF8.self) == "{\"a\":\"x\"}\n{\"b\":  1}\n{}\n")
    }

    @Test func aReaderThatClosedItsEndIsReportedOnceWithTheError() throws {
        signal(SIGPIPE, SIG_IGN)  // as the host does: a write to a closed pipe fails with EPIPE
        let (readEnd, writeEnd) = try makePipe()
        defer { close(writeEnd) }
        close(readEnd)
        let reports = Mutex<[Int32]>([])
        let writer = FrameWriter(fd: writeEnd) { error in reports.withLock { $0.append(error) } }
        writer.write(Array("{}".utf8))
        #expect(reports.withLock { $0 } == [EPIPE])
        writer.write(Array("{}".utf8))
        writer.cork()
        writer.write(Array("{}".utf8))
        writer.uncork()
        #expect(reports.withLock { $0 } == [EPIPE], "reported once; later frames are dropped")
    }
}
