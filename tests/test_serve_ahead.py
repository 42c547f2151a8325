"""serve renders a saved article's open page ahead of the rebuild, from the last build's site.

Real projects in a temporary folder, a real Builder and ReloadHub, no server: what is checked is the
order of writes, which a server only makes harder to see. tests/test_serve.py covers the same path
end to end (edit -> reload event -> served page).
"""

from __future__ import annotations

import gc
import time
from pathlib import Path

import pytest
from serve_support import ARTICLE, ARTICLE_PAGE, AheadSetup, Running, edit, make_project, title_of

from briefgen.engine.build import Builder
from briefgen.problems import BuildError
from briefgen.project import Project


class Setup(AheadSetup):
    def save(self, old: str, new: str, rel: str = ARTICLE) -> None:
        path = self.root / rel
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    return Setup(make_project(tmp_path / "project"))


def test_the_open_article_page_is_written_before_the_rebuild_and_not_again(setup: Setup):
    setup.hub.page_opened(ARTICLE_PAGE)
    old = title_of(setup.root, ARTICLE)
    setup.save(f"title: {old}", "title: Written ahead of the rebuild")
    setup.first.ahead(setup.builder.last, {ARTICLE})
    assert b"Written ahead of the rebuild" in setup.page(), "on disk before the rebuild has even started"
    assert setup.announced == [[ARTICLE_PAGE]]
    ahead = setup.page()

    result = setup.builder.rebuild({ARTICLE})
    setup.first.done()
    assert setup.page() == ahead, "the whole rebuild renders the same bytes"
    assert setup.announced == [[ARTICLE_PAGE]], "so the page does not reload twice"
    assert ARTICLE_PAGE not in result.stats.changed_paths
    clean = Builder(Project.at(setup.root, setup.root / "clean", None), record_changes=False).rebuild()
    assert clean.files[ARTICLE_PAGE] == ahead, "and they are a clean build's"


def test_only_an_open_page_of_the_one_saved_article_is_rendered_ahead(setup: Setup):
    old = title_of(setup.root, ARTICLE)
    before = setup.page()
    setup.save(f"title: {old}", "title: Nobody is looking")
    setup.first.ahead(setup.builder.last, {ARTICLE})  # not open
    setup.hub.page_opened(ARTICLE_PAGE)
    setup.first.ahead(setup.builder.last, {ARTICLE, "content/topics/drone-strikes.yaml"})  # two files saved
    setup.first.ahead(None, {ARTICLE})  # no build yet
    assert setup.page() == before and setup.announced == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("topics: [", "topics: [no-such-topic, "),  # a mistake the build reports
        ("title: ", "slug: a-new-address\ntitle: "),  # another page: the old one is removed by the build
    ],
    ids=["unknown topic", "new slug"],
)
def test_a_save_the_build_must_judge_is_not_rendered_ahead(setup: Setup, old: str, new: str):
    setup.hub.page_opened(ARTICLE_PAGE)
    before = setup.page()
    setup.save(old, new)
    setup.first.ahead(setup.builder.last, {ARTICLE})
    assert setup.page() == before and setup.announced == []


def test_a_page_written_ahead_is_put_back_when_the_build_fails(setup: Setup):
    """A link to a heading the other article lacks: only the whole build checks anchors between articles."""
    setup.hub.page_opened(ARTICLE_PAGE)
    before = setup.page()
    other = next(p.name for p in (setup.root / "content/articles").glob("*.md") if p.name not in ARTICLE)
    old = title_of(setup.root, ARTICLE)
    setup.save(f"title: {old}", "title: Never published")
    body = (setup.root / ARTICLE).read_text(encoding="utf-8") + f"\nSee [this]({other}#no-such-heading).\n"
    (setup.root / ARTICLE).write_text(body, encoding="utf-8")
    setup.first.ahead(setup.builder.last, {ARTICLE})
    assert b"Never published" in setup.page(), "written ahead"
    with pytest.raises(BuildError) as failed:
        setup.builder.rebuild({ARTICLE})
    assert any("no-such-heading" in p.message for p in failed.value.problems)
    assert setup.first.undo() == [ARTICLE_PAGE]
    assert setup.page() == before


def test_the_site_in_memory_is_kept_out_of_garbage_collections_until_the_next_build(tmp_path: Path):
    """A full collection walks every tracked object, the whole linked site included: serve leaves what a
    build made out of collections (``gc.freeze``) until the next build, and lets it go when it stops."""
    running = Running(make_project(tmp_path / "project"))
    try:
        assert gc.get_freeze_count() > 0, "frozen after the first build"
        stream = running.events(page=ARTICLE_PAGE)
        stream.next("hello")
        old = title_of(running.root, ARTICLE)
        edit(running.root / ARTICLE, f"title: {old}", "title: Frozen again after this build")
        deadline = time.monotonic() + 60
        while "Rebuilt in" not in running.output() and time.monotonic() < deadline:
            time.sleep(0.05)
        stream.close()
        assert "Rebuilt in" in running.output()
        assert gc.get_freeze_count() > 0, "and after each rebuild"
    finally:
        running.stop()
    assert gc.get_freeze_count() == 0, "and no longer once serve stops"
