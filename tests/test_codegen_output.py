"""Output, escaping and calls as the build's code generator compiles them (``briefgen.render.codegen``): Jinja's answers.

The build's generator yields an output line's pieces joined (one yield, not one per piece), escapes a plain
string in line, and calls a macro straight rather than through ``Context.call``. These tests render the same
templates with it and with Jinja's own generator and compare the text, the escaping and where an error points.
"""

from __future__ import annotations

import sys

import jinja2
import pytest
from markupsafe import Markup

from briefgen.render.codegen import CODE_GENERATOR


class Html:
    def __html__(self):
        return "<i>trusted</i>"


class Called:
    """A callable object (not a macro): it goes through ``context.call`` as before."""

    def __call__(self, *args, **kwargs):
        return f"called {args} {sorted(kwargs)}"


@jinja2.pass_context
def with_context(context, name):
    return f"{name}={context.get(name)}"


VALUES = dict(
    s="<script>alert(1)</script>",
    quote="\"&'",
    m=Markup("<b>kept</b>"),
    n=3,
    f=1.5,
    none=None,
    html=Html(),
    items=["a<", "b&", "c"],
    obj=Called(),
    ctx=with_context,
)

CASES = [
    # output lines of several pieces, every kind of value
    '<p title="{{ quote }}">{{ s }}|{{ m }}|{{ n }}|{{ f }}|{{ none }}|{{ html }}</p>',
    "{% for x in items %}<li>{{ loop.index }}:{{ x }}{{ s if loop.last }}</li>{% endfor %}",
    "{% autoescape false %}{{ s }}{{ m }}{% endautoescape %}{{ s }}",
    "{% set t %}{{ s }}<br>{{ n }}{% endset %}{{ t }}{{ t|length }}",
    "{{ s|e }}{{ s|safe }}{{ items|join(', ') }}",
    # macros: positional and keyword arguments, defaults, varargs, kwargs, caller, inside loops and blocks
    "{% macro m1(a, b=2) %}[{{ a }}{{ b }}]{% endmacro %}{{ m1(s) }}{{ m1(1, b=s) }}{{ m1(b=n, a=f) }}",
    "{% macro v() %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ v(1, 2, k=s) }}",
    "{% macro w(x) %}<w>{{ caller(x) }}</w>{% endmacro %}{% call(y) w(s) %}{{ y }}{{ n }}{% endcall %}",
    "{% macro one(x) %}({{ x }}){% endmacro %}{% for x in items %}{{ one(one(x)) }}{{ one(x=loop.index) }}{% endfor %}",
    "{% macro one(x) %}({{ x }}){% endmacro %}{{ one(one(one(s)) ~ one(n)) }}",
    # anything else that is called: as before (a callable object, a context function, a method, a filter)
    "{{ obj(1, k=2) }}|{{ ctx('n') }}|{% for x in items %}{{ ctx('x') }}{% endfor %}|{{ s.upper() }}|{{ 'a-b'.split('-') }}",
    "{% set n = 'local' %}{{ ctx('n') }}{% macro inner() %}{{ ctx('n') }}{% endmacro %}{{ inner() }}",
]


def render(generator, source: str) -> str:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.code_generator_class = generator
    return env.from_string(source).render(**VALUES)


@pytest.mark.parametrize("source", CASES)
def test_output_and_calls_give_what_jinja_gives(source: str):
    assert render(CODE_GENERATOR, source) == render(jinja2.compiler.CodeGenerator, source)


def test_no_script_passes_a_joined_output_line():
    text = render(CODE_GENERATOR, '<a href="{{ s }}">{{ s }}{{ quote }}</a>')
    assert "<script>" not in text
    assert (
        text
        == '<a href="&lt;script&gt;alert(1)&lt;/script&gt;">&lt;script&gt;alert(1)&lt;/script&gt;&#34;&amp;&#39;</a>'
    )


def test_an_output_line_is_one_piece():
    env = jinja2.Environment(autoescape=True)
    env.code_generator_class = CODE_GENERATOR
    pieces = list(env.from_string("<p>{{ a }}, {{ b }}</p>\n{% if a %}<q>{{ a }}</q>{% endif %}").generate(a=1, b=2))
    assert pieces == ["<p>1, 2</p>\n", "<q>1</q>"]


def error_line(generator, source: str) -> int:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.code_generator_class = generator
    try:
        env.from_string(source).render(**VALUES)
    except jinja2.UndefinedError:
        tb = sys.exc_info()[2]
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


@pytest.mark.parametrize(
    "source",
    [
        "<p>{{ s }}\n{{ n }}\n{{ missing.name }}</p>",
        "{% macro one(x) %}({{ x }}\n{{ x.missing }}){% endmacro %}<p>{{ s }}\n{{ one(n) }}</p>",
        "<p>{{ s }}\n{{ obj(n, k=missing.x) }}</p>",
    ],
)
def test_an_error_points_at_its_own_template_line(source: str):
    line = error_line(CODE_GENERATOR, source)
    assert line == error_line(jinja2.compiler.CodeGenerator, source)
    assert line is not None and line > 1
