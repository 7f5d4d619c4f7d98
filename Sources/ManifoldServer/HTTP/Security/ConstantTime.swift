/// Comparisons whose running time does not depend on where two secrets differ.
///
/// A naive `==` on a bearer token returns at the first differing byte, so the time an answer
/// takes tells an attacker how long a prefix they guessed right. Everything here runs over the
/// whole input with no early exit and folds the differences into one accumulator, which is
/// tested only once at the end.
enum ConstantTime {
    /// Whether `a` and `b` hold the same bytes. The loop runs `max(a.count, b.count)` times
    /// whatever the contents, so the time depends on the lengths only — and callers compare
    /// fixed-length digests (`StaticTokenTable`), so not even the length of a configured secret
    /// shows.
    static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        let length = max(a.count, b.count)
        // Different lengths are a difference too, folded in rather than returned early.
        var difference = UInt(bitPattern: a.count ^ b.count)
        if length == 0 { return difference == 0 }
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                for i in 0..<length {
                    // Out-of-range reads are replaced by 0; the length difference is already counted.
                    let p = i < x.count ? x[i] : 0
                    let q = i < y.count ? y[i] : 0
                    difference |= UInt(p ^ q)
                }
            }
        }
        return difference == 0
    }

    /// 1 when `difference` is 0, else 0 — without a branch on the value.
    @inline(__always)
    static func isZero(_ difference: UInt8) -> UInt32 {
        (UInt32(difference) &- 1) >> 31
    }

    /// The OR of `a[i] ^ b[i]` over two equally long buffers (0: equal).
    @inline(__always)
    static func difference(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> UInt8 {
        var difference: UInt8 = 0
        for i in 0..<min(a.count, b.count) { difference |= a[i] ^ b[i] }
        return difference
    }
}
