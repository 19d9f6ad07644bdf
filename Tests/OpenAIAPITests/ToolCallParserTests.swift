import OrderedJSON
import Testing
@testable import OpenAIAPI

/// One expected parse: content plus (name, arguments JSON) pairs.
struct ToolCase: Sendable, CustomTestStringConvertible {
    let name: String
    let input: String
    let content: String
    let calls: [Pair]

    struct Pair: Sendable, Equatable {
        let name: String
        let arguments: String
    }

    init(_ name: String, _ input: String, content: String = "", _ calls: [(String, String)] = []) {
        self.name = name
        self.input = input
        self.content = content
        self.calls = calls.map { Pair(name: $0.0, arguments: $0.1) }
    }

    var testDescription: String { name }
}

let TCStart = "<|tool_call_start|>"
let TCEnd = "<|tool_call_end|>"

/// The main table of tool-call outputs and their expected parse.
let toolCases: [ToolCase] = [
    ToolCase("single call", TCStart + #"[get_weather(city="Paris", days=3)]"# + TCEnd,
             [("get_weather", #"{"city":"Paris","days":3}"#)]),
    ToolCase("multiple calls", TCStart + #"[get_weather(city="Paris"), get_time(tz="CET")]"# + TCEnd,
             [("get_weather", #"{"city":"Paris"}"#), ("get_time", #"{"tz":"CET"}"#)]),
    ToolCase("no arguments", TCStart + "[get_time()]" + TCEnd, [("get_time", "{}")]),
    ToolCase("whitespace everywhere", TCStart + " \n[ get_time ( ) ,\n  f( a = 1 , ) ]\n" + TCEnd,
             [("get_time", "{}"), ("f", #"{"a":1}"#)]),
    ToolCase("nested dict and list", TCStart + #"[f(filter={"tags": ["a", 'b'], "n": {"x": 1.5}}, ids=[1, [2, 3]])]"# + TCEnd,
             [("f", #"{"filter":{"tags":["a","b"],"n":{"x":1.5}},"ids":[1,[2,3]]}"#)]),
    ToolCase("tuple and empty containers", TCStart + "[f(t=(1, 'a'), one=(1,), group=(5), e=(), l=[], d={})]" + TCEnd,
             [("f", #"{"t":[1,"a"],"one":[1],"group":5,"e":[],"l":[],"d":{}}"#)]),
    ToolCase("set literal", TCStart + "[f(s={1, 2,})]" + TCEnd, [("f", #"{"s":[1,2]}"#)]),
    ToolCase("dict with non-string keys", TCStart + "[f(d={1: 'a', True: None, None: 2.5, 1.5: 0})]" + TCEnd,
             [("f", #"{"d":{"1":"a","true":null,"null":2.5,"1.5":0}}"#)]),
    ToolCase("single-quoted strings", TCStart + "[f(a='Paris', b='it\\'s')]" + TCEnd,
             [("f", #"{"a":"Paris","b":"it's"}"#)]),
    ToolCase("double quotes inside single", TCStart + #"[f(q='say "hi"')]"# + TCEnd,
             [("f", #"{"q":"say \"hi\""}"#)]),
    ToolCase("escapes", TCStart + #"[f(s="a\nb\tc\\d\"e", t='\x41\u00e9\U0001F600\0')]"# + TCEnd,
             [("f", #"{"s":"a\nb\tc\\d\"e","t":"Aé😀\u0000"}"#)]),
    ToolCase("unknown escape kept", TCStart + #"[f(p="C:\dir\q")]"# + TCEnd, [("f", #"{"p":"C:\\dir\\q"}"#)]),
    ToolCase("raw string", TCStart + #"[f(p=r"C:\new\t")]"# + TCEnd, [("f", #"{"p":"C:\\new\\t"}"#)]),
    ToolCase("unicode and emoji", TCStart + "[translate(text=\"héllo wörld 日本語 👩‍👩‍👧 🇫🇷\")]" + TCEnd,
             [("translate", "{\"text\":\"héllo wörld 日本語 👩‍👩‍👧 🇫🇷\"}")]),
    ToolCase("literal newline in string", TCStart + "[write(text=\"line1\nline2\")]" + TCEnd,
             [("write", #"{"text":"line1\nline2"}"#)]),
    ToolCase("triple-quoted string", TCStart + "[write(code='''def f():\n    return \"x\"''')]" + TCEnd,
             [("write", #"{"code":"def f():\n    return \"x\""}"#)]),
    ToolCase("implicit string concatenation", TCStart + #"[f(s="ab" 'cd')]"# + TCEnd, [("f", #"{"s":"abcd"}"#)]),
    ToolCase("empty strings", TCStart + #"[f(a="", b='')]"# + TCEnd, [("f", #"{"a":"","b":""}"#)]),
    ToolCase("JSON surrogate escapes", TCStart + #"[f(s="\ud83d\ude00 \ud800x")]"# + TCEnd,
             [("f", #"{"s":"😀 �x"}"#)]),
    ToolCase("python constants", TCStart + "[f(a=True, b=False, c=None)]" + TCEnd,
             [("f", #"{"a":true,"b":false,"c":null}"#)]),
    ToolCase("json constants", TCStart + "[f(a=true, b=false, c=null)]" + TCEnd,
             [("f", #"{"a":true,"b":false,"c":null}"#)]),
    ToolCase("negative and float numbers", TCStart + "[f(a=-3, b=2.5, c=-0.001, d=1e3, e=1.5E-7, g=.5, h=5., i=+7)]" + TCEnd,
             [("f", #"{"a":-3,"b":2.5,"c":-0.001,"d":1000.0,"e":1.5e-07,"g":0.5,"h":5.0,"i":7}"#)]),
    ToolCase("integer forms", TCStart + "[f(a=1_000, b=0x1F, c=0o17, d=0b101, e=-9223372036854775808)]" + TCEnd,
             [("f", #"{"a":1000,"b":31,"c":15,"d":5,"e":-9223372036854775808}"#)]),
    ToolCase("big integer becomes double", TCStart + "[f(a=123456789012345678901234567890)]" + TCEnd,
             [("f", #"{"a":1.2345678901234568e+29}"#)]),
    ToolCase("repeated keyword: last wins", TCStart + "[f(a=1, b=2, a=3)]" + TCEnd, [("f", #"{"a":3,"b":2}"#)]),
    ToolCase("trailing commas", TCStart + "[f(a=[1,2,], b={'x':1,},), g(),]" + TCEnd,
             [("f", #"{"a":[1,2],"b":{"x":1}}"#), ("g", "{}")]),
    ToolCase("JSON list form", TCStart + #"[{"name": "get_weather", "arguments": {"city": "Paris", "days": 3}}]"# + TCEnd,
             [("get_weather", #"{"city":"Paris","days":3}"#)]),
    ToolCase("JSON single object", TCStart + #"{"name": "get_weather", "arguments": {"city": "Paris"}}"# + TCEnd,
             [("get_weather", #"{"city":"Paris"}"#)]),
    ToolCase("JSON parameters key", TCStart + #"[{"name": "f", "parameters": {"x": [true, null]}}, {"name": "g"}]"# + TCEnd,
             [("f", #"{"x":[true,null]}"#), ("g", "{}")]),
    ToolCase("JSON arguments as string", TCStart + #"[{"name": "f", "arguments": "{\"x\": 1}"}]"# + TCEnd,
             [("f", #"{"x":1}"#)]),
    ToolCase("JSON OpenAI wrapper", TCStart + #"[{"type": "function", "function": {"name": "f", "arguments": {"a": "b"}}}]"# + TCEnd,
             [("f", #"{"a":"b"}"#)]),
    ToolCase("mixed JSON and pythonic", TCStart + #"[{"name": "f", "arguments": {}}, g(x=1)]"# + TCEnd,
             [("f", "{}"), ("g", #"{"x":1}"#)]),
    ToolCase("bare call without list", TCStart + "get_time(tz='UTC')" + TCEnd, [("get_time", #"{"tz":"UTC"}"#)]),
    ToolCase("text before", "Let me check." + TCStart + "[get_time()]" + TCEnd, content: "Let me check.",
             [("get_time", "{}")]),
    ToolCase("text after (echo kept)", TCStart + "[get_time()]" + TCEnd + "Checking the time.",
             content: "Checking the time.", [("get_time", "{}")]),
    ToolCase("text before and after", "A " + TCStart + "[f()]" + TCEnd + " B", content: "A  B", [("f", "{}")]),
    ToolCase("multiple blocks", "x" + TCStart + "[f(a=1)]" + TCEnd + "y" + TCStart + "[g(b=2), h()]" + TCEnd + "z",
             content: "xyz", [("f", #"{"a":1}"#), ("g", #"{"b":2}"#), ("h", "{}")]),
    ToolCase("dotted and dashed names", TCStart + "[weather.get_current(city='x'), get-time(), ns:bad()]" + TCEnd,
             content: "ns:bad()]", [("weather.get_current", #"{"city":"x"}"#), ("get-time", "{}")]),
    ToolCase("empty list", TCStart + "[]" + TCEnd),
    ToolCase("empty block", "a" + TCStart + TCEnd + "b", content: "ab"),
    ToolCase("plain text only", "Hello, world! [not(a=call)] <|tool_call_end|>",
             content: "Hello, world! [not(a=call)] <|tool_call_end|>"),
    ToolCase("unclosed paren at end (no end marker)", TCStart + "[f(a=1",
             content: TCStart + "[f(a=1"),
    ToolCase("unclosed paren inside block", TCStart + "[f(a=1]" + TCEnd + " after",
             content: TCStart + "[f(a=1]" + TCEnd + " after"),
    ToolCase("missing end marker but complete list", TCStart + "[f(a=1), g()]", [("f", #"{"a":1}"#), ("g", "{}")]),
    ToolCase("missing end marker, truncated second call", TCStart + "[f(a=1), g(b=\"tru",
             content: "g(b=\"tru", [("f", #"{"a":1}"#)]),
    ToolCase("garbage inside block", TCStart + "I cannot call tools" + TCEnd, content: TCStart + "I cannot call tools" + TCEnd),
    ToolCase("garbage after first call", TCStart + "[f(a=1), oops]" + TCEnd + "tail", content: "oops]tail",
             [("f", #"{"a":1}"#)]),
    ToolCase("junk after closed list", TCStart + "[f()] trailing" + TCEnd, content: "trailing", [("f", "{}")]),
    ToolCase("missing comma between calls", TCStart + "[f() g()]" + TCEnd, content: "g()]", [("f", "{}")]),
    ToolCase("positional argument rejected", TCStart + #"[get_weather("Paris")]"# + TCEnd,
             content: TCStart + #"[get_weather("Paris")]"# + TCEnd),
    ToolCase("bare name value rejected", TCStart + "[f(unit=celsius)]" + TCEnd, content: TCStart + "[f(unit=celsius)]" + TCEnd),
    ToolCase("expression rejected", TCStart + "[f(a=1+2)]" + TCEnd, content: TCStart + "[f(a=1+2)]" + TCEnd),
    ToolCase("JSON without name rejected", TCStart + #"[{"arguments": {}}]"# + TCEnd, content: TCStart + #"[{"arguments": {}}]"# + TCEnd),
    ToolCase("infinite float rejected", TCStart + "[f(a=1e999)]" + TCEnd, content: TCStart + "[f(a=1e999)]" + TCEnd),
    ToolCase("start marker alone at end", "Hi " + TCStart, content: "Hi "),
    ToolCase("partial start marker at end is content", "Hi <|tool_ca", content: "Hi <|tool_ca"),
    ToolCase("partial end marker at end", TCStart + "[f()]<|tool_call_e", content: "<|tool_call_e", [("f", "{}")]),
    ToolCase("lookalike markers are content", "<|tool_call|> <|tool_call_start> [f()]",
             content: "<|tool_call|> <|tool_call_start> [f()]"),
    ToolCase("string containing markers-like text", TCStart + #"[f(s="<|im_end|> [x] (y)")]"# + TCEnd,
             [("f", #"{"s":"<|im_end|> [x] (y)"}"#)]),
    ToolCase("deep nesting", TCStart + "[f(a=[[[[{'k': [[1]]}]]]])]" + TCEnd, [("f", #"{"a":[[[[{"k":[[1]]}]]]]}"#)]),
    ToolCase("unicode keyword and function name", TCStart + "[météo(ville='Zürich')]" + TCEnd,
             [("météo", #"{"ville":"Zürich"}"#)]),
    ToolCase("comparison is not a keyword", TCStart + "[f(a==1)]" + TCEnd, content: TCStart + "[f(a==1)]" + TCEnd),
]

@Suite("Tool-call parser: one-shot")
struct ToolCallOneShotTests {
    @Test("table case", arguments: toolCases)
    func tableCase(_ c: ToolCase) throws {
        let result = ToolCallStreamParser.parse(c.input, options: testOptions)
        #expect(result.content == c.content)
        #expect(result.toolCalls.map { ToolCase.Pair(name: $0.name, arguments: $0.arguments) } == c.calls)
        for (i, call) in result.toolCalls.enumerated() {
            #expect(call.index == i)
            #expect(call.id == "call_\(i)")
            // Arguments are always a JSON object that round-trips.
            let parsed = try JSONValue.parse(call.arguments)
            #expect(parsed.objectValue != nil)
            #expect(parsed.serialized() == call.arguments)
        }
    }

    @Test func unknownNamesAcceptedByDefault() {
        let r = ToolCallStreamParser.parse(TCStart + "[nope()]" + TCEnd, options: testOptions)
        #expect(r.toolCalls.map(\.name) == ["nope"])
    }

    @Test func unknownNamesRejectedWhenValidating() {
        var options = testOptions
        options.knownToolNames = ["get_time"]
        let ok = ToolCallStreamParser.parse(TCStart + "[get_time(), nope(a=1)]" + TCEnd, options: options)
        #expect(ok.toolCalls.map(\.name) == ["get_time"])
        #expect(ok.content == "nope(a=1)]")
        let bad = ToolCallStreamParser.parse(TCStart + "[nope()]" + TCEnd, options: options)
        #expect(bad.toolCalls.isEmpty)
        #expect(bad.content == TCStart + "[nope()]" + TCEnd)
    }

    @Test func dropContentAfterToolCalls() {
        var options = testOptions
        options.dropContentAfterToolCalls = true
        let r = ToolCallStreamParser.parse("Before " + TCStart + "[f()]" + TCEnd + "echo echo", options: options)
        #expect(r.content == "Before ")
        #expect(r.toolCalls.count == 1)
    }

    @Test func randomIDsLookLikeOpenAI() {
        let r = ToolCallStreamParser.parse(TCStart + "[f(), g()]" + TCEnd)
        #expect(r.toolCalls.count == 2)
        for call in r.toolCalls {
            #expect(call.id.hasPrefix("call_"))
            #expect(call.id.count == 29)
        }
        #expect(r.toolCalls[0].id != r.toolCalls[1].id)
    }

    @Test func toolCallJSONShapes() {
        let call = ToolCall(index: 1, id: "call_1", name: "f", arguments: #"{"a":1}"#)
        #expect(call.jsonValue().serialized()
            == #"{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}"#)
        #expect(call.streamDeltaJSONValue().serialized()
            == #"{"index":1,"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}"#)
    }

    @Test func customMarkers() {
        let options = ToolCallParserOptions(startMarker: "<tool_call>", endMarker: "</tool_call>", idGenerator: .sequential())
        let r = ToolCallStreamParser.parse(#"a<tool_call>{"name": "f", "arguments": {}}</tool_call>b"#, options: options)
        #expect(r.content == "ab")
        #expect(r.toolCalls.map(\.name) == ["f"])
    }
}

/// Tool-call markers without tool parsing (no tools, or tool_choice "none").
struct MarkerStripperTests {
    static let markers = ["<|tool_call_start|>", "<|tool_call_end|>"]
    let call = "<|tool_call_start|>[get_weather(city=\"Paris\")]<|tool_call_end|> done"

    func stripped(_ deltas: [String]) -> String {
        var s = MarkerStripper(markers: Self.markers)
        return deltas.map { s.feed($0) }.joined() + s.finish()
    }

    @Test func markersAreRemovedWhateverTheSplit() {
        for split in twoWaySplits(call) { #expect(stripped(split) == "[get_weather(city=\"Paris\")] done", "\(split)") }
        #expect(stripped(scalarDeltas(call)) == "[get_weather(city=\"Paris\")] done")
    }

    @Test func textThatOnlyStartsLikeAMarkerIsKept() {
        #expect(stripped(["a <|tool", "_call ", "x"]) == "a <|tool_call x")
        #expect(stripped(["ends with <|"]) == "ends with <|")
        #expect(stripped(["<", "b>"]) == "<b>")
    }

    @Test func parserWithoutToolsStripsAndParserWithToolsParses() {
        let plain = AssistantOutputParser.parse(call, toolCalls: nil)
        #expect(plain.content == "[get_weather(city=\"Paris\")] done")
        #expect(plain.toolCalls.isEmpty)
        let parsed = AssistantOutputParser.parse(call, toolCalls: testOptions)
        #expect(parsed.toolCalls.map(\.name) == ["get_weather"])
    }
}
