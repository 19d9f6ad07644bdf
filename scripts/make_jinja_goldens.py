#!/usr/bin/env python3
"""Writes Tests/Fixtures/jinja/jinja-goldens.json: template snippets rendered with transformers' own
chat-template environment (transformers.utils.chat_template_utils._compile_jinja_template), with
strftime_now fixed at 2025-03-14 09:05:07.
Each case records the output, or the exception class name if rendering/compiling fails."""
import json, os, sys
import jinja2, jinja2.ext

import datetime as _dt
from transformers.utils import chat_template_utils as ctu


class _FixedDatetime(_dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return cls(2025, 3, 14, 9, 5, 7)


ctu.datetime = _FixedDatetime  # strftime_now() reads datetime.now()


class _Env:
    """transformers' own chat-template environment (ImmutableSandboxedEnvironment + extensions)."""
    @staticmethod
    def from_string(src):
        return ctu._compile_jinja_template(src)


env = _Env()

CTX = {"d": {"a": 1, "b": [1, 2]}, "xs": [3, 1, 2], "s": "Hello World", "n": 7, "f": 2.5, "e": [],
       "u": "héllo 🌍", "msgs": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}],
       "nested": {"k": {"deep": [1, {"x": None}]}}, "t": True}

CASES = [
    # output, literals and printing of values
    "plain text", "{{ 1 }}|{{ 1.0 }}|{{ 'a' }}|{{ none }}|{{ true }}|{{ False }}",
    "{{ [1, 'a', none, true, 1.5, {'k': 'v'}] }}", "{{ (1, 2) }}|{{ (1,) }}|{{ () }}", "{{ {'a': [1, 2]} }}",
    "{{ 1e16 }} {{ 1e-5 }} {{ 0.1 + 0.2 }} {{ 123.456 }} {{ 1e15 }} {{ 0.0001 }} {{ -0.0 }}",
    "{{ \"it's\" }}|{{ ['it\\'s', \"q\\\"\", 'a\\nb', 'tab\\t'] }}", "{{ 'a' 'b' }}",
    "{{ '\\u00e9\\x41\\n' }}|{{ 'a\\qb' }}", "{{ u }}|{{ [u] }}", "{{ d }}", "{{ nested }}",
    # arithmetic
    "{{ 10 / 4 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 2 ** 3 ** 2 }}",
    "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 1 - 2 - 3 }} {{ -n }} {{ +n }} {{ 7.5 // 2 }} {{ 7.5 % 2 }}",
    "{{ 'ab' * 3 }} {{ [1] * 3 }} {{ 'a' + 'b' }} {{ [1] + [2] }} {{ true + 1 }} {{ 1 / 3 }}",
    "{{ 'a' ~ 1 ~ none ~ true ~ missing }}", "{{ 'a' + 1 }}", "{{ 1 / 0 }}", "{{ missing + 1 }}",
    # comparisons and logic
    "{{ 1 == 1.0 }} {{ 1 != 2 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }}",
    "{{ 'a' in 'cat' }} {{ 2 in xs }} {{ 'a' in d }} {{ 'z' not in d }} {{ 5 not in xs }}",
    "{{ 0 or 'x' }}|{{ 1 and 'y' }}|{{ none or [] }}|{{ not 0 }}|{{ not xs }}|{{ '' and 1 }}",
    "{{ 'yes' if t else 'no' }}|{{ 'yes' if e else 'no' }}|{{ 'x' if false }}|",
    "{{ missing == missing }} {{ missing == none }} {{ none == none }}", "{{ 1 < 'a' }}",
    # attribute / item access, slicing
    "{{ d.a }} {{ d['b'][1] }} {{ d.zz }}|{{ xs[-1] }} {{ xs[5] }}|{{ s[0] }}{{ s[-1] }}",
    "{{ xs[1:] }} {{ xs[:-1] }} {{ xs[::-1] }} {{ s[2:5] }} {{ s[::2] }} {{ u[1:3] }} {{ xs[5:] }}",
    "{{ missing.attr }}", "{{ d.zz.q }}", "{{ msgs[0].role }}{{ msgs[1]['content'] }}",
    "{{ nested.k.deep[1].x }}", "{{ none.x }}|", "{{ d['get'] is callable }}",
    # string methods
    "{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a b c'.split(' ', 1) }} {{ 'a,b,c'.rsplit(',', 1) }}",
    "[{{ '  x  '.strip() }}][{{ '  x  '.lstrip() }}][{{ '  x  '.rstrip() }}][{{ 'xxaxx'.strip('x') }}]",
    "{{ s.startswith('He') }} {{ s.endswith('ld') }} {{ s.startswith(('x', 'H')) }} {{ s.upper() }} {{ s.lower() }}",
    "{{ 'hello wORLD'.title() }} {{ 'hello'.capitalize() }} {{ s.replace('o', '0') }} {{ s.replace('o', '0', 1) }}",
    "{{ s.find('o') }} {{ s.rfind('o') }} {{ s.find('z') }} {{ s.count('l') }} {{ '-'.join(['a', 'b']) }}",
    "{{ '{} and {}'.format(1, 'x') }} {{ '{0}{0}'.format('a') }} {{ '{name}'.format(name='n') }}",
    "{{ 'a\\nb\\r\\nc'.splitlines() }} {{ '123'.isdigit() }} {{ 'abc'.isalpha() }} {{ '  '.isspace() }}",
    "{{ 'abc'.removeprefix('a') }} {{ 'abc'.removesuffix('c') }} {{ 'ab'.center(6, '*') }} {{ '5'.zfill(3) }}",
    "{{ 'x</think>  y'.split('</think>')[-1] | trim }}",
    # dict/list methods, sandbox
    "{{ d.keys() | list }} {{ d.values() | list }} {{ d.items() | list }} {{ d.get('a') }} {{ d.get('z') }} {{ d.get('z', 5) }}",
    "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", "{{ xs.index(1) }} {{ xs.count(3) }}",
    "{{ xs.append(4) }}", "{% set y = xs.append %}ok", "{{ d.update({'c': 1}) }}", "{{ d.pop('a') }}",
    # filters
    "{{ '  hi  ' | trim }}|{{ 'xxhixx' | trim('x') }}|{{ 3 | string }}|{{ [1, 2] | string }}|{{ none | string }}",
    "{{ xs | join(', ') }}|{{ xs | join }}|{{ msgs | join(',', attribute='role') }}",
    "{{ xs | length }} {{ s | length }} {{ u | length }} {{ d | length }} {{ missing | length }} {{ xs | count }}",
    "{{ s | lower }} {{ s | upper }} {{ 'hELLO wORLD' | capitalize }} {{ 'hello-world foo(bar' | title }}",
    "{{ s | replace('l', 'L') }} {{ s | replace('l', 'L', 2) }}",
    "{{ missing | default('dflt') }}|{{ '' | default('dflt') }}|{{ '' | default('dflt', true) }}|{{ none | d('x') }}|{{ 0 | d('z', boolean=true) }}",
    "{{ xs | first }} {{ xs | last }} {{ s | first }} {{ e | first }}|{{ 'abc' | list }} {{ d | list }}",
    "{{ xs | reverse | list }} {{ 'abc' | reverse }} {{ xs | sort }} {{ xs | sort(reverse=true) }}",
    "{{ ['b', 'A', 'c'] | sort }} {{ ['b', 'A', 'c'] | sort(case_sensitive=true) }} {{ msgs | sort(attribute='role') | map(attribute='content') | list }}",
    "{{ [1, 2, 1, 3, 2] | unique | list }} {{ ['a', 'A', 'b'] | unique | list }}",
    "{{ msgs | map(attribute='role') | list }} {{ ['a', 'b'] | map('upper') | list }} {{ msgs | map(attribute='zz', default='-') | list }}",
    "{{ xs | select('odd') | list }} {{ xs | reject('odd') | list }} {{ [0, 1, '', 'a'] | select | list }} {{ xs | select('gt', 1) | list }}",
    "{{ msgs | selectattr('role', 'equalto', 'user') | list }} {{ msgs | rejectattr('role', 'eq', 'user') | map(attribute='content') | list }}",
    "{{ [{'a': 0}, {'a': 1}] | selectattr('a') | list }}",
    "{{ '42' | int }} {{ '4.7' | int }} {{ 'x' | int }} {{ 'x' | int(5) }} {{ 3.9 | int }} {{ '2.5' | float }} {{ 3 | float }} {{ 'x' | float }}",
    "{{ -3 | abs }} {{ (-3) | abs }} {{ -2.5 | abs }} {{ 2.5 | round }} {{ 3.14159 | round(2) }} {{ 2.7 | round(0, 'floor') }} {{ 3 | round }}",
    "{{ 'a\\nb\\n\\nc' | indent }}|{{ 'a\\nb' | indent(2, true) }}|{{ 'a\\n\\nb' | indent(2, blank=true) }}",
    "{{ d | items | list }} {{ missing | items | list }}", "{{ [1, 2, 3] | sum }} {{ [1.5, 2] | sum }} {{ xs | min }} {{ xs | max }}",
    "{{ 'one two, three' | wordcount }}", "{{ '<a href=\"x\">&\\'' | e }}|{{ '<b>' | safe }}",
    "{{ {'b': 1, 'a': 2} | dictsort }}",
    # tojson
    "{{ d | tojson }}", "{{ {'u': 'é\"\\\\/\\n\\t\\u2028\\x7f', 'f': 1.0, 'n': none, 'b': true} | tojson }}",
    "{{ d | tojson(indent=2) }}", "{{ d | tojson(indent=0) }}", "{{ {'b': 1, 'a': [] , 'c': {}} | tojson(sort_keys=true) }}",
    "{{ d | tojson(separators=(',', ':')) }}", "{{ 'é' | tojson(ensure_ascii=true) }}", "{{ d | tojson(indent='\\t') }}",
    "{{ [1e16, 1e-5, 0.5, 100.0, -2] | tojson }}", "{{ missing | tojson }}", "{{ 'x' | tojson }}|{{ none | tojson }}",
    # tests
    "{{ missing is defined }} {{ d is defined }} {{ missing is undefined }} {{ none is none }} {{ 1 is none }}",
    "{{ 'a' is string }} {{ 1 is string }} {{ d is mapping }} {{ xs is mapping }} {{ 1 is number }} {{ 1.5 is number }} {{ true is number }}",
    "{{ 1 is integer }} {{ true is integer }} {{ 1.0 is integer }} {{ 1.0 is float }} {{ true is boolean }} {{ 1 is boolean }}",
    "{{ true is true }} {{ 1 is true }} {{ false is false }} {{ xs is iterable }} {{ 'a' is iterable }} {{ 1 is iterable }} {{ d is sequence }}",
    "{{ range is callable }} {{ 1 is callable }} {{ 2 is even }} {{ 3 is odd }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(2) }}",
    "{{ 1 is eq 1 }} {{ 1 is equalto 2 }} {{ 1 is ne 2 }} {{ 1 is lt 2 }} {{ 1 is gt 2 }} {{ 2 is ge 2 }} {{ 2 is le 1 }}",
    "{{ 2 is in xs }} {{ 'q' is in 'abc' }} {{ none is sameas none }} {{ 'abc' is lower }} {{ 'ABC' is upper }}",
    "{{ d is not mapping }} {{ not d is mapping }} {{ s is string and n is number }}", "{{ x is nosuchtest }}",
    "{{ x | nosuchfilter }}",
    # set / namespace / scoping
    "{% set x = 5 %}{{ x }}", "{% set a, b = [1, 2] %}{{ a }}{{ b }}", "{% set a, b = [1] %}",
    "{% set x = 5 %}{% if true %}{% set x = 6 %}{% endif %}{{ x }}",
    "{% for i in [1, 2] %}[{{ x }}]{% set x = i %}{% endfor %}{{ x }}",
    "{% set x = 1 %}{% for i in [1, 2] %}[{{ x }}]{% set x = i %}[{{ x }}]{% endfor %}{{ x }}",
    "{% set ns = namespace(a=1, items=[]) %}{% for i in xs %}{% set ns.a = ns.a + i %}{% set ns.items = ns.items + [i] %}{% endfor %}{{ ns.a }} {{ ns.items }}",
    "{% set ns = namespace(a=1) %}{{ ns }}", "{% set x.a = 1 %}", "{% set ns = namespace(_p=1) %}",
    "{% set ns = namespace() %}{% set ns._p = 1 %}", "{% set ns = namespace(d) %}{{ ns.a }}",
    "{% set b %}inner {{ 1 }}{% endset %}[{{ b }}]", "{% set b | upper %}abc{% endset %}{{ b }}",
    "{% set messages = msgs[1:] %}{{ messages | length }}", "{% set d2 = dict(a=1, b='x') %}{{ d2 }}",
    # if / for
    "{% if n > 5 %}big{% elif n > 2 %}mid{% else %}small{% endif %}", "{% if e %}a{% elif 0 %}b{% else %}c{% endif %}",
    "{% for x in xs if x > 1 %}{{ loop.index }}{{ x }}{{ loop.length }}{% else %}E{% endfor %}",
    "{% for x in xs %}{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.revindex0 }}/{{ loop.first }}/{{ loop.last }}/{{ loop.previtem }}/{{ loop.nextitem }}/{{ loop.depth }}|{% endfor %}",
    "{% for x in [] %}a{% else %}b{% endfor %}", "{% for x in missing %}a{% else %}b{% endfor %}",
    "{% for x in xs %}{% if x == 1 %}{% break %}{% endif %}{{ x }}{% endfor %}",
    "{% for x in xs %}{% if x == 1 %}{% continue %}{% endif %}{{ x }}{% endfor %}",
    "{% for x in xs %}{{ loop.cycle('a', 'b') }}{% endfor %}", "{% for c in 'ab' %}{{ c }}.{% endfor %}",
    "{% for k in d %}{{ k }}{% endfor %}", "{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %}",
    "{% for i in range(3) %}{{ i }}{% endfor %}{{ range(1, 10, 3) | list }}",
    "{% for row in [[1, 2], [3]] %}{% for c in row %}{{ loop.depth }}{{ c }}{% endfor %}{% endfor %}",
    "{% for x in 5 %}{% endfor %}", "{% break %}",
    # macros
    "{% macro m(a, b=2) %}{{ a }}-{{ b }}{% endmacro %}{{ m(1) }}|{{ m(1, b=3) }}|{{ m(b=4, a=0) }}|{{ m() }}",
    "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, c=3) }}",
    "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}", "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, c=2) }}",
    "{% macro m() %}<{{ caller() }}>{% endmacro %}{% call m() %}in{% endcall %}",
    "{% macro m() %}{{ caller('x') }}{% endmacro %}{% call(v) m() %}[{{ v }}]{% endcall %}",
    "{% macro outer(x) %}{{ inner(x) }}!{% endmacro %}{% macro inner(y) %}({{ y }}){% endmacro %}{{ outer(1) }}",
    "{% set x = 1 %}{% macro m() %}{{ x }}{% set x = 2 %}{{ x }}{% endmacro %}{{ m() }}{{ x }}",
    "{% macro m() %}A{% endmacro %}{{ m() + 'B' }}{{ m }}",
    # other blocks
    "{% filter upper %}abc{{ 'd' }}{% endfilter %}", "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}{{ a }}",
    "{% raw %}{{ not }}{% endraw %}", "{% include 'x' %}", "{% extends 'x' %}", "{% for x in xs recursive %}{% endfor %}",
    "{% generation %}gen{{ 1 }}{% endgeneration %}", "{% unknowntag %}",
    # errors and globals
    "{{ raise_exception('bad input: ' ~ n) }}", "{% if n > 1 %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}",
    "{{ strftime_now('%Y-%m-%d') }} {{ strftime_now('%d %B %Y %H:%M:%S %a %b %j %I%p') }}",
    "{{ 1 + }}", "{{ (1 }}", "{% if true %}unclosed", "{% endif %}", "{{ 'unterminated }}", "{% for %}{% endfor %}",
    "{{ n() }}", "{{ missing() }}", "{{ xs['a'] }}|", "{{ {'a': 1}['a'] }}{{ {'a': {'b': 2}}.a.b }}",
    # whitespace control
    "a  {%- if true %} b {% endif -%}  c", "a\n  {% if true %}\n  b\n  {% endif %}\nc\n", "x {% if true %}\n  y\n  {% endif %}\n",
    "{{ 1 }}  {% if true %}y{% endif %}", "{{ 1 -}}\n\n  {{- 2 }}", "  {%- if true %}x{% endif %}",
    "\t{% if true %}\n\tx\n\t{% endif %}\n", "a  {%+ if true %}x{% endif +%}\nb", "{# c #}\nA", "{# c -#}\n  A",
    "  {# c #}\nA", "{% raw %}\n  {{ x }}\n  {% endraw %}\nB", "{%- raw -%}  x  {%- endraw -%}  B", "a\n\n",
    "a\r\nb\rc", "{% for x in xs %}\n  - {{ x }}\n{% endfor %}\n", "{%- for x in xs -%}\n  {{ x }}\n{%- endfor %}",
    "{{ {'a': {'b': 1}} }}", "line1\n  {#- comment -#}\n  line2", "{% if true %}  \n  x{% endif %}",
    "{%- set x = 1 -%}\n\n{{- x -}}\n\n", "  {{ 1 }}\n  {% if true %}x{% endif %}",
]

out = []
for src in CASES:
    case = {"template": src}
    try:
        case["output"] = env.from_string(src).render(**CTX)
    except Exception as e:  # record the failure class
        case["error"] = type(e).__name__
        case["message"] = str(e)
    out.append(case)
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
path = os.path.join(root, "Tests/Fixtures/jinja/jinja-goldens.json")
with open(path, "w") as fh:
    json.dump({"jinja2": jinja2.__version__, "context": CTX, "cases": out}, fh, ensure_ascii=False, indent=1)
print(f"wrote {len(out)} cases to {path}")
