import Foundation
import LFMTestSupport
@testable import OrderedJSON
import Testing

/// Serialisation compared with Python's json.dumps / repr (scripts/make_json_goldens.py).
@Suite struct JSONSerializerGoldenTests {
    static let goldens: JSONValue = {
        let url = Fixtures.root.appendingPathComponent("json/python-json-goldens.json")
        return (try? JSONValue.parse(Data(contentsOf: url))) ?? .null
    }()

    static func options(_ o: JSONValue) -> PythonJSONOptions {
        var options = PythonJSONOptions()
        switch o["indent"] {
        case .integer(let n)?: options.indent = String(repeating: " ", count: Int(n))
        case .string(let s)?: options.indent = s
        default: break
        }
        if let seps = o["separators"]?.arrayValue {
            options.itemSeparator = seps[0].stringValue
            options.keySeparator = seps[1].stringValue
        }
        options.sortKeys = o["sort_keys"]?.boolValue ?? false
        options.ensureASCII = o["ensure_ascii"]?.boolValue ?? false
        return options
    }

    @Test func dumpsMatchPython() throws {
        let documents = Self.goldens["documents"]?.arrayValue ?? []
        #expect(documents.count == 7)
        for doc in documents {
            let value = try JSONValue.parse(doc["input"]?.stringValue ?? "")
            for dump in doc["dumps"]?.arrayValue ?? [] {
                let expected = dump["output"]?.stringValue
                #expect(value.serialized(options: Self.options(dump["options"] ?? [:])) == expected, "\(dump["options"] ?? nil)")
            }
        }
    }

    @Test func floatReprMatchesPython() {
        let pairs = Self.goldens["float_reprs"]?.arrayValue ?? []
        #expect(pairs.count > 50)
        for pair in pairs {
            guard let expected = pair[0]?.stringValue, let value = pair[1]?.doubleValue else { continue }
            #expect(PythonFloat.repr(value) == expected)
        }
    }

    @Test func specialFloats() {
        #expect(JSONValue.array([.double(.nan), .double(.infinity), .double(-.infinity)]).serialized(options: PythonJSONOptions()) == "[NaN, Infinity, -Infinity]")
        #expect(PythonFloat.repr(.infinity) == "inf")
        #expect(PythonFloat.repr(-0.0) == "-0.0")
    }

    @Test func compactForm() throws {
        #expect(try JSONValue.parse(#"{"a": 1, "b": [1, 2]}"#).serialized() == #"{"a":1,"b":[1,2]}"#)
    }
}
