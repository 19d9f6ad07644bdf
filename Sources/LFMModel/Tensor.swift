import CLFMKernels
import LFMKernels

/// A weight tensor used in place: a pointer into a memory-mapped checkpoint (or an owned
/// buffer), its storage type and its shape in PyTorch order (outermost first, so a linear
/// layer's weight is `[out, in]` and row `r` holds output `r`'s input weights).
public struct Tensor: @unchecked Sendable {
    // Safety: `data` points into `owner`, which is immutable and kept alive by this value.
    /// The tensor's name as the checkpoint spells it (HF name after mapping).
    public let name: String
    /// Storage type of the elements (F32, F16, BF16 or a GGUF block quantization).
    public let type: WeightType
    /// Shape in PyTorch order.
    public let shape: [Int]
    /// First byte of the data.
    public let data: UnsafeRawPointer
    let owner: AnyObject

    init(name: String, type: WeightType, shape: [Int], data: UnsafeRawPointer, owner: AnyObject) {
        self.name = name
        self.type = type
        self.shape = shape
        self.data = data
        self.owner = owner
    }

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }
    /// Rows of a matrix (`shape[0]`).
    public var rows: Int { shape.first ?? 1 }
    /// Elements per row (the product of the inner dimensions).
    public var columns: Int { shape.dropFirst().reduce(1, *) }
    /// Bytes of one row in its storage type.
    public var rowBytes: Int { Int(lfm_row_bytes(type.rawValue, Int64(columns))) }

    /// All elements converted to Float (for the small tensors used as vectors: norms, conv taps, biases).
    public func floats() -> [Float] {
        let n = count
        return [Float](unsafeUninitializedCapacity: n) { buf, done in
            lfm_dequantize_row(type.rawValue, data, buf.baseAddress!, Int64(n))
            done = n
        }
    }

    /// Dequantizes row `r` into `dst` (`columns` floats); used for embedding lookups.
    @inline(__always)
    public func dequantizeRow(_ r: Int, into dst: UnsafeMutablePointer<Float>) {
        lfm_dequantize_row(type.rawValue, data + r * rowBytes, dst, Int64(columns))
    }
}
