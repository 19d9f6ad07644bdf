/// Produces the `id` of each tool call. Inject ``sequential(prefix:)`` in tests.
public struct ToolCallIDGenerator: Sendable {
    private let make: @Sendable (Int) -> String

    /// A generator calling `make` with the call's response-wide index.
    public init(_ make: @escaping @Sendable (Int) -> String) {
        self.make = make
    }

    /// The id for the call with response-wide index `index`.
    public func id(forIndex index: Int) -> String { make(index) }

    /// `call_` followed by 24 random alphanumeric characters (OpenAI-like). The default.
    public static let random = ToolCallIDGenerator { _ in
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        var id = "call_"
        for _ in 0..<24 {
            id.append(alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))])
        }
        return id
    }

    /// Deterministic ids `"\(prefix)\(index)"`, e.g. `call_0`, `call_1`.
    public static func sequential(prefix: String = "call_") -> ToolCallIDGenerator {
        ToolCallIDGenerator { "\(prefix)\($0)" }
    }
}
