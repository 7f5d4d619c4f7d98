#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The command's real stdout (claimed before plugins load, so their output cannot mix in).
struct StandardOutput {
    let fd: Int32

    mutating func line(_ text: String) {
        write(text + "\n")
    }

    mutating func write(_ text: String) {
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
