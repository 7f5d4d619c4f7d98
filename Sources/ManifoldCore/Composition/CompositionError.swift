/// Why a composition could not be built: a collision, an invalid exposed name, a bad filter.
/// The message names every source involved.
public struct CompositionError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
