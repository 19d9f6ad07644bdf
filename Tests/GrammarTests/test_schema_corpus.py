"""Integrity of the committed JSON Schema corpus (Tests/Fixtures/grammar/schema-corpus.jsonl,
made by scripts/make_schema_corpus.py): every "valid" text validates with python jsonschema,
every "invalid" one does not, the texts are in the documented whitespace styles and the
manifest's statistics describe the file. No network. Needs: pip install pytest jsonschema."""
import json
import os
from collections import Counter

import jsonschema
import pytest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures", "grammar")
CORPUS = os.path.join(ROOT, "schema-corpus.jsonl")


@pytest.fixture(scope="module")
def corpus():
    with open(CORPUS, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="module")
def manifest():
    with open(os.path.join(ROOT, "schema-corpus-manifest.json"), encoding="utf-8") as f:
        return json.load(f)


def reject_constant(name):
    raise ValueError("not JSON: " + name)


def validator(schema, formats):
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema, format_checker=jsonschema.FormatChecker(formats=formats))


def dumps(value, style):
    if style == "compact":
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if style == "spaces":
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    assert style == "indent2", style
    return json.dumps(value, ensure_ascii=False, indent=2)


def test_size_and_shape(corpus):
    assert len(corpus) >= 300
    assert os.path.getsize(CORPUS) <= 3_000_000
    ids = [line["id"] for line in corpus]
    assert len(set(ids)) == len(ids)
    for line in corpus:
        assert line["source"] and line["tests"], line["id"]
        assert isinstance(line["schema"], (dict, bool)), line["id"]
        for t in line["tests"]:
            assert isinstance(t["text"], str) and isinstance(t["valid"], bool), line["id"]
            json.loads(t["text"], parse_constant=reject_constant)  # strict JSON: no NaN/Infinity
            assert not (t["valid"] and "exclude_reason" in t), line["id"]
    sources = Counter(i.split("/")[0] for i in ids)
    assert set(sources) == {"suite", "schemastore", "function"}


def test_valid_texts_validate_and_invalid_texts_fail(corpus, manifest):
    formats = manifest["asserted_formats"]
    wrong = []
    for line in corpus:
        v = validator(line["schema"], formats)
        for t in line["tests"]:
            if v.is_valid(json.loads(t["text"])) != t["valid"]:
                wrong.append((line["id"], t["valid"], t["text"][:120]))
    assert not wrong, wrong[:5]


def test_texts_are_in_the_documented_styles(corpus, manifest):
    seen = Counter()
    for line in corpus:
        for t in line["tests"]:
            assert t["style"] in manifest["styles"], line["id"]
            assert dumps(json.loads(t["text"]), t["style"]) == t["text"], (line["id"], t["text"][:80])
            seen[t["style"]] += 1
    assert set(seen) == set(manifest["styles"])


def test_manifest_describes_the_corpus(corpus, manifest):
    stats = manifest["stats"]
    tests = [t for line in corpus for t in line["tests"]]
    assert stats["schemas"] == len(corpus)
    assert stats["valid"] == sum(t["valid"] for t in tests)
    assert stats["invalid"] == sum(not t["valid"] for t in tests)
    assert stats["invalid_excluded"] == sum("exclude_reason" in t for t in tests)
    for name in ("LICENSE-JSON-Schema-Test-Suite.txt", "LICENSE-SchemaStore.txt", "README.md"):
        assert os.path.getsize(os.path.join(ROOT, name)) > 500, name
