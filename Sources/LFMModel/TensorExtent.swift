import LFMKernels

/// Overflow-checked sizes for tensors described by an untrusted file header (safetensors,
/// GGUF). Model files come from the Hub, so a shape whose product overflows `Int` or a byte
/// range past the end of the file must be an error, never a trap or a read outside the map.
enum TensorExtent {
    /// The number of elements of `shape`; nil when a dimension is negative or the product
    /// does not fit in `Int`.
    static func elementCount(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            guard !overflow else { return nil }
            n = p
        }
        return n
    }

    /// Bytes a tensor of `shape` (PyTorch order: the last dimension is the row) takes in
    /// `type`; nil when the row length is not a multiple of the type's block or the size
    /// does not fit in `Int`.
    static func byteCount(shape: [Int], type: WeightType) -> Int? {
        guard let elements = elementCount(shape) else { return nil }
        let row = shape.last ?? 1
        guard row % type.blockElems == 0 else { return nil }
        let (bytes, overflow) = (elements / type.blockElems).multipliedReportingOverflow(by: type.blockBytes)
        return overflow ? nil : bytes
    }

    /// `a + b`, nil on overflow.
    static func sum(_ a: Int, _ b: Int) -> Int? {
        let (s, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : s
    }

    /// A header-supplied name shortened for an error message (a corrupt file can hold a
    /// name as long as the file).
    static func shown(_ name: String) -> String {
        name.utf8.count <= 96 ? name : String(decoding: name.utf8.prefix(96), as: UTF8.self) + "…"
    }
}
