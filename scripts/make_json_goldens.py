#!/usr/bin/env python3
"""Writes Tests/Fixtures/json/python-json-goldens.json: JSON texts with Python's json.loads ->
json.dumps results (transformers' tojson settings and variants) and repr() of floats."""
import json, os, random

DOCS = [
    '{"a":1,"b":[1,2],"c":{"d":null,"e":true,"f":false}}',
    '{"z":1,"a":2,"z":3}',
    '[1.0, 1e-05, 1e16, 1.5e300, -0.0, 0.1, 123.456, 100, -7, 9007199254740993, 1E2, 2.5e-7]',
    '"caf\\u00e9 \\ud83d\\ude00 \\u2028 \\u0001 \\u001f \\u007f / \\/ \\" \\\\ \\b\\f\\n\\r\\t"',
    '{"uni":"日本語 🎉","empty_obj":{},"empty_arr":[],"nested":[[[]],{"k":[{}]}]}',
    '{"b":1,"a":{"d":2,"c":3},"é":0,"Z":9}',
    '  [ true , false , null ]  ',
]
OPTIONS = [
    {}, {"indent": 2}, {"indent": 0}, {"indent": "\t"}, {"separators": [",", ":"]}, {"sort_keys": True},
    {"indent": 2, "sort_keys": True}, {"ensure_ascii": True},
]
rng = random.Random(1234)
floats = [0.1, 0.2, 0.3, 1/3, 2/3, 1e-4, 1e-5, 9.999e-5, 1e15, 1e16, 1.2345e16, 123456789.123, 5e-324, 1.7976931348623157e308,
          2.0**53, 2.0**63, 0.5, 100.0, 1e22, 1e23, 3.14159, -2.5, 1.0000000000000002]
floats += [rng.uniform(-1e6, 1e6) for _ in range(20)] + [rng.random() * 10 ** rng.randint(-30, 30) for _ in range(40)]

out = {"documents": [], "float_reprs": [[repr(f), f] for f in floats]}
for doc in DOCS:
    value = json.loads(doc)
    entry = {"input": doc, "dumps": []}
    for opt in OPTIONS:
        kw = dict(opt)
        if "separators" in kw:
            kw["separators"] = tuple(kw["separators"])
        entry["dumps"].append({"options": opt, "output": json.dumps(value, ensure_ascii=kw.pop("ensure_ascii", False), **kw)})
    out["documents"].append(entry)
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests/Fixtures/json/python-json-goldens.json")
with open(path, "w") as fh:
    json.dump(out, fh, ensure_ascii=False, indent=1)
print("wrote", path)
