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
        if type.isPacked {
            Kernels.dequantizePackedRow(type, data, cols: columns, row: r, into: dst)
        } else {
            lfm_dequantize_row(type.rawValue, data + r * rowBytes, dst, Int64(columns))
        }
    }

    /// This matrix in the layout the active kernels multiply fastest (`type.preferredPacking`),
    /// packed over `pool` into a new buffer; `self` when no packing applies. The packed
    /// tensor keeps the shape; it serves matrix products (row lookups still work, slower).
    /// With `releaseSource`, the source's mapped pages are dropped from memory afterwards
    /// (pass false when the source stays in use, e.g. an embedding table tied to the LM head).
    public func packedForKernels(pool: ThreadPool, releaseSource: Bool = true) -> Tensor {
        let packed = type.preferredPacking
        guard packed != type, shape.count == 2 else { return self }
        let bytes = Kernels.packedBytes(packed, rows: rows, cols: columns)
        guard bytes > 0 else { return self }
        let buffer = PackedBuffer(bytes: bytes)
        pack(as: packed, into: buffer.pointer, pool: pool, releaseSource: releaseSource)
        return Tensor(name: name, type: packed, shape: shape, data: UnsafeRawPointer(buffer.pointer), owner: buffer)
    }
}

extension Tensor {
    /// The matrices `parts` (same type and columns, row counts multiples of 16) stacked by rows
    /// into one packed matrix; nil when packing does not apply to them. Sources are released
    /// as in `packedForKernels`.
    public static func packedStack(_ parts: [Tensor], pool: ThreadPool) -> Tensor? {
        guard let first = parts.first else { return nil }
        let packed = first.type.preferredPacking
        guard packed != first.type,
              parts.allSatisfy({ $0.type == first.type && $0.columns == first.columns && $0.shape.count == 2 && $0.rows % 16 == 0 })
        else { return nil }
        let sizes = parts.map { Kernels.packedBytes(packed, rows: $0.rows, cols: $0.columns) }
        guard sizes.allSatisfy({ $0 > 0 }) else { return nil }
        let buffer = PackedBuffer(bytes: sizes.reduce(0, +))
        var offset = 0
        for (part, size) in zip(parts, sizes) {
            part.pack(as: packed, into: buffer.pointer + offset, pool: pool, releaseSource: true)
            offset += size
        }
        let rows = parts.reduce(0) { $0 + $1.rows }
        return Tensor(name: parts.map(\.name).joined(separator: "+"), type: packed, shape: [rows, first.columns],
                      data: UnsafeRawPointer(buffer.pointer), owner: buffer)
    }
}

extension Tensor {
    /// Packs this matrix as `packed` into `dst` (`Kernels.packedBytes`), row groups split over
    /// `pool`; with `releaseSource`, drops the source's mapped pages afterwards.
    func pack(as packed: WeightType, into dst: UnsafeMutableRawPointer, pool: ThreadPool, releaseSource: Bool) {
        let groups = (rows + 15) / 16
        let chunk = max(1, (groups + pool.threadCount * 4 - 1) / (pool.threadCount * 4))
        let (src, r, c) = (data, rows, columns)
        pool.parallelFor((groups + chunk - 1) / chunk) { i, _ in
            Kernels.pack(packed, src, rows: r, cols: c, groups: (i * chunk)..<min(groups, (i + 1) * chunk), into: dst)
        }
        if releaseSource, let file = owner as? MappedFile { file.release(data, bytes: rows * rowBytes) }
    }
}

/// Memory owned by a packed tensor (64-byte aligned), freed with it.
final class PackedBuffer: @unchecked Sendable {
    // Safety: written once while packing, read-only afterwards.
    let pointer: UnsafeMutableRawPointer

    init(bytes: Int) { pointer = .allocate(byteCount: bytes, alignment: 64) }

    deinit { pointer.deallocate() }
}
