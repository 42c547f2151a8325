"""Imported macros shared between pages (``briefgen.render.sharedimport``): the same bytes as Jinja's own import.

``{% import "_macros.html" as m with context %}`` is compiled to a module made once per build for each
distinct value of the page variables the imported template reads. These tests render real templates with
the build's code generator and with Jinja's own, page by page, and build the example with the command
line twice: with the theme's macros shared, and with a copy that cannot be shared (made on every page).
"""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
from conftest import REPO, copy_example, run_cli

from briefgen.render.codegen import CODE_GENERATOR
from briefgen.render.sitewide import SitewideExtension

PAGE = '{% import "_m.html" as m with context %}{{ m.show() }}'


def environment(templates: dict[str, str], generator=CODE_GENERATOR, **globals) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.DictLoader(templates),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=[SitewideExtension],
    )
    env.code_generator_class = generator
    env.globals.update(globals)
    return env


def render_both(templates: dict[str, str], pages: list[dict], **globals) -> list[str]:
    """Each page rendered with the build's code generator, checked against Jinja's own."""
    shared = environment(templates, **globals)
    plain = environment(templates, jinja2.compiler.CodeGenerator, **globals)
    out = [shared.get_template("page.html").render(**page) for page in pages]
    assert out == [plain.get_template("page.html").render(**page) for page in pages]
    return out


def modules_made(env: jinja2.Environment) -> int:
    return len(env.get_template("_m.html").__dict__.get("_briefgen_shared_modules", {}))


def test_macros_see_each_pages_own_values_and_are_made_once_per_distinct_value():
    templates = {"_m.html": '{% macro show() %}<a href="{{ root }}x/">{{ site }}</a>{% endmacro %}', "page.html": PAGE}
    pages = [{"root": "../"}, {"root": "../../"}, {"root": "../"}, {"root": "../../"}]
    assert render_both(templates, pages, site="S") == [
        '<a href="../x/">S</a>',
        '<a href="../../x/">S</a>',
        '<a href="../x/">S</a>',
        '<a href="../../x/">S</a>',
    ]
    env = environment(templates, site="S")
    for page in pages:
        env.get_template("page.html").render(**page)
    assert modules_made(env) == 2  # one per root; the global site is not part of the key


class Article:
    def __init__(self, title: str) -> None:
        self.title = title


def test_a_macro_reading_a_page_object_is_made_for_each_page():
    templates = {"_m.html": "{% macro show() %}{{ article.title }}{% endmacro %}", "page.html": PAGE}
    pages = [{"article": Article("One")}, {"article": Article("Two")}]
    assert render_both(templates, pages) == ["One", "Two"]
    env = environment(templates)
    for page in pages:
        env.get_template("page.html").render(**page)
    assert modules_made(env) == 0


def test_module_state_a_macro_changes_is_never_shared():
    counter = "{% set counter = namespace(n=0) %}{% macro show() %}{% set counter.n = counter.n + 1 %}{{ counter.n }}{% endmacro %}"
    seen = "{% set seen = [] %}{% macro show() %}{{ seen.append(1) or seen|length }}{% endmacro %}"
    for source in (counter, seen):
        templates = {"_m.html": source, "page.html": PAGE + "{{ m.show() }}"}
        assert render_both(templates, [{"root": ""}, {"root": ""}]) == ["12", "12"]


def test_a_macro_that_includes_a_template_gives_it_each_pages_own_context():
    templates = {
        "_m.html": "{% macro show() %}{% include '_title.html' %}{% endmacro %}",
        "_title.html": "{{ article.title }}",
        "page.html": PAGE,
    }
    pages = [{"article": Article("One")}, {"article": Article("Two")}]
    assert render_both(templates, pages) == ["One", "Two"]


def test_an_exported_list_or_dict_is_never_shared_a_private_one_is():
    # a page can change what the module exports: {{ m.labels.update(...) }} must not reach the next page
    exported = '{% set labels = {"a": "A"} %}{% macro show() %}{{ labels.a }}{% endmacro %}'
    page = '{% import "_m.html" as m with context %}{{ m.show() }}{{ m.labels.update({"a": "changed"}) or "" }}'
    assert render_both({"_m.html": exported, "page.html": page}, [{}, {}]) == ["A", "A"]
    private = '{% set _labels = {"a": "A"} %}{% macro show() %}{{ _labels.a }}{% endmacro %}'
    env = environment({"_m.html": private, "page.html": PAGE})
    assert [env.get_template("page.html").render() for _ in range(2)] == ["A", "A"]
    assert modules_made(env) == 1


def test_a_function_given_the_context_is_never_shared():
    @jinja2.pass_context
    def title(context) -> str:
        return context["article"].title

    templates = {"_m.html": "{% macro show() %}{{ title() }}{% endmacro %}", "page.html": PAGE}
    pages = [{"title": title, "article": Article("One")}, {"title": title, "article": Article("Two")}]
    assert render_both(templates, pages) == ["One", "Two"]
    assert render_both(templates, [{"article": Article("One")}, {"article": Article("Two")}], title=title) == [
        "One",
        "Two",
    ]


def test_functions_are_keyed_by_identity_and_closures_are_not_shared():
    def shout(text: str) -> str:
        return text.upper()

    def closure(prefix: str):
        return lambda text: prefix + text

    templates = {"_m.html": "{% macro show() %}{{ fmt('x') }}{% endmacro %}", "page.html": PAGE}
    assert render_both(templates, [{"fmt": shout}, {"fmt": str.title}]) == ["X", "X"]
    assert render_both(templates, [{"fmt": closure("a")}, {"fmt": closure("b")}]) == ["ax", "bx"]
    env = environment(templates)
    for fmt in (shout, shout, closure("a"), closure("a")):
        env.get_template("page.html").render(fmt=fmt)
    assert modules_made(env) == 1


def test_a_global_given_a_page_value_on_one_page_is_keyed_by_its_name():
    # page 1 gives b "v" (a is the global), page 2 gives a "v" (b is the global): not the same key
    templates = {"_m.html": "{% macro show() %}{{ a }}-{{ b }}{% endmacro %}", "page.html": PAGE}
    assert render_both(templates, [{"b": "v"}, {"a": "v"}], a="A", b="B") == ["A-v", "v-B"]
    sitewide = {"page.html": "{% sitewide %}{{ a }}-{{ b }}{% endsitewide %}"}
    assert render_both(sitewide, [{"b": "v"}, {"a": "v"}], a="A", b="B") == ["A-v", "v-B"]


def test_the_example_built_with_shared_macros_equals_making_them_on_every_page(tmp_path: Path):
    project = copy_example(tmp_path / "project")
    shared = tmp_path / "shared"
    run_cli("build", "-s", str(project), "-o", str(shared), "--no-cache", "--jobs", "1", "-q", check=True)
    # the theme's macros with state at their top level (a namespace): Jinja's import on every page
    (project / "templates").mkdir()
    macros = (REPO / "templates" / "_macros.html").read_text()
    (project / "templates" / "_macros.html").write_text("{% set unshared = namespace() %}\n" + macros)
    plain = tmp_path / "plain"
    run_cli("build", "-s", str(project), "-o", str(plain), "--no-cache", "--jobs", "1", "-q", check=True)
    files = {p.relative_to(shared).as_posix() for p in shared.rglob("*") if p.is_file()}
    assert files == {p.relative_to(plain).as_posix() for p in plain.rglob("*") if p.is_file()}
    assert sum(name.endswith(".html") for name in files) > 20
    for name in sorted(files):
        if name in ("changes/history.json", ".briefgen-manifest.json"):
            continue  # records of the build, not pages
        assert (shared / name).read_bytes() == (plain / name).read_bytes(), name
    assert (
        json.loads((shared / ".briefgen-manifest.json").read_text())["files"].keys()
        == json.loads((plain / ".briefgen-manifest.json").read_text())["files"].keys()
    )
