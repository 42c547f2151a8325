"""A page's costly context values are made when first read (``pages.page.LazyContext``), and read the same.

Assembling makes every page on every build; a rebuild renders few. A topic's briefing, its archive pages'
parts, a pack's footnotes and an article's figure table are made only when a template (or an export of a
changed topic) reads them. These tests check that assembling makes none of them, that each is made once
and is what the eager code made, and that what feeds and the sitemap read instead ("articles": the reports a
topic page lists) is what the briefing lists.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import copy_example

from briefgen.briefing.briefing import brief, figure_items, group_figures
from briefgen.content.clock import site_tz
from briefgen.engine.pipeline import load_and_assemble
from briefgen.pages.page import Later, LazyContext
from briefgen.problems import Problems
from briefgen.project import Project


class Assembled(tuple):
    def __repr__(self) -> str:  # a failing test prints its arguments: not the whole linked site
        return f"<site and {len(self[1])} pages>"


@pytest.fixture(scope="module")
def assembled(tmp_path_factory) -> Assembled:
    project = copy_example(tmp_path_factory.mktemp("lazy") / "project")
    config = project / "briefgen.yaml"
    config.write_text(config.read_text() + "\nper_page: 2\n")  # archive pages
    return Assembled(load_and_assemble(Project.at(project), Problems(), record_changes=False))


def _unmade(page, key: str) -> bool:
    return type(page.context._items[key]) is Later


def test_assembling_makes_no_briefing_and_no_figure_table(assembled):
    _site, pages = assembled
    topics = [p for p in pages if p.kind in ("topic", "pack")]
    assert topics and all(_unmade(p, "b") for p in topics)
    assert all(_unmade(p, "links") for p in pages if p.kind == "pack")
    with_figures = [p for p in pages if p.kind == "article" and p.context["article"].figures]
    assert with_figures and all(_unmade(p, "article_figures") for p in with_figures)


def test_each_value_is_made_once_and_is_what_the_eager_code_made(tmp_path: Path):
    project = copy_example(tmp_path / "project")
    site, pages = load_and_assemble(Project.at(project), Problems(), record_changes=False)
    for topic in site.topics.values():
        page = next(p for p in pages if p.kind == "topic" and p.url_path == topic.url_path)
        pack = next(p for p in pages if p.kind == "pack" and p.context["topic"] is topic)
        b = page.context["b"]
        same = pack.context["b"] is b and page.context["b"] is b  # one briefing for the page and its pack
        assert same
        want = brief(topic, site_tz(site))
        want.changed, want.exports = b.changed, True
        equal = b == want  # (not in the assert: pytest would print the whole linked site)
        assert equal, topic.slug
    for page in pages:
        if page.kind == "article" and page.context["article"].figures:
            figures = page.context["article_figures"]
            equal = figures == figure_items(group_figures(page.context["article"].figures))
            assert equal and page.context["article_figures"] is figures, page.url_path


def test_a_topic_pages_articles_are_what_its_briefing_lists(assembled):
    """The sitemap dates a topic page by its "articles", read without the briefing: they must be the
    reports the page's briefing lists (``b.latest``), archive pages included."""
    _site, pages = assembled
    topic_pages = [p for p in pages if p.kind == "topic"]
    assert any(p.context["pagination"] is not None for p in topic_pages)
    for page in topic_pages:
        listed, shown = [a.path for a in page.context["articles"]], [a.path for a in page.context["b"].latest]
        assert listed == shown, page.url_path


def test_a_lazy_context_reads_as_the_dict_it_stands_for():
    made = []

    def make():
        made.append(1)
        return [1, 2]

    lazy = LazyContext({"a": 1, "b": Later(make), "c": None})

    def kwargs(**given):
        return given

    assert made == []
    assert list(kwargs(**lazy).items()) == [("a", 1), ("b", [1, 2]), ("c", None)]  # order kept: as the template sees it
    assert lazy["b"] is lazy.get("b") and "b" in lazy and "z" not in lazy and lazy.get("z") is None
    assert dict(lazy) == {"a": 1, "b": [1, 2], "c": None} and len(lazy) == 3
    assert made == [1]
