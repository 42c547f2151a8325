"""serve renders every open page that shows a saved article ahead of the rebuild, from the last build's site
patched with the article (briefgen.serve.patch): its topic's page, the home page, a person's page.

Real projects in a temporary folder, a real Builder and ReloadHub, no server: what is checked is what is on
disk before the rebuild starts and after it, which a server only makes harder to see. tests/test_serve.py
covers the same path end to end through a real server and its reload channel.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from serve_support import ARTICLE, ARTICLE_PAGE, TOPIC_PAGE, AheadSetup, make_project

from briefgen.engine.build import Builder
from briefgen.project import Project
from briefgen.serve import patch

HOME = "index.html"
PERSON = "people/ignat/index.html"
SOURCE = "sources/ukraine-air-force-facebook/index.html"
PACK = "topics/drone-strikes/pack/index.html"
CLAIMS = "claims/index.html"


class Setup(AheadSetup):
    def save(self, *edits: tuple[str, str]) -> None:
        path = self.root / ARTICLE
        text = path.read_text(encoding="utf-8")
        for old, new in edits:
            assert old in text, old
            text = text.replace(old, new, 1)
        path.write_text(text, encoding="utf-8")

    def clean(self) -> dict[str, bytes]:
        """Every file of a clean build of the project as it is now, in another output folder."""
        out = self.root / "clean"
        Builder(Project.at(self.root, out, None), record_changes=False, use_cache=False).rebuild()
        return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    return Setup(make_project(tmp_path / "project"))


# The figure is in the topic's briefing next to other reports' figures, and the claim in the ledger.
EDIT = (
    ("title: Air force counts 267", "title: Air force counts 301"),
    ("    value: 267\n", "    value: 301\n"),
    ("status: unverified", "status: disputed"),
)
OPEN = (TOPIC_PAGE, HOME, PERSON, SOURCE, PACK, CLAIMS)


def test_every_open_page_showing_the_article_is_written_before_the_rebuild_as_a_clean_build_has_it(setup: Setup):
    before = {page: setup.page(page) for page in OPEN}
    for page in OPEN:
        setup.hub.page_opened(page)
    setup.save(*EDIT)
    setup.first.ahead(setup.builder.last, {ARTICLE})
    ahead = {page: setup.page(page) for page in OPEN}
    assert sorted(sum(setup.announced, [])) == sorted(OPEN), "every open page, each once, before the rebuild"
    ahead_events = list(setup.announced)
    for page in OPEN:
        assert ahead[page] != before[page], page
    assert b"301" in ahead[TOPIC_PAGE] and b"Air force counts 301" in ahead[HOME]

    result = setup.builder.rebuild({ARTICLE})
    setup.first.done()
    assert setup.announced == ahead_events, "the rebuild found the same bytes: no second reload"
    assert not set(OPEN) & set(result.stats.changed_paths)
    clean = setup.clean()
    for page in OPEN:
        assert ahead[page] == clean[page], f"{page}: the page written ahead is a clean build's"
    site = setup.root / "site"
    written = {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert sorted(k for k in written if written[k] != clean.get(k)) == []
    assert written.keys() == clean.keys()


def test_the_last_build_site_is_left_as_it_was(setup: Setup):
    """The patch is undone after rendering: a failed rebuild must leave ``last`` the last good build."""
    setup.hub.page_opened(TOPIC_PAGE)
    site = setup.builder.last.site
    topic = site.topics["drone-strikes"]
    lists = (list(site.articles), list(topic.articles), {k: list(p.figures) for k, p in site.parties.items()})
    setup.save(*EDIT)
    setup.first.ahead(setup.builder.last, {ARTICLE})
    assert setup.announced == [[TOPIC_PAGE]]
    assert site.articles == lists[0] and topic.articles == lists[1]
    assert {k: p.figures for k, p in site.parties.items()} == lists[2]


def test_a_page_the_rebuild_renders_differently_is_written_again_and_reloads_again(setup: Setup, monkeypatch):
    """Forces a wrong page ahead, as a bug in the patch would make one: the topic's reports in the wrong order,
    so its briefing (latest figures, timeline, the list) is wrong. The rebuild's bytes are the truth: written
    over it and announced again, as a clean build has them."""
    original = patch.ArticleSwap.apply

    def topic_misordered(self):
        original(self)
        for topic in self.topics:
            topic.articles = topic.articles[::-1]

    monkeypatch.setattr(patch.ArticleSwap, "apply", topic_misordered)
    setup.hub.page_opened(TOPIC_PAGE)
    setup.hub.page_opened(ARTICLE_PAGE)
    setup.save(*EDIT)
    setup.first.ahead(setup.builder.last, {ARTICLE})
    assert setup.announced == [[ARTICLE_PAGE], [TOPIC_PAGE]], "the article's own page first"
    wrong = setup.page(TOPIC_PAGE)
    assert b"Air force counts 301" in wrong

    setup.builder.rebuild({ARTICLE})
    setup.first.done()
    assert setup.announced[2:] == [[TOPIC_PAGE]], "one more reload, for the page that differed only"
    clean = setup.clean()
    assert setup.page(TOPIC_PAGE) == clean[TOPIC_PAGE] != wrong
    assert setup.page(ARTICLE_PAGE) == clean[ARTICLE_PAGE]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("topics: [drone-strikes]", "topics: [drone-strikes, nato-offer]"),  # another topic shows it now
        ("title: ", "slug: a-new-address\ntitle: "),  # another page
        ("people: [ignat, ", "people: [nobody-known, "),  # a mistake the build reports
    ],
    ids=["topic change", "new slug", "unknown person"],
)
def test_a_save_that_moves_pages_is_left_to_the_rebuild(setup: Setup, old: str, new: str):
    for page in OPEN:
        setup.hub.page_opened(page)
    before = {page: setup.page(page) for page in OPEN}
    setup.save((old, new))
    setup.first.ahead(setup.builder.last, {ARTICLE})
    assert setup.announced == [] and {page: setup.page(page) for page in OPEN} == before


def test_a_save_of_another_file_is_left_to_the_rebuild(setup: Setup):
    setup.hub.page_opened(TOPIC_PAGE)
    before = setup.page(TOPIC_PAGE)
    people = setup.root / "content/people.yaml"
    people.write_text(people.read_text(encoding="utf-8").replace("Yuriy Ignat", "Yurii Ihnat"), encoding="utf-8")
    setup.first.ahead(setup.builder.last, {"content/people.yaml"})
    assert setup.announced == [] and setup.page(TOPIC_PAGE) == before


def test_index_pages_assembles_only_the_wanted_ones_and_the_same_pages(setup: Setup):
    from briefgen.pages.assemble import index_pages

    site = setup.builder.last.site
    every = index_pages(site)
    assert [p.output for p in index_pages(site, frozenset({HOME, CLAIMS}))] == [HOME, CLAIMS]
    assert [p.output for p in every] == [p.output for p in setup.builder.last.pages[: len(every)]]
    renderer = setup.builder.last.renderer
    for page in every:
        (alone,) = index_pages(site, frozenset({page.output}))
        assert renderer.render(alone) == renderer.render(page)


def test_an_open_archive_page_of_the_topic_is_written_ahead_too(tmp_path: Path):
    """Topic pages paginate (``per_page``): the page of the topic's archive that lists the article reloads first."""
    root = make_project(tmp_path / "project")
    config = root / "briefgen.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "\nper_page: 1\n", encoding="utf-8")
    setup = Setup(root)
    archive = sorted(
        p.relative_to(root / "site").as_posix() for p in (root / "site/topics/drone-strikes/page").rglob("*.html")
    )
    assert len(archive) >= 2
    for page in archive:
        setup.hub.page_opened(page)
    before = {page: setup.page(page) for page in archive}
    setup.save(*EDIT)
    setup.first.ahead(setup.builder.last, {ARTICLE})
    (written,) = setup.announced
    assert len(written) == 1 and written[0] in archive, "the one archive page that lists the article"
    assert b"Air force counts 301" in setup.page(written[0])
    assert all(setup.page(p) == before[p] for p in archive if p != written[0])
    setup.builder.rebuild({ARTICLE})
    setup.first.done()
    assert len(setup.announced) == 1
    clean = setup.clean()
    assert {page: setup.page(page) for page in archive} == {page: clean[page] for page in archive}


def test_the_home_page_reloads_after_the_article_page_and_before_the_topic_page(setup: Setup):
    """The home page is quick to render at any size of site, a topic page (a whole briefing) is the slowest:
    the pages that can reload sooner do."""
    for page in (TOPIC_PAGE, HOME, ARTICLE_PAGE):
        setup.hub.page_opened(page)
    setup.save(*EDIT)
    setup.first.ahead(setup.builder.last, {ARTICLE})
    assert setup.announced == [[ARTICLE_PAGE], [HOME], [TOPIC_PAGE]]


TOPICS_INDEX = "topics/index.html"


def test_a_new_updated_time_moves_its_topic_on_the_pages_written_ahead_as_a_clean_build_has_them(setup: Setup):
    """The swap works out each topic's "updated" once (``Topic.pinned_updated``): the saved article's topic
    again, from its reports as they read now; the home page and the topic index sort by it and show it.
    A value kept from the last build for that topic would leave it in its old place, with its old time."""
    pages = (HOME, TOPICS_INDEX, TOPIC_PAGE)
    for page in pages:
        setup.hub.page_opened(page)
    before = {page: setup.page(page) for page in pages}
    setup.save(
        ("date: 2025-02-23T08:30:00+02:00\n", "date: 2025-02-23T08:30:00+02:00\nupdated: 2031-05-04T10:15:00Z\n")
    )
    setup.first.ahead(setup.builder.last, {ARTICLE})
    assert sorted(sum(setup.announced, [])) == sorted(pages)
    ahead = {page: setup.page(page) for page in pages}
    assert b"2031" in ahead[HOME] and b"2031" not in before[HOME]
    assert all(topic.pinned_updated is None for topic in setup.builder.last.site.topics.values()), "unpinned after"

    setup.builder.rebuild({ARTICLE})
    setup.first.done()
    clean = setup.clean()
    assert ahead == {page: clean[page] for page in pages}


def test_garbage_collection_is_paused_while_pages_are_rendered_ahead_and_back_on_after(setup: Setup, monkeypatch):
    """A full collection walks every object of the site in memory; it is off while the open pages are rendered
    ahead, and back on afterwards even when rendering fails."""
    import gc

    seen = []
    original = patch.ArticleSwap.apply

    def apply(self):
        seen.append(gc.isenabled())
        original(self)

    monkeypatch.setattr(patch.ArticleSwap, "apply", apply)
    setup.hub.page_opened(HOME)
    setup.save(*EDIT)
    assert gc.isenabled()
    setup.first.ahead(setup.builder.last, {ARTICLE})
    assert seen == [False] and gc.isenabled()

    def broken(self):
        raise RuntimeError("a bug in the patch")

    monkeypatch.setattr(patch.ArticleSwap, "apply", broken)
    with pytest.raises(RuntimeError):
        setup.first.ahead(setup.builder.last, {ARTICLE})
    assert gc.isenabled()
