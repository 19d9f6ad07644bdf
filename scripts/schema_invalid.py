"""Invalid instances: mutations of valid ones, and which a token-level grammar cannot reject.

`mutations` derives candidate invalid instances from a valid one (callers keep those python
`jsonschema` rejects).

An invalid instance is "excluded" (corpus field `exclude_reason`) when none of its python
`jsonschema` errors is visible to a context-free token mask: every error comes from a keyword
in `NON_GRAMMAR` (or, through anyOf/oneOf, every branch fails only for such a reason). Used by
scripts/make_schema_corpus.py; the table is repeated in Tests/Fixtures/grammar/README.md.
"""
from __future__ import annotations

import copy
import random
import re


def _paths(value, path=()):
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, path + (i,))


def _replace(value, path, new):
    if not path:
        return new
    out = copy.deepcopy(value)
    node = out
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = new
    return out


def _other_type(v):
    if isinstance(v, bool):
        return "yes"
    if isinstance(v, (int, float)):
        return str(v) + "x"
    if isinstance(v, str):
        return 12345
    if v is None:
        return 0
    if isinstance(v, list):
        return {"not": "an array"}
    return ["not", "an", "object"]


def mutations(valid, rng: random.Random):
    """Candidate invalid instances derived from a valid one (callers keep those that fail)."""
    nodes = list(_paths(valid))
    out = [_other_type(valid)]
    rng.shuffle(nodes)
    for path, v in nodes[:12]:
        out.append(_replace(valid, path, _other_type(v)))
        if isinstance(v, dict) and v:
            key = rng.choice(list(v))
            out.append(_replace(valid, path, {k: x for k, x in v.items() if k != key}))
            out.append(_replace(valid, path, {**v, "unexpected_zz": 1}))
        elif isinstance(v, dict):
            out.append(_replace(valid, path, {"unexpected_zz": 1}))
        elif isinstance(v, str):
            out.append(_replace(valid, path, v + "~" + "Q" * 300))
            out.append(_replace(valid, path, ""))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append(_replace(valid, path, v + 10 ** 9))
            out.append(_replace(valid, path, -(10 ** 9)))
            out.append(_replace(valid, path, v + 0.5))
        elif isinstance(v, list):
            out.append(_replace(valid, path, []))
            out.append(_replace(valid, path, v + [{"zz": [1]}]))
            if v:
                out.append(_replace(valid, path, v + [copy.deepcopy(v[0])]))
    return out


# Keyword -> why an instance rejected only by it is beyond a context-free token mask.
NON_GRAMMAR = {
    "uniqueItems": "uniqueItems: equality between array elements is not context-free",
    "multipleOf": "multipleOf: divisibility is not in the issue's keyword list (and not regular for floats)",
    "dependentSchemas": "dependentSchemas: a property's presence changes the rest of the object",
    "dependentRequired": "dependentRequired: a property's presence changes the rest of the object",
    "dependencies": "dependencies: a property's presence changes the rest of the object",
    "if": "if/then/else: the condition needs look-ahead over the whole value",
    "then": "if/then/else: the condition needs look-ahead over the whole value",
    "else": "if/then/else: the condition needs look-ahead over the whole value",
    "not": "not: complement of a schema is not generated",
    "contains": "contains/minContains/maxContains: counting matches among array elements",
    "minContains": "contains/minContains/maxContains: counting matches among array elements",
    "maxContains": "contains/minContains/maxContains: counting matches among array elements",
    "patternProperties": "patternProperties: values depend on regex matching of arbitrary keys",
    "propertyNames": "propertyNames: constraints on arbitrary keys",
    "minProperties": "minProperties/maxProperties: counting object members",
    "maxProperties": "minProperties/maxProperties: counting object members",
    "unevaluatedProperties": "unevaluatedProperties: depends on which subschemas evaluated a key",
    "unevaluatedItems": "unevaluatedItems: depends on which subschemas evaluated an item",
    "oneOf-multiple": "oneOf: more than one branch matches (exclusivity is not a grammar property)",
    "additionalProperties-with-patterns":
        "additionalProperties beside patternProperties: key classification by regex",
}
GRAMMAR_FORMATS = {"date-time", "date", "time", "email", "uuid", "uri", "ipv4"}
_NAMED_CHILDREN = {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas",
                   "dependencies"}


def _keywords(schema_path):
    kws, skip = [], False
    for part in schema_path:
        if skip:
            skip = False
            continue
        if isinstance(part, int):
            continue
        kws.append(part)
        if part in _NAMED_CHILDREN:
            skip = True
    return kws


def _uncatchable(validator, error):
    """None when a grammar can see this error, else the reason it cannot."""
    for kw in _keywords(error.relative_schema_path):
        if kw in NON_GRAMMAR:
            return NON_GRAMMAR[kw]
    if error.validator == "format" and error.validator_value not in GRAMMAR_FORMATS:
        return "format %r is not in the issue's format list" % error.validator_value
    if error.validator == "pattern" and re.search(r"\(\?[=!<]|\\[1-9]|\\[pP]\{", error.validator_value):
        return "pattern uses look-around, back-references or unicode properties"
    if error.validator == "additionalProperties" and isinstance(error.schema, dict) \
            and error.schema.get("patternProperties"):
        return NON_GRAMMAR["additionalProperties-with-patterns"]
    if error.validator in ("anyOf", "oneOf"):
        # Re-validate each branch at the failing location: the grammar catches the error only
        # if every branch fails for a reason it can see.
        for branch in error.validator_value:
            sub = validator.evolve(schema=branch)
            errors = list(sub.iter_errors(error.instance))
            if not errors:
                return NON_GRAMMAR["oneOf-multiple"]
            if all(_uncatchable(sub, e) is not None for e in errors):
                return [_uncatchable(sub, e) for e in errors][0]
    return None


def exclusion_reason(validator, instance):
    """None if some error is visible to a token grammar, else the reason none is."""
    errors = list(validator.iter_errors(instance))
    if not errors:
        raise ValueError("instance is valid")
    reasons = [_uncatchable(validator, e) for e in errors]
    if any(r is None for r in reasons):
        return None
    return sorted(set(reasons))[0]
