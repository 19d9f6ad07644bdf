"""`lfm-serve grammar-check` (the release build users run, LFM_SERVE_BIN) against python
`jsonschema` as the reference:

- over the committed corpus (Tests/Fixtures/grammar/schema-corpus.jsonl): every schema it
  compiles accepts each valid instance and rejects each invalid one (excluded instances aside),
  and it compiles at least as many schemas as docs/benchmarks.md reports;
- over the schemas below, whose semantics are easy to get wrong (unevaluated* beside `not` and
  `if`/`then`/`else`): each candidate instance is classified by jsonschema at test time and the
  grammar must agree (the schema must compile).
"""
import json
import os
import subprocess
import tempfile

import jsonschema
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
CORPUS = os.path.join(ROOT, "Tests", "Fixtures", "grammar", "schema-corpus.jsonl")
TOKENIZER = os.path.join(ROOT, "Tests", "Fixtures", "lfm2-tokenizer")
# docs/benchmarks.md, "Coverage, seventh round": a change that refuses more fails here.
MIN_COMPILED = 588


def grammar_check(cases):
    binary = os.environ.get("LFM_SERVE_BIN")
    assert binary and os.access(binary, os.X_OK), "set LFM_SERVE_BIN to the release lfm-serve binary (scripts/test.sh does)"
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8") as f:
        f.writelines(json.dumps(c) + "\n" for c in cases)
        f.flush()
        out = subprocess.run([binary, "grammar-check", "--model", TOKENIZER, "--input", f.name],
                             capture_output=True, text=True, timeout=240, check=True)
    lines = [json.loads(l) for l in out.stdout.splitlines()]
    assert len(lines) == len(cases)
    return lines


def test_corpus_agrees_with_its_labels():
    with open(CORPUS, encoding="utf-8") as f:
        corpus = [json.loads(line) for line in f]
    results = grammar_check(corpus)
    wrong = []
    for case, res in zip(corpus, results):
        if not res["compiled"]:
            assert res["error"], case["id"]
            continue
        for t, r in zip(case["tests"], res["tests"]):
            if t["valid"] != r["accepted"] and not (not t["valid"] and "exclude_reason" in t):
                wrong.append((case["id"], t["valid"], t["text"][:80]))
    assert not wrong, wrong
    compiled = sum(r["compiled"] for r in results)
    assert compiled >= MIN_COMPILED, f"{compiled} of {len(corpus)} compiled, fewer than {MIN_COMPILED}"


OBJECTS = [{}, {"foo": "then"}, {"foo": "else"}, {"bar": "bar"}, {"baz": "baz"}, {"foo": "then", "bar": "bar"},
           {"foo": "then", "bar": 1}, {"foo": "else", "baz": "baz"}, {"foo": "then", "baz": "baz"},
           {"foo": "then", "bar": "bar", "baz": "baz"}, {"foo": 1}, {"foo": "foo", "bar": "bar"}, {"x": 1},
           {"foo": "then", "x": 1}, {"baz": "baz", "x": 1}, {"bar": "bar", "baz": "baz"}, {"a": 1}, {"foo": "then", "a": 1},
           {"foo": "else", "a": 1, "b": 2}, {"foo": "foo", "c": [], "x": 2}, {"foo": 1, "a": 1}, {"foo": "other", "g": 0}]
ARRAYS = [[], ["foo"], ["foo", "bar"], ["foo", "baz"], ["bar"], ["foo", "bar", "then"], [1], ["foo", 1], [1, 2, 3]]
SCALARS = [None, True, 0, 1.5, "s"]

IF_FOO = {"properties": {"foo": {"const": "then"}}, "required": ["foo"]}
THEN_BAR = {"properties": {"bar": {"type": "string"}}, "required": ["bar"]}
ELSE_BAZ = {"properties": {"baz": {"type": "string"}}, "required": ["baz"]}
SCHEMAS = [
    # unevaluatedProperties beside if/then/else: a failed `if` evaluates nothing.
    {"if": IF_FOO, "then": THEN_BAR, "else": ELSE_BAZ, "unevaluatedProperties": False},
    {"if": IF_FOO, "else": ELSE_BAZ, "unevaluatedProperties": False},
    {"if": IF_FOO, "then": THEN_BAR, "unevaluatedProperties": False},
    {"if": {"required": ["foo"]}, "then": THEN_BAR, "unevaluatedProperties": False},
    {"properties": {"foo": {"type": "string"}}, "if": IF_FOO, "then": THEN_BAR, "else": ELSE_BAZ,
     "unevaluatedProperties": {"type": "string"}},
    {"if": IF_FOO, "then": THEN_BAR, "else": ELSE_BAZ, "unevaluatedProperties": {"const": "baz"}},
    # beside `not`: what the negated schema names is still unevaluated.
    {"properties": {"foo": {"type": "string"}}, "not": {"not": {"properties": {"bar": {"const": "bar"}}, "required": ["bar"]}},
     "unevaluatedProperties": False},
    {"properties": {"foo": {}}, "not": {"required": ["bar"]}, "unevaluatedProperties": False},
    {"properties": {"foo": {}}, "not": {"properties": {"foo": {"const": "then"}}, "required": ["foo"]},
     "unevaluatedProperties": False},
    {"allOf": [{"not": {"required": ["x"]}}], "unevaluatedProperties": False},
    {"allOf": [{"properties": {"bar": {}}}], "not": {"required": ["baz"]}, "unevaluatedProperties": {"type": "string"}},
    {"anyOf": [{"properties": {"foo": {}}, "required": ["foo"]}, {"not": {"required": ["foo"]}}],
     "unevaluatedProperties": False},
    # unevaluatedItems beside `not`.
    {"prefixItems": [{"const": "foo"}], "not": {"not": {"prefixItems": [True, {"const": "bar"}]}}, "unevaluatedItems": False},
    {"prefixItems": [{"const": "foo"}], "not": {"maxItems": 1}, "unevaluatedItems": {"type": "string"}},
    {"prefixItems": [True], "not": {"minItems": 3}, "unevaluatedItems": {"type": "integer"}},
    # one property schema in every branch dependencies multiply the object into (compiled once).
    {"$schema": "http://json-schema.org/draft-07/schema#",
     "properties": {"foo": {"enum": ["then", "else", "foo"]}, "bar": {"type": "string"}, "baz": {"const": "baz"}},
     "dependencies": {"foo": ["bar"], "baz": {"not": {"required": ["foo"]}}, "x": ["baz"]}},
    # more than 6 dependencies that each allow their trigger beside some values of one property.
    {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
     "properties": {"foo": {"type": "string", "enum": ["then", "else", "foo"]}, "a": {}, "b": {}, "c": {}, "x": {}},
     "dependencies": {t: {"properties": {"foo": {"enum": vs}}} for t, vs in [
         ("a", ["then", "else"]), ("b", ["else"]), ("c", ["foo"]), ("x", ["foo", "then"]), ("bar", ["then"]),
         ("baz", ["else", "foo"]), ("g", ["then"])]}},
    {"dependentSchemas": {t: {"properties": {"foo": {"const": v}}} for t, v in [
        ("a", "then"), ("b", "else"), ("c", "foo"), ("x", "then"), ("bar", "then"), ("baz", "else"), ("g", 1)]},
     "dependentRequired": {"bar": ["foo"]}},
    {"properties": {"foo": {"enum": ["then", "else"]}}, "anyOf": [{"required": ["foo"]}, {"required": ["bar"]}],
     "dependentSchemas": {"bar": {"properties": {"foo": {"const": "then"}}}}},
]


@pytest.mark.parametrize("index", range(len(SCHEMAS)))
def test_schemas_agree_with_jsonschema(index):
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **SCHEMAS[index]}
    check = jsonschema.validators.validator_for(schema)(schema)
    instances = OBJECTS + ARRAYS + SCALARS
    tests = [{"text": json.dumps(v), "valid": check.is_valid(v)} for v in instances]
    (res,) = grammar_check([{"schema": schema, "tests": tests}])
    assert res["compiled"], res["error"]
    got = [(t["text"], t["valid"], r["accepted"]) for t, r in zip(tests, res["tests"]) if t["valid"] != r["accepted"]]
    assert not got, got
