#!/usr/bin/env python3
"""Generate tokenizer goldens for LFMTokenizer's tests with the reference `tokenizers` library.

Usage (needs `pip install tokenizers`; no network):
    python3 scripts/make_tokenizer_goldens.py

Writes Tests/Fixtures/tokenizer-goldens.jsonl: one JSON object per line,
{"text": ..., "ids": [...], "decoded"?: ..., "decoded_skip"?: ...}
where `ids` is encode(text, add_special_tokens=False) (with special tokens it is [1] + ids,
asserted here), `decoded` is decode([1] + ids) when it differs from "<|startoftext|>" + text and
`decoded_skip` is decode([1] + ids, skip_special_tokens=True) when it differs from text.
The string set is deterministic (seeded) and covers prose in every language LFM2 lists,
code, numbers, whitespace, emoji (ZWJ, skin tones), combining marks, replacement chars
and text that contains or nearly contains special tokens.
"""
import glob
import json
import os
import random

from tokenizers import Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOK = os.path.join(ROOT, "Tests/Fixtures/lfm2-tokenizer/tokenizer.json")
OUT = os.path.join(ROOT, "Tests/Fixtures/tokenizer-goldens.jsonl")

rng = random.Random(20261124)

PROSE = {
    "en": [
        "The quick brown fox jumps over the lazy dog.",
        "What is C. elegans? It's a nematode; they've been studied since the 1960s.",
        "I'd say we'll need about 3.5 liters, but you're the expert — aren't you?",
        "Hello world",
        "Mr. O'Neil's dog didn't bark; it's been QUIET since Tuesday's storm.",
        "Large language models predict the next token given the previous ones.",
        "SHE'LL BE THERE AT 10:30 A.M., HE'D SAID, AND THEY'RE LATE.",
    ],
    "ar": ["مرحبا بالعالم، كيف حالك اليوم؟", "الذكاء الاصطناعي يغير طريقة عملنا.", "أحب القراءة في المساء ١٢٣٤٥."],
    "zh": ["你好，世界！今天天气很好。", "机器学习是人工智能的一个分支。", "我们在二〇二六年十一月见面吧。"],
    "ja": ["こんにちは世界。東京は今日晴れです。", "カタカナとひらがなと漢字を混ぜた文章です。", "ｶﾀｶﾅ半角も試します。"],
    "ko": ["안녕하세요, 세계! 오늘 날씨가 좋네요.", "인공지능은 빠르게 발전하고 있습니다.", "서울에서 부산까지 KTX로 2시간 30분."],
    "fr": ["Bonjour le monde ! Ça va très bien, merci.", "L'élève a mangé une crème brûlée à Noël.", "Où est la bibliothèque ? C'est à côté."],
    "de": ["Größere Straßen führen über die Brücke.", "Die Bundesausbildungsförderungsgesetz-Novelle ist da.", "Schöne Grüße aus München!"],
    "it": ["Ciao mondo! Com'è andata la giornata?", "Perché l'università è chiusa lunedì?", "Però è già più tardi."],
    "pt": ["Olá mundo! A ação começou às três horas.", "Não sei se você já viu o coração da cidade.", "Eles estão à procura de informações."],
    "es": ["¡Hola mundo! ¿Cómo estás, señor Núñez?", "El niño comió piña en el año 2025.", "Mañana iré a la montaña con mi pingüino."],
}

CODE = [
    "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
    "for (int i = 0; i < n; ++i) {\n\tsum += a[i] * b[i];\n}\r\n",
    "const x = await fetch(`/api/v1/items?id=${id}`);\nconsole.log(x?.json());",
    "fn main() -> Result<(), Box<dyn Error>> {\n    println!(\"{:?}\", vec![1, 2, 3]);\n    Ok(())\n}",
    "SELECT name, COUNT(*) AS n FROM users WHERE age >= 18 GROUP BY name HAVING n > 1;",
    "#include <stdio.h>\nint main(void){printf(\"%d\\n\", 42);return 0;}",
    "let xs = [1, 2, 3].map { $0 * 2 }.filter { $0 > 2 }",
    "<div class=\"a\"><span>&amp;&lt;tag&gt;</span></div>",
    "    if (x != null && y === undefined) { throw new Error('bad'); }",
    "$ ls -la | grep '^d' | awk '{print $9}' > dirs.txt 2>&1",
    "{\"name\": \"get_weather\", \"parameters\": {\"type\": \"object\", \"required\": [\"city\"]}}",
    "public static void main(String[] args) { System.out.println(\"Hi\"); }",
    "x = {'a': [1, 2.5, -3e10], \"b\": None, 'c': True}  # comment",
    "@@ -1,3 +1,4 @@\n-old line\n+new line\n+another",
]

SPECIALS = [
    "<|im_start|>", "<|im_end|>", "<|startoftext|>", "<|endoftext|>", "<|pad|>", "<|tool_call_start|>",
    "<|tool_call_end|>", "<|tool_list_start|>", "<|tool_response_start|>", "<|reserved_4|>", "<|reserved_6|>",
    "<|cot_start|>", "<|file_end|>", "Mathias", "python", "<think>", "</think>",
]
NEAR = ["<|im_start|", "<|im_end", "|im_end|>", "<|IM_END|>", "< |im_end|>", "<|im_end||>", "<<|im_end|>>",
        "<|reserved_999|>", "<|tool_call|>", "Pythonic", "PYTHON", "pytho", "Mathia", "mathias", "<|", "|>"]

EMOJI = ["🚀", "👍🏽", "👩‍💻", "👨‍👩‍👧‍👦", "🏳️‍🌈", "❤️", "🇫🇷", "🧑🏿‍🚀", "😀😃😄", "✋🏻✋🏼✋🏽✋🏾✋🏿", "🫠", "☕️"]
COMBINING = ["e\u0301", "a\u0308\u0304", "n\u0303o", "\u1100\u1161\u11a8", "Z\u0351\u0352\u0353", "ด\u0e38", "क्षि", "\u05e9\u05c1\u05b8"]
WS = [" ", "  ", "\t", "\n", "\r\n", "\n\n", "   \n  ", "\u00a0", "\u3000", "\u2003", "\t\t", " \t \n", "\r", "\u2028", "\u0085"]
PUNCT = list(".,;:!?-—–…'\"()[]{}<>/\\|@#$%^&*_+=~`€£¥©®™°±×÷§¶•")

# Lines of real code and prose-like docstrings from the Python standard library (offline).
std_files = sorted(glob.glob(os.path.join(os.path.dirname(os.__file__), "*.py")))
code_lines = []
for f in std_files[:60]:
    try:
        with open(f, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except (UnicodeDecodeError, OSError):
        continue
    for i in range(0, len(lines), 97):
        chunk = "\n".join(lines[i:i + rng.randint(1, 6)])
        if chunk.strip():
            code_lines.append(chunk)


def rand_number():
    kind = rng.randint(0, 6)
    if kind == 0:
        return str(rng.randint(0, 10 ** rng.randint(1, 15)))
    if kind == 1:
        return f"{rng.uniform(-1e6, 1e6):.{rng.randint(0, 8)}f}"
    if kind == 2:
        return f"{rng.random():e}"
    if kind == 3:
        return "0x" + "".join(rng.choice("0123456789abcdefABCDEF") for _ in range(rng.randint(1, 16)))
    if kind == 4:
        return ",".join(str(rng.randint(0, 999)) for _ in range(rng.randint(2, 5)))
    if kind == 5:
        return "".join(rng.choice("٠١٢٣٤٥٦٧٨٩") for _ in range(rng.randint(1, 7)))
    return f"{rng.randint(1, 31)}/{rng.randint(1, 12)}/{rng.randint(1900, 2100)}"


def rand_unicode(n):
    ranges = [(0x20, 0x7e), (0xa0, 0x24f), (0x370, 0x3ff), (0x400, 0x4ff), (0x590, 0x5ff), (0x600, 0x6ff),
              (0x900, 0x97f), (0xe00, 0xe7f), (0x3040, 0x30ff), (0x4e00, 0x9fff), (0xac00, 0xd7a3),
              (0x1f300, 0x1f5ff), (0x2000, 0x206f), (0xff00, 0xffef)]
    out = []
    for _ in range(n):
        lo, hi = rng.choice(ranges)
        out.append(chr(rng.randint(lo, hi)))
    return "".join(out)


def mix(parts, k):
    pieces = [rng.choice(parts) for _ in range(k)]
    seps = [rng.choice(WS + [""]) for _ in range(k)]
    return "".join(p + s for p, s in zip(pieces, seps))


all_prose = [s for v in PROSE.values() for s in v]
strings = []
# Fixed cases from the spec and simple edge cases.
strings += ["Hello world", "What is C. elegans?", " pythonic python", "12345 3.14159", "naïve café 東京 🚀",
            "I've  got\n\n  spaces\t\ttabs", "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            "<|tool_call_start|>[f(a=1)]<|tool_call_end|>", "", " ", "a", "\n", "\ufffd", "\ufffd\ufffd x",
            "'s", "'S'T'RE'VE'M'LL'D", "'ſ", "don'T", "x's", "  'll", "1234567890", "a1b22c333d4444",
            " " * 50, "\n" * 20, "\t" * 9 + "x", "x" * 300, "ab" * 200, "!" * 100]
strings += all_prose + CODE + SPECIALS + NEAR + EMOJI + COMBINING + WS
for _ in range(500):
    strings.append(mix(all_prose, rng.randint(1, 3)))
for lang, sents in PROSE.items():
    for _ in range(25):
        strings.append(mix(sents + PUNCT + [rand_number()], rng.randint(2, 6)))
for _ in range(250):
    strings.append(rng.choice(code_lines))
for _ in range(120):
    strings.append(mix(CODE, rng.randint(1, 2)))
for _ in range(150):
    strings.append(mix([rand_number() for _ in range(5)] + PUNCT + [" ", "x", "v"], rng.randint(1, 8)))
for _ in range(150):
    strings.append(mix(EMOJI + COMBINING + all_prose[:5], rng.randint(1, 5)))
for _ in range(200):
    strings.append(mix(SPECIALS + NEAR + all_prose[:8] + WS, rng.randint(1, 6)))
for _ in range(300):
    strings.append(rand_unicode(rng.randint(1, 40)))
for _ in range(150):
    strings.append(mix(WS + PUNCT + ["a", "B", "1", "'", "'s"], rng.randint(2, 20)))
for _ in range(100):
    s = list(rng.choice(all_prose + CODE))
    for _ in range(rng.randint(1, 4)):
        s.insert(rng.randint(0, len(s)), rng.choice(SPECIALS + WS + EMOJI + ["\ufffd", "\r"]))
    strings.append("".join(s))

tok = Tokenizer.from_file(TOK)
seen = set()
with open(OUT, "w", encoding="utf-8") as out:
    n = 0
    for s in strings:
        if s in seen:
            continue
        seen.add(s)
        ids = tok.encode(s, add_special_tokens=False).ids
        assert tok.encode(s, add_special_tokens=True).ids == [1] + ids, s
        rec = {"text": s, "ids": ids}
        decoded = tok.decode([1] + ids, skip_special_tokens=False)
        if decoded != "<|startoftext|>" + s:
            rec["decoded"] = decoded
        skipped = tok.decode([1] + ids, skip_special_tokens=True)
        if skipped != s:
            rec["decoded_skip"] = skipped
        out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        n += 1
print(f"wrote {n} strings to {OUT}")
