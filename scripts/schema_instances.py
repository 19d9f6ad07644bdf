"""Seeded JSON Schema instance generator, invalid-instance mutator and exclusion analysis.

Used by scripts/make_schema_corpus.py to give SchemaStore and function-calling schemas valid
and invalid instances. Everything here is deterministic for a given `random.Random` seed.
Nothing here is trusted: the corpus builder keeps a "valid" instance only when python
`jsonschema` validates it and an "invalid" one only when `jsonschema` rejects it.
"""
from __future__ import annotations

import copy
import json
import random
import re
import string
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import re._parser as sre_parse  # Python >= 3.11
        import re._constants as sre_c
    except ImportError:  # pragma: no cover
        import sre_parse  # type: ignore
        import sre_constants as sre_c  # type: ignore

import jsonschema
from jsonschema import Draft202012Validator, FormatChecker

# Formats whose assertion python `jsonschema` performs with the standard library alone (no
# optional extras), so that the corpus validates the same way on every machine.
ASSERTED_FORMATS = ("date", "email", "ipv4", "uuid")


def make_validator(schema):
    """The validator every corpus check uses: the dialect named by `$schema` (2020-12 when
    absent) with assertion of `ASSERTED_FORMATS`."""
    cls = jsonschema.validators.validator_for(schema, default=Draft202012Validator)
    return cls(schema, format_checker=FormatChecker(formats=ASSERTED_FORMATS))


class GenFail(Exception):
    """The generator could not follow the schema on this attempt."""


WORDS = ["alpha", "beta", "gamma", "delta", "main", "build", "test", "deploy", "value", "name",
         "config", "item", "node", "release", "north", "blue", "green", "linux", "server", "data"]

FORMAT_VALUES = {
    "date-time": ["2024-03-15T10:20:30Z", "2023-11-02T08:05:00+02:00", "2025-01-31T23:59:59.250Z"],
    "date": ["2024-03-15", "2023-11-02", "1999-12-31"],
    "time": ["10:20:30Z", "08:05:00+02:00", "23:59:59.5Z"],
    "email": ["alice@example.com", "bob.smith@mail.example.org", "ops+ci@example.net"],
    "idn-email": ["alice@example.com"],
    "uri": ["https://example.com/path", "http://example.org/a?b=c", "urn:isbn:0451450523"],
    "iri": ["https://example.com/path"],
    "uri-reference": ["https://example.com/x", "/relative/path", "docs/index.html"],
    "iri-reference": ["/relative/path"],
    "uri-template": ["https://example.com/{id}"],
    "uuid": ["123e4567-e89b-12d3-a456-426614174000", "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"],
    "ipv4": ["192.168.0.1", "10.0.0.254", "8.8.8.8"],
    "ipv6": ["2001:db8::1", "::1"],
    "hostname": ["example.com", "build-01.example.org"],
    "idn-hostname": ["example.com"],
    "regex": ["^[a-z]+$", "[0-9]*"],
    "json-pointer": ["/a/b", ""],
    "relative-json-pointer": ["0/a", "1"],
    "duration": ["P3D", "PT5M"],
    "color": ["#ff0000"],
}


def _pointer(root, ref):
    if ref == "#":
        return root
    if not ref.startswith("#/"):
        raise GenFail("non-pointer ref " + ref)
    node = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        part = re.sub(r"%([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), part)
        if isinstance(node, list):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise GenFail("dangling ref " + ref)
    return node


def merge(a, b):
    """Naive conjunction of two schema objects (enough for generation; validation filters)."""
    if b is True or b == {}:
        return a
    if a is True or a == {}:
        return b
    if a is False or b is False:
        raise GenFail("false schema in conjunction")
    out = dict(a)
    for k, v in b.items():
        if k == "properties" and isinstance(out.get(k), dict):
            p = dict(out[k])
            for name, sub in v.items():
                p[name] = merge(p[name], sub) if name in p else sub
            out[k] = p
        elif k == "required" and isinstance(out.get(k), list):
            out[k] = out[k] + [r for r in v if r not in out[k]]
        elif k == "type" and k in out:
            ta = out[k] if isinstance(out[k], list) else [out[k]]
            tb = v if isinstance(v, list) else [v]
            both = [t for t in ta if t in tb or (t == "integer" and "number" in tb)]
            both += [t for t in tb if t == "integer" and "number" in ta and t not in both]
            if not both:
                raise GenFail("empty type intersection")
            out[k] = both
        else:
            out[k] = v
    return out


class InstanceGenerator:
    """Generates instances that follow a schema, best effort; callers validate them."""

    def __init__(self, root, rng: random.Random):
        self.root = root
        self.rng = rng

    def resolve(self, s, hops=0):
        while isinstance(s, dict) and "$ref" in s:
            hops += 1
            if hops > 50:
                raise GenFail("ref loop")
            target = _pointer(self.root, s["$ref"])
            rest = {k: v for k, v in s.items() if k != "$ref"}
            s = merge(target, rest) if rest else target
        return s

    def generate(self, s, depth=0):
        if depth > 24:
            raise GenFail("too deep")
        if s is True:
            return self.scalar()
        if s is False:
            raise GenFail("false schema")
        s = self.resolve(s)
        if not isinstance(s, dict):
            raise GenFail("bad schema node")
        if "allOf" in s:
            base = {k: v for k, v in s.items() if k != "allOf"}
            for sub in s["allOf"]:
                base = merge(base, self.resolve(sub))
            return self.generate(base, depth)
        for key in ("oneOf", "anyOf"):
            if key in s and s[key]:
                base = {k: v for k, v in s.items() if k != key}
                return self.generate(merge(base, self.resolve(self.rng.choice(s[key]))), depth)
        if "const" in s:
            return copy.deepcopy(s["const"])
        if "enum" in s and s["enum"]:
            return copy.deepcopy(self.rng.choice(s["enum"]))
        t = s.get("type")
        if isinstance(t, list):
            non_null = [x for x in t if x != "null"]
            t = self.rng.choice(non_null) if non_null and self.rng.random() < 0.85 else self.rng.choice(t)
        if t is None:
            t = self.infer_type(s)
        if t == "object":
            return self.object(s, depth)
        if t == "array":
            return self.array(s, depth)
        if t == "string":
            return self.string(s)
        if t in ("integer", "number"):
            return self.number(s, t == "integer")
        if t == "boolean":
            return self.rng.random() < 0.5
        if t == "null":
            return None
        return self.scalar()

    @staticmethod
    def infer_type(s):
        if any(k in s for k in ("properties", "required", "additionalProperties", "patternProperties")):
            return "object"
        if any(k in s for k in ("items", "prefixItems", "minItems", "maxItems")):
            return "array"
        if any(k in s for k in ("pattern", "minLength", "maxLength", "format")):
            return "string"
        if any(k in s for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")):
            return "number"
        return None

    def scalar(self):
        return self.rng.choice([self.rng.choice(WORDS), self.rng.randint(0, 99), True, None])

    def object(self, s, depth):
        props = s.get("properties") if isinstance(s.get("properties"), dict) else {}
        required = [r for r in s.get("required", []) if isinstance(r, str)]
        p_optional = 0.55 / (1 + depth * 0.6) if depth < 6 else 0.0
        out = {}
        for name, sub in props.items():
            if name in required or self.rng.random() < p_optional:
                out[name] = self.generate(sub, depth + 1)
        extra_schema = s.get("additionalProperties", True)
        for name in required:
            if name not in out:
                out[name] = self.generate(extra_schema if isinstance(extra_schema, dict) else True, depth + 1)
        want = s.get("minProperties", 0)
        if (not props and depth < 6) or len(out) < want:
            pattern_props = s.get("patternProperties") or {}
            n = max(want - len(out), self.rng.randint(0, 2) if not props else 0)
            for _ in range(n):
                if pattern_props:
                    pat, sub = self.rng.choice(sorted(pattern_props.items()))
                    key = self.regex_string(pat, 1, 12)
                elif extra_schema is not False:
                    key, sub = self.rng.choice(WORDS) + str(self.rng.randint(1, 9)), extra_schema
                    if key in props:
                        continue
                else:
                    break
                names = s.get("propertyNames")
                if isinstance(names, dict) and "pattern" in names:
                    key = self.regex_string(names["pattern"], 1, 12)
                out[key] = self.generate(sub if isinstance(sub, dict) else True, depth + 1)
        return out

    def array(self, s, depth):
        prefix = s.get("prefixItems")
        items = s.get("items", True)
        if isinstance(items, list):  # draft 4-7 tuple form
            prefix, items = items, s.get("additionalItems", True)
        lo = s.get("minItems", 0)
        hi = s.get("maxItems", lo + (2 if depth < 4 else 0))
        hi = min(hi, lo + (2 if depth < 4 else 0))
        out = []
        if prefix:
            n = self.rng.randint(max(lo, 0), max(lo, len(prefix)))
            n = min(n, len(prefix)) if items is False else n
            for i in range(n):
                out.append(self.generate(prefix[i] if i < len(prefix) else items, depth + 1))
            return out
        n = self.rng.randint(lo, max(lo, hi))
        for _ in range(n):
            out.append(self.generate(items if isinstance(items, (dict, bool)) else True, depth + 1))
        return out

    def string(self, s):
        lo = s.get("minLength", 0)
        hi = s.get("maxLength", max(lo, 12))
        fmt = s.get("format")
        if fmt in FORMAT_VALUES:
            return self.rng.choice(FORMAT_VALUES[fmt])
        if "pattern" in s:
            return self.regex_string(s["pattern"], lo, hi)
        word = self.rng.choice(WORDS)
        if self.rng.random() < 0.3:
            word += "-" + self.rng.choice(WORDS)
        while len(word) < lo:
            word += self.rng.choice(string.ascii_lowercase)
        return word[:hi] if hi >= lo else word

    def number(self, s, integer):
        lo, hi = s.get("minimum"), s.get("maximum")
        xlo, xhi = s.get("exclusiveMinimum"), s.get("exclusiveMaximum")
        if xlo is True:  # draft 4 boolean form
            xlo, lo = lo, None
        if xhi is True:
            xhi, hi = hi, None
        lo_v = lo if isinstance(lo, (int, float)) and not isinstance(lo, bool) else None
        hi_v = hi if isinstance(hi, (int, float)) and not isinstance(hi, bool) else None
        if isinstance(xlo, (int, float)) and not isinstance(xlo, bool):
            lo_v = max(lo_v, xlo + (1 if integer else 0.01)) if lo_v is not None else xlo + (1 if integer else 0.01)
        if isinstance(xhi, (int, float)) and not isinstance(xhi, bool):
            hi_v = min(hi_v, xhi - (1 if integer else 0.01)) if hi_v is not None else xhi - (1 if integer else 0.01)
        if lo_v is None:
            lo_v = 0 if hi_v is None or hi_v >= 0 else hi_v - 100
        if hi_v is None:
            hi_v = lo_v + 100
        step = s.get("multipleOf")
        if isinstance(step, (int, float)) and step > 0:
            import math
            k_lo, k_hi = math.ceil(lo_v / step), math.floor(hi_v / step)
            if k_lo > k_hi:
                raise GenFail("no multiple in range")
            v = self.rng.randint(k_lo, min(k_hi, k_lo + 50)) * step
            return int(v) if integer or (isinstance(step, int) and isinstance(v, int)) else round(v, 10)
        if integer or self.rng.random() < 0.5:
            import math
            a, b = math.ceil(lo_v), math.floor(hi_v)
            if a > b:
                raise GenFail("empty integer range")
            return self.rng.randint(a, min(b, a + 1000))
        return round(self.rng.uniform(lo_v, min(hi_v, lo_v + 1000)), 2)

    # -- regular expressions -------------------------------------------------------------
    def regex_string(self, pattern, lo=0, hi=64):
        try:
            tree = sre_parse.parse(pattern)
        except Exception as e:  # noqa: BLE001
            raise GenFail("pattern does not parse: %s" % e)
        for _ in range(12):
            out = self._emit(tree)
            if lo <= len(out) <= hi and re.search(pattern, out):
                return out
        raise GenFail("no string for pattern")

    def _emit(self, items):
        out = []
        for op, av in items:
            out.append(self._emit_one(op, av))
        return "".join(out)

    def _emit_one(self, op, av):
        if op == sre_c.LITERAL:
            return chr(av)
        if op == sre_c.NOT_LITERAL:
            return self.rng.choice([c for c in "abcxyz019" if ord(c) != av])
        if op == sre_c.ANY:
            return self.rng.choice("abcdefxyz0123")
        if op == sre_c.IN:
            return self._class(av)
        if op == sre_c.BRANCH:
            return self._emit(self.rng.choice(av[1]))
        if op == sre_c.SUBPATTERN:
            return self._emit(av[-1])
        if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, getattr(sre_c, "POSSESSIVE_REPEAT", None)):
            lo, hi, sub = av
            hi = min(hi, lo + 3)
            return "".join(self._emit(sub) for _ in range(self.rng.randint(lo, hi)))
        if op in (sre_c.AT, sre_c.ASSERT, sre_c.ASSERT_NOT):
            return ""
        if op == sre_c.CATEGORY:
            return self._category(av)
        raise GenFail("regex construct %s" % op)

    def _category(self, cat):
        name = str(cat)
        if "NOT" in name:
            return "-"
        if "DIGIT" in name:
            return self.rng.choice(string.digits)
        if "SPACE" in name:
            return " "
        return self.rng.choice(string.ascii_letters + string.digits + "_")

    def _class(self, av):
        negate = any(op == sre_c.NEGATE for op, _ in av)
        chars = []
        for op, v in av:
            if op == sre_c.LITERAL:
                chars.append(chr(v))
            elif op == sre_c.RANGE:
                a, b = v
                chars.extend(chr(c) for c in range(a, min(b, a + 40) + 1))
            elif op == sre_c.CATEGORY:
                chars.append(self._category(v))
        if negate:
            pool = [c for c in string.ascii_letters + string.digits + "-_." if c not in chars]
            if not pool:
                raise GenFail("empty negated class")
            return self.rng.choice(pool)
        if not chars:
            raise GenFail("empty class")
        return self.rng.choice(chars)


def dumps(value, style):
    """Serialize in one of the corpus' whitespace styles."""
    if style == "compact":
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if style == "spaces":
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    if style == "indent2":
        return json.dumps(value, ensure_ascii=False, indent=2)
    raise ValueError(style)


STYLES = ("compact", "spaces", "indent2")


def key_ranks(schema):
    """Property names in the order a reader meets them from the root: a node's `properties`
    first, then its keywords in order, a local `$ref`'s target read where the `$ref` stands
    (once per target); `$defs` / `definitions` and values (const, enum, default, examples)
    only rank the names nothing before reached."""
    ranks = {}
    followed = set()

    def walk(node, in_value=False, follow=True):
        if isinstance(node, dict):
            if in_value:
                for k in node:
                    ranks.setdefault(k, len(ranks))
            props = node.get("properties") if not in_value else None
            if isinstance(props, dict):
                for k in props:
                    ranks.setdefault(k, len(ranks))
            for k, v in node.items():
                if follow and not in_value:
                    if k in ("$defs", "definitions"):
                        continue
                    if k == "$ref" and isinstance(v, str) and v.startswith("#"):
                        if v not in followed:
                            followed.add(v)
                            try:
                                walk(_pointer(schema, v))
                            except (GenFail, IndexError, ValueError):
                                pass
                        continue
                walk(v, in_value or k in ("const", "enum", "default", "examples"), follow)
        elif isinstance(node, list):
            for v in node:
                walk(v, in_value, follow)
    walk(schema)
    walk(schema, follow=False)
    return ranks


def reorder(value, ranks):
    """The same JSON value with object keys in schema order (unknown keys last, stable)."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (0, ranks[k]) if k in ranks else (1, 0))
        return {k: reorder(value[k], ranks) for k in keys}
    if isinstance(value, list):
        return [reorder(v, ranks) for v in value]
    return value
