"""``a.b`` looked up in line by the build's code generator (``briefgen.render.codegen``): Jinja's answers.

Jinja compiles ``a.b`` to ``environment.getattr(a, "b")``: the attribute, else the item ``a["b"]``, else
undefined. The build's code generator writes the lookup into the template's code; these tests render the
same templates with it and with Jinja's own generator and compare, for every way the lookup can end.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
from jinja2.sandbox import SandboxedEnvironment

from briefgen.render.codegen import CODE_GENERATOR, SharingCodeGenerator

THEME = Path(__file__).resolve().parent.parent / "templates"
FILTERS = "date datetime iso number wbr_commas live host first_sentence pictures".split()


class Thing:
    calls = 0

    def __init__(self, **attrs):
        self.__dict__.update(attrs)

    @property
    def broken(self):  # a property that raises AttributeError: Jinja then tries the item
        Thing.calls += 1
        raise AttributeError("broken")

    def __getitem__(self, key):
        if key == "broken":
            return "item of broken"
        raise KeyError(key)


def environment(generator, templates: dict[str, str], cls=jinja2.Environment) -> jinja2.Environment:
    env = cls(loader=jinja2.DictLoader(templates), autoescape=True, undefined=jinja2.StrictUndefined)
    env.code_generator_class = generator
    return env


def render_both(source: str, **values) -> str:
    out = []
    for generator in (CODE_GENERATOR, jinja2.compiler.CodeGenerator):
        Thing.calls = 0
        try:
            text = environment(generator, {"page.html": source}).get_template("page.html").render(**values)
        except jinja2.UndefinedError as exc:
            text = f"UndefinedError: {exc}"
        out.append((text, Thing.calls))
    assert out[0] == out[1]
    return out[0][0]


CASES = [
    ("{{ t.name }}", "T"),  # an attribute
    ("{{ d.key }}", "from the dict"),  # no such attribute: the item
    ("{{ d.items is defined }}", "True"),  # a method of dict wins over a key of that name
    ("{{ t.none }}|{{ t.none is none }}", "None|True"),
    ("{{ t.inner.inner.name }}", "deep"),  # lookups inside lookups
    ("{{ t.broken }}", "item of broken"),  # the property raised AttributeError: then the item, once each
    ("{{ t.nothing is defined }}|{{ t.nothing|default('fallback') }}", "False|fallback"),
    ("{{ t.nothing }}", f"UndefinedError: '{__name__}.Thing object' has no attribute 'nothing'"),
    ("{{ d.nothing }}", "UndefinedError: 'dict object' has no attribute 'nothing'"),
    ("{% for x in [t, t] %}{{ loop.index }}{{ x.name }}{% if loop.last %}.{% endif %}{% endfor %}", "1T2T."),
    ("{{ t.html }}", "&lt;b&gt;"),  # still escaped
    ("{{ ''.join.__name__ }}", "join"),  # a constant's attribute
    ("{% macro m(a) %}{{ a.name }}{{ caller() }}{% endmacro %}{% call m(t) %}{{ t.inner.name }}{% endcall %}", "Tmid"),
    ("{% set ns = namespace(v=t.name) %}{% set ns.v = ns.v ~ d.key %}{{ ns.v }}", "Tfrom the dict"),
    ("{{ [t, d]|map(attribute='name')|list|length }}|{{ (t.inner, d).0.name }}", "2|mid"),
]


@pytest.mark.parametrize(("source", "expected"), CASES)
def test_attribute_lookups_give_what_jinja_gives(source: str, expected: str):
    deep = Thing(name="deep")
    t = Thing(name="T", none=None, inner=Thing(name="mid", inner=deep), html="<b>")
    assert render_both(source, t=t, d={"key": "from the dict", "name": "D"}) == expected


def compiled(env: jinja2.Environment, source: str) -> str:
    return env.compile(source, "page.html", raw=True)


def test_no_lookup_in_the_theme_calls_the_environment():
    env = environment(CODE_GENERATOR, {})
    env.add_extension("briefgen.render.sitewide.SitewideExtension")
    env.filters.update(dict.fromkeys(FILTERS, str))
    sources = [p.read_text() for p in sorted(THEME.glob("*.html"))]
    assert len(sources) > 10
    code = [compiled(env, source) for source in sources]
    assert not any("environment.getattr(" in c for c in code)
    assert sum(c.count("getattr_absent") for c in code) > 500


def test_a_sandbox_keeps_its_own_getattr():
    sandboxed = environment(
        SharingCodeGenerator, {"page.html": "{{ t.__class__ is defined }}|{{ t.name }}"}, SandboxedEnvironment
    )
    assert "environment.getattr(" in compiled(sandboxed, "{{ t.name }}")
    assert sandboxed.get_template("page.html").render(t=Thing(name="T")) == "False|T", "the sandbox still refuses"
