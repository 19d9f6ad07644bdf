import LFMGrammar
import Testing

@Suite struct GrammarFormsTests {
    @Test(arguments: [
        (#"root ::= "yes" | "no""#, ["yes", "no"], ["maybe", "yesno", ""]),
        ("root ::= [a-c]+ \"d\"?\n", ["abc", "cd", "a"], ["d", "abce"]),
        ("root ::= item (\",\" item)*\nitem ::= [0-9]{1,3}", ["1", "12,345,6"], ["1234", "1,", ""]),
        ("root ::= [^\\n\"]* # comment\n", ["any text é", ""], ["a\"b", "line\n"]),
        ("root ::= \"\\x41\\u00e9\" .", ["Aéz", "Aé\u{1F600}"], ["Ae"]),
        ("root ::= (\"a\" | \"b\")? \"c\"{2,}", ["cc", "accc", "bcc"], ["c", "abcc"]),
        ("root ::= expr\nexpr ::= term (\"+\" term)*\nterm ::= [0-9] | \"(\" expr \")\"", ["1+(2+3)", "((4))"], ["(1", "1+"]),
    ])
    func gbnf(grammar: String, good: [String], bad: [String]) throws {
        for s in good { #expect(try accepts(.gbnf(grammar), s), "\(s)") }
        for s in bad { #expect(try !accepts(.gbnf(grammar), s), "\(s)") }
    }

    @Test(arguments: [
        (#"\d{3}-\d{4}"#, ["555-1234"], ["5551234", "555-12345"]),
        (#"^(foo|bar)+$"#, ["foobar", "bar"], ["", "baz"]),
        (#"[A-Z][a-z]*\s\w+"#, ["Hello world_1"], ["hello world"]),
        (#"a.c"#, ["abc", "aéc"], ["a\nc", "ac"]),
        (#"[^abc]x?"#, ["d", "dx", "é"], ["a", "dxx"]),
        (#"\u00e9|\x41"#, ["é", "A"], ["e"]),
    ])
    func regex(pattern: String, good: [String], bad: [String]) throws {
        for s in good { #expect(try accepts(.regex(pattern), s), "\(s)") }
        for s in bad { #expect(try !accepts(.regex(pattern), s), "\(s)") }
    }

    @Test func choice() throws {
        let spec = GrammarSpec.choice(["positive", "negative", "neutral", "név"])
        for s in ["positive", "negative", "neutral", "név"] { #expect(try accepts(spec, s)) }
        for s in ["pos", "positives", "", "Positive"] { #expect(try !accepts(spec, s)) }
    }

    @Test func errorsNameRuleAndLine() {
        func message(_ spec: GrammarSpec) -> String? {
            do { _ = try ToyVocab.compiler.compile(spec); return nil } catch { return error.message }
        }
        #expect(message(.gbnf("root ::= a\n")) == "grammar line 1 (rule root): rule a is used but not defined")
        #expect(message(.gbnf("x ::= \"a\"\n"))?.contains("no rule named root") == true)
        #expect(message(.gbnf("root ::= \"a\"\n\nitem ::= [a-\n"))?.contains("line 3 (rule item)") == true)
        #expect(message(.gbnf("root ::= expr\nexpr ::= expr \"+\" \"1\" | \"1\""))?.contains("rule expr is left-recursive") == true)
        #expect(message(.gbnf("root ::= (\"a\" "))?.contains("missing )") == true)
        #expect(message(.gbnf("root ::= \"a\"{3,1}"))?.contains("max below min") == true)
        #expect(message(.regex("(?<=a)b"))?.contains("lookbehind") == true)
        #expect(message(.regex("(a)\\1"))?.contains("backreferences") == true)
        #expect(message(.regex("a)"))?.contains("unbalanced") == true)
        #expect(message(.choice([])) != nil)
    }

    @Test func compilerCachesBySpec() throws {
        let c = GrammarCompiler(vocabulary: ToyVocab.vocabulary, cacheCapacity: 2)
        let a = try c.compile(.regex("a+"))
        #expect(try c.compile(.regex("a+")) === a)
        _ = try c.compile(.regex("b+"))
        _ = try c.compile(.regex("c+"))
        #expect(try c.compile(.regex("a+")) !== a)
    }
}
