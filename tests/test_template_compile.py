"""How templates are compiled: once per source, each parsed once, and only those the rendered pages need.

A build that forks workers compiles every template its pages use before the fork (``compile_templates``);
a rebuild of a few pages renders them in-line and compiles each template when a page first needs it. The
names an imported macro module reads (``shared_import_reads``) are collected by the pass that compiles it,
and ``compile_templates`` takes the templates each one names from the parse that compiled it. These tests
count real parses, compare with the two-pass answer, and build the example both ways with the command line.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import jinja2
from conftest import REPO, copy_example, run_cli

from briefgen.engine.fingerprints import template_closure
from briefgen.engine.pipeline import compile_templates
from briefgen.render.codegen import CODE_GENERATOR
from briefgen.render.compiled import CompiledTemplates, referenced
from briefgen.render.render import THEME_OPTIONS, ThemeEnvironment
from briefgen.render.sharedimport import context_reads, shareable
from briefgen.render.sitewide import SitewideExtension

FILTERS = ("date", "datetime", "iso", "number", "wbr_commas", "live", "host", "first_sentence", "pictures")


class CountingEnvironment(ThemeEnvironment):
    """The build's environment, counting the parses of each template."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.parses: dict[str, int] = {}

    def _parse(self, source, name, filename):
        self.parses[name] = self.parses.get(name, 0) + 1
        return super()._parse(source, name, filename)


def environment(loader: jinja2.BaseLoader, cache: CompiledTemplates | None = None) -> CountingEnvironment:
    env = CountingEnvironment(loader=loader, bytecode_cache=cache, **THEME_OPTIONS)
    env.code_generator_class = CODE_GENERATOR
    env.filters.update({name: str for name in FILTERS})
    return env


def theme() -> jinja2.FileSystemLoader:
    return jinja2.FileSystemLoader(str(REPO / "templates"))


def test_compile_templates_loads_every_template_a_page_uses_parsing_each_once():
    env = environment(theme())
    compile_templates(env, {"article.html", "topic.html"})
    plain = jinja2.Environment(loader=theme(), extensions=[SitewideExtension])
    expected = template_closure(plain, "article.html", {}, {}) | template_closure(plain, "topic.html", {}, {})
    assert {"article.html", "topic.html", "base.html", "_macros.html"} <= expected
    assert {key[1] for key in env.cache.keys()} == expected  # loaded, so a forked worker shares them
    assert env.parses == {name: 1 for name in expected}  # not parsed again to find what each names


def test_referenced_is_what_a_fresh_parse_finds():
    env = environment(theme())
    for name in env.list_templates(extensions=["html"]):
        fresh = tuple(
            jinja2.meta.find_referenced_templates(
                jinja2.Environment(extensions=[SitewideExtension]).parse(env.loader.get_source(env, name)[0])
            )
        )
        env.get_template(name)
        assert referenced(env, name) == fresh, name


def test_the_names_an_import_reads_are_the_two_pass_answer():
    """``shared_import_reads`` in the compiled module equals the separate tracking pass's answer."""
    extra = {
        "m1.html": "{% macro a(x) %}{{ x }}{{ root }}{% for i in items %}{{ i }}{{ site.title }}{% endfor %}"
        "{% endmacro %}{% set _k = [1] %}{% macro b() %}{{ caller() }}{{ chart(1) }}{% set y = q %}{{ y }}"
        "{% endmacro %}",
        "m2.html": "{% set ns = namespace(a=1) %}{% macro a() %}{{ z }}{% endmacro %}",
        "m3.html": "{% macro a(n) %}{% if n %}{{ a(n - 1) }}{{ w | default(v) }}{% endif %}{% endmacro %}",
    }
    env = environment(jinja2.ChoiceLoader([jinja2.DictLoader(extra), theme()]))
    seen = []
    for name in [*env.list_templates(extensions=["html"])]:
        template = env.get_template(name)
        expected = _two_pass_reads(env.parse(env.loader.get_source(env, name)[0], name))
        assert template.root_render_func.__globals__["shared_import_reads"] == expected, name
        seen.append(expected)
    assert ("chart", "items", "q", "root", "site") in seen  # m1: shareable, with the names it reads
    assert any(reads and "root" in reads and "site" in reads for reads in seen)  # the theme's _macros.html


def test_compiled_code_is_reused_for_the_same_source_and_compiled_again_for_an_edited_one(tmp_path: Path):
    (tmp_path / "page.html").write_text("{{ a }}-one")
    cache = CompiledTemplates()
    first = environment(jinja2.FileSystemLoader(str(tmp_path)), cache)
    assert first.get_template("page.html").render(a="x") == "x-one"
    second = environment(jinja2.FileSystemLoader(str(tmp_path)), cache)
    assert second.get_template("page.html").render(a="y") == "y-one"
    assert second.parses == {}  # the code compiled for the first environment
    (tmp_path / "page.html").write_text("{{ a }}-two")
    third = environment(jinja2.FileSystemLoader(str(tmp_path)), cache)
    assert third.get_template("page.html").render(a="z") == "z-two"
    assert third.parses == {"page.html": 1}


def test_a_new_process_finds_what_each_template_names_from_the_kept_code_without_parsing(tmp_path: Path, monkeypatch):
    """A build with no state (a cold one) works out each page's templates (``template_closure``) before rendering:
    with the default theme's compiled code kept, it loads that code, which carries the names each template uses,
    and parses nothing; the answer is the one a fresh parse gives."""
    from briefgen.render import compiled

    kept = tmp_path / "kept"
    first = environment(theme(), CompiledTemplates(kept, theme=REPO / "templates"))
    compile_templates(first, {"article.html", "pack.html"})
    assert first.parses and list(kept.iterdir())  # compiled once, and kept
    monkeypatch.setattr(compiled, "_PARSED", {})  # what a new process knows
    later = environment(theme(), CompiledTemplates(kept, theme=REPO / "templates"))
    found = template_closure(later, "article.html", {}, {}) | template_closure(later, "pack.html", {}, {})
    assert later.parses == {}
    plain = jinja2.Environment(loader=theme(), extensions=[SitewideExtension])
    assert found == template_closure(plain, "article.html", {}, {}) | template_closure(plain, "pack.html", {}, {})


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_rebuild_compiling_only_its_pages_templates_gives_a_clean_builds_bytes(tmp_path: Path):
    """A rebuild of a few pages on two cores renders in-line and compiles templates as pages need them,
    including one no page of the last build used (``withdrawn.html``: a report withdrawn since); a full
    build of the same content, from the same previous site (its change history), gives the same bytes."""
    project = copy_example(tmp_path / "project")
    env = {"SOURCE_DATE_EPOCH": "1741000000"}  # 2025-03-03
    site = tmp_path / "site"
    run_cli("build", "-s", str(project), "-o", str(site), "--jobs", "2", "-q", check=True, env=env)
    assert "withdrawn" not in (site / "sitemap.xml").read_text()
    articles = sorted((project / "content" / "articles").glob("*.md"))
    texts = "".join(a.read_text() for a in articles)
    article = next(a for a in articles if texts.count(a.name) == 0)  # one no other report links to
    text = article.read_text()
    assert text.startswith("---\n") and "expires_at:" not in text
    clean = tmp_path / "clean"
    shutil.copytree(site, clean)  # the same change history to start from
    article.write_text("---\nexpires_at: 2025-03-01T00:00:00+00:00\n" + text[4:])
    run_cli("build", "-s", str(project), "-o", str(site), "--jobs", "2", "-q", check=True, env=env)
    run_cli("build", "-s", str(project), "-o", str(clean), "--no-cache", "--jobs", "1", "-q", check=True, env=env)
    rebuilt, fresh = _files(site), _files(clean)
    assert rebuilt.keys() == fresh.keys(), rebuilt.keys() ^ fresh.keys()
    assert any(b"withdrawn" in data for name, data in rebuilt.items() if name.startswith("articles/"))
    for name in sorted(rebuilt):
        assert rebuilt[name] == fresh[name], name


def _two_pass_reads(ast) -> tuple[str, ...] | None:
    """What a separate tracking pass finds a shareable module reads (None: not shareable): the answer the code
    generator's one pass must give."""
    return tuple(sorted(context_reads(ast))) if shareable(ast) else None
