import HTTP1
import CZlib

/// gzip compression of whole response bodies (RFC 1952 via zlib), and the
/// `Accept-Encoding` negotiation that decides whether to use it (RFC 9110 §12.5.3).
package enum Gzip {
    /// Compresses `input` into a gzip member; nil if zlib fails.
    package static func compress(_ input: [UInt8], level: Int32 = 6) -> [UInt8]? {
        var stream = z_stream()
        // windowBits 15 + 16 selects the gzip wrapper instead of zlib's.
        let rc = deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                               zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, UInt(input.count)))
        var output = [UInt8](repeating: 0, count: bound)
        var input = input
        let status: Int32 = input.withUnsafeMutableBufferPointer { inp in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = inp.baseAddress
                stream.avail_in = uInt(inp.count)
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { return nil }
        output.removeLast(bound - Int(stream.total_out))
        return output
    }

    /// Why ``decompress(_:limit:)`` gave no result.
    package enum InflateError: Error, Equatable {
        /// Not a valid gzip stream.
        case corrupt
        /// The output would pass the limit (a decompression bomb is stopped at the limit).
        case tooLarge
    }

    /// Decompresses a gzip member, refusing output past `limit` bytes.
    package static func decompress(_ input: [UInt8], limit: Int) -> Result<[UInt8], InflateError> {
        var produced = 0
        var tooLarge = false
        let out = decompress(input) { n in
            produced += n
            if produced > limit { tooLarge = true; return false }
            return true
        }
        if tooLarge { return .failure(.tooLarge) }
        guard let out else { return .failure(.corrupt) }
        return .success(out)
    }

    /// Decompresses a gzip member (used by tests); nil on corrupt input.
    package static func decompress(_ input: [UInt8]) -> [UInt8]? { decompress(input) { _ in true } }

    /// Decompresses, asking `more(n)` after each `n` bytes produced whether to go on.
    private static func decompress(_ input: [UInt8], more: (Int) -> Bool) -> [UInt8]? {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var input = input
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        return input.withUnsafeMutableBufferPointer { inp -> [UInt8]? in
            stream.next_in = inp.baseAddress
            stream.avail_in = uInt(inp.count)
            while true {
                let (rc, produced) = chunk.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    let rc = inflate(&stream, Z_NO_FLUSH)
                    return (rc, out.count - Int(stream.avail_out))
                }
                guard more(produced) else { return nil }
                result.append(contentsOf: chunk[0..<produced])
                if rc == Z_STREAM_END { return result }
                if rc != Z_OK { return nil }
            }
        }
    }

    /// Whether `Accept-Encoding` allows gzip: `gzip` (or `x-gzip`, or `*` when gzip is
    /// not listed) with a q-value above zero (RFC 9110 §12.5.3, §12.4.2).
    package static func accepts(_ acceptEncoding: [String]) -> Bool {
        var gzipQ: Double?
        var starQ: Double?
        for field in acceptEncoding {
            for item in field.split(separator: ",") {
                let parts = item.split(separator: ";")
                guard let first = parts.first else { continue }
                let coding = first.trimmingASCIIWhitespace().lowercased()
                var q = 1.0
                for p in parts.dropFirst() {
                    let kv = p.trimmingASCIIWhitespace()
                    if kv.lowercased().hasPrefix("q=") { q = Double(kv.dropFirst(2)) ?? 0 }
                }
                if coding == "gzip" || coding == "x-gzip" { gzipQ = max(gzipQ ?? 0, q) }
                if coding == "*" { starQ = q }
            }
        }
        if let gzipQ { return gzipQ > 0 }
        if let starQ { return starQ > 0 }
        return false
    }
}
