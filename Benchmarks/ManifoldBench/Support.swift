#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Monotonic time in nanoseconds.
@inline(__always)
func nowNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// A benchmark could not run or a server answered wrongly; the message says which and why.
struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Latencies of one run, in microseconds.
struct Latencies: Sendable {
    private(set) var sorted: [Double]

    init(nanoseconds: [UInt64]) {
        sorted = nanoseconds.map { Double($0) / 1000 }.sorted()
    }

    var count: Int { sorted.count }

    /// Nearest-rank percentile (p in 0...100).
    func percentile(_ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    var p50: Double { percentile(50) }
    var p99: Double { percentile(99) }
}

/// Several measurements of one figure (one per round): the median and the spread.
struct Spread: Sendable {
    var values: [Double] = []

    mutating func add(_ value: Double) { values.append(value) }

    var median: Double {
        guard !values.isEmpty else { return .nan }
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
    var min: Double { values.min() ?? .nan }
    var max: Double { values.max() ?? .nan }
}

/// Number formatting for the report.
enum Format {
    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "–" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        var text = String(rounded)
        if digits == 0 {
            text = String(Int64(rounded))
        } else if let dot = text.firstIndex(of: ".") {
            let decimals = text.distance(from: dot, to: text.endIndex) - 1
            if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
        }
        return text
    }

    /// A count with thousands separators: 41,235.
    static func count(_ value: Double) -> String {
        guard value.isFinite else { return "–" }
        let digits = String(Int64(value.rounded()))
        var out = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 && c != "-" { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }

    /// A duration given in microseconds, in a readable unit.
    static func micros(_ us: Double) -> String {
        guard us.isFinite else { return "–" }
        if us < 1000 { return fixed(us, us < 100 ? 1 : 0) + " µs" }
        if us < 1_000_000 { return fixed(us / 1000, us < 10_000 ? 2 : 1) + " ms" }
        return fixed(us / 1_000_000, 2) + " s"
    }

    static func ratio(_ value: Double) -> String {
        guard value.isFinite else { return "–" }
        return value >= 10 ? fixed(value, 0) + "×" : fixed(value, 2) + "×"
    }

    static func percent(_ value: Double) -> String {
        guard value.isFinite else { return "–" }
        return fixed(value * 100, 1) + " %"
    }

    /// "median (min–max)" of a spread, each formatted with `f`.
    static func spread(_ s: Spread, _ f: (Double) -> String) -> String {
        if s.values.count <= 1 { return f(s.median) }
        return "\(f(s.median)) (\(f(s.min))–\(f(s.max)))"
    }
}

/// Byte-level helpers for checking responses without parsing them into trees.
enum Bytes {
    /// Index of `needle` in `haystack[from..<to]`, or nil.
    @inline(__always)
    static func find(_ needle: UnsafeRawBufferPointer, in haystack: UnsafeRawBufferPointer, from: Int = 0,
                     to: Int? = nil) -> Int? {
        let end = to ?? haystack.count
        guard needle.count > 0, end - from >= needle.count else { return nil }
        let first = Int32(needle[0])
        let base = haystack.baseAddress!
        var i = from
        let last = end - needle.count
        while i <= last {
            guard let hit = memchr(base + i, first, last - i + 1) else { return nil }
            let at = base.distance(to: UnsafeRawPointer(hit))
            if memcmp(base + at, needle.baseAddress!, needle.count) == 0 { return at }
            i = at + 1
        }
        return nil
    }

    /// The integer that follows the first `"id":` in a JSON-RPC message, or nil.
    static func responseID(_ line: UnsafeRawBufferPointer) -> Int? {
        let key: StaticString = "\"id\":"
        let at = key.withUTF8Buffer { find(UnsafeRawBufferPointer($0), in: line) }
        guard var i = at.map({ $0 + key.utf8CodeUnitCount }) else { return nil }
        while i < line.count && line[i] == 0x20 { i += 1 }
        var value = 0
        var digits = 0
        while i < line.count, line[i] >= 0x30, line[i] <= 0x39 {
            value = value * 10 + Int(line[i] - 0x30)
            digits += 1
            i += 1
        }
        return digits > 0 ? value : nil
    }

    static func contains(_ line: UnsafeRawBufferPointer, _ text: [UInt8]) -> Bool {
        text.withUnsafeBytes { find($0, in: line) != nil }
    }
}

/// Reads a whole file (small /proc files, logs), or nil.
func readFile(_ path: String, limit: Int = 1 << 20) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16384)
    while out.count < limit {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        out.append(contentsOf: chunk[0..<n])
    }
    return String(decoding: out, as: UTF8.self)
}

func writeFile(_ path: String, _ text: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw BenchFailure("cannot write \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var text = text
    text.withUTF8 { buffer in
        var offset = 0
        while offset < buffer.count {
            let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if n <= 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }
}

func makeDirectories(_ path: String) {
    var current = path.hasPrefix("/") ? "" : "."
    for part in path.split(separator: "/") {
        current += "/" + part
        mkdir(current, 0o755)
    }
}

/// An absolute, normalized path.
func absolutePath(_ path: String) -> String {
    if let resolved = realpath(path, nil) {
        defer { free(resolved) }
        return String(cString: resolved)
    }
    if path.hasPrefix("/") { return path }
    guard let cwd = getcwd(nil, 0) else { return path }
    defer { free(cwd) }
    return String(cString: cwd) + "/" + path
}

func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

/// A port nobody listens on right now (bound then released; the small race is acceptable here).
func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Progress lines go to stderr, so stdout carries only the report.
func note(_ text: String) {
    var line = text + "\n"
    line.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress!, $0.count) }
}
