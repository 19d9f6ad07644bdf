import LFMGrammar
import OrderedJSON
import Testing

@Suite struct ToolCallGrammarTests {
    let weather = ToolCallGrammar.Tool(name: "get_weather", parameters: try! JSONValue.parse(
        #"{"type":"object","properties":{"city":{"type":"string"},"unit":{"enum":["c","f"]},"days":{"type":"integer","minimum":1}},"required":["city"]}"#))
    let time = ToolCallGrammar.Tool(name: "get_time", parameters: nil)

    func run(_ g: CompiledGrammar, _ text: String) -> Bool {
        matches(g, tokens: [ToyVocab.specialStart] + ToyVocab.tokenize(text) + [ToyVocab.specialEnd])
    }

    @Test func pythonicCallsConstrainedBySchema() throws {
        let gr = try ToolCallGrammar.lfm2(tools: [weather, time], startToken: ToyVocab.specialStart, endToken: ToyVocab.specialEnd)
        let g = try ToyVocab.compiler.compile(.grammar(gr))
        #expect(run(g, #"[get_weather(city="Paris", unit="c")]"#))
        #expect(run(g, #"[get_weather(city="Zoë", days=3),get_time()]"#))
        #expect(run(g, #"[get_time(tz="UTC", verbose=True)]"#))
        #expect(!run(g, #"[get_weather(unit="c")]"#))
        #expect(!run(g, #"[get_weather(city="Paris", unit="k")]"#))
        #expect(!run(g, #"[get_weather(city="Paris", days=0)]"#))
        #expect(!run(g, #"[get_weather(city="Paris", country="FR")]"#))
        #expect(!run(g, #"[get_wether(city="Paris")]"#))
        // Without the special tokens around it the text is not a tool call.
        #expect(!matches(g, tokens: ToyVocab.tokenize(#"[get_time()]"#)))
        expectMaskMatchesBruteForce(g, tokens: [ToyVocab.specialStart] + ToyVocab.tokenize(#"[get_weather(city="a\"b", days=12)]"#) + [ToyVocab.specialEnd])
    }

    @Test func singleCallWhenNotParallel() throws {
        let gr = try ToolCallGrammar.lfm2(tools: [time], startToken: ToyVocab.specialStart, endToken: ToyVocab.specialEnd, parallel: false)
        let g = try ToyVocab.compiler.compile(.grammar(gr))
        #expect(run(g, "[get_time()]"))
        #expect(!run(g, "[get_time(), get_time()]"))
    }

    @Test func badToolsAreErrors() {
        #expect(throws: GrammarError.self) { try ToolCallGrammar.lfm2(tools: [], startToken: 1, endToken: 2) }
        #expect(throws: GrammarError.self) {
            try ToolCallGrammar.lfm2(tools: [.init(name: "bad name", parameters: nil)], startToken: 1, endToken: 2)
        }
        #expect(throws: GrammarError.self) {
            try ToolCallGrammar.lfm2(tools: [.init(name: "f", parameters: ["type": "object", "properties": ["x": ["not": ["format": "email"]]]])], startToken: 1, endToken: 2)
        }
    }
}
