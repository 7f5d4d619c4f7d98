#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Text written whole to a file descriptor: the command's real stdout (claimed before plugins
/// load, so their output cannot mix in), stderr, a runner's report pipe or a port file.
struct TextOutput {
    let fd: Int32

    /// The process's stderr (where logs go; stdout belongs to the protocol in `serve`).
    static let standardError = TextOutput(fd: STDERR_FILENO)

    func line(_ text: String) {
        write(text + "\n")
    }

    /// Writes every byte unless the descriptor fails.
    func write(_ text: String) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n <= 0 { return }
                offset += n
            }
        }
    }
}
