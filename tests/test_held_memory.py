"""What a one-off build (``briefgen build``) stops holding once it is done with it, and that nothing is lost.

It lets go of the articles' Markdown once loaded (``content.sources``): the link check still places a broken
link at its line, reading the file again, and gives no line rather than a wrong one when the file changed
since it was loaded. It saves the memo stores of the articles (front matter, parsed records) and of the
rendered bodies as soon as loading is done with each, and frees them (``cache.BuildCache.done_with``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import copy_example, run_cli

from briefgen.content.sources import SourceOnDisk, markdown_of
from briefgen.content.yamlsource import normalise_text, split_front_matter
from briefgen.engine.build import build
from briefgen.engine.cache import BuildCache
from briefgen.engine.memostore import Store
from briefgen.project import Project

MISSING = "../../topics/no-such-topic/"


def _body(path: Path) -> str:
    return split_front_matter(normalise_text(path.read_bytes()))[2]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_broken_link_is_placed_at_its_line_after_the_sources_are_let_go(tmp_path: Path, jobs: str):
    project = copy_example(tmp_path / "project")
    article = project / "content/articles/2025-02-21-kellogg-kyiv-talks.md"
    text = article.read_text(encoding="utf-8")
    # a byte-order mark and Windows line ends: read again, the body is normalised as loading did
    article.write_bytes(b"\xef\xbb\xbf" + (text + f"\nSee [a topic]({MISSING}).\n").replace("\n", "\r\n").encode())
    line = len(text.splitlines()) + 2
    proc = run_cli("build", "--jobs", jobs, "-s", str(project))
    assert proc.returncode == 1, proc.stdout
    assert (
        f"content/articles/2025-02-21-kellogg-kyiv-talks.md:{line}: page /articles/2025-02-21-kellogg-kyiv-talks/ "
        f"links to '{MISSING}', which does not exist"
    ) in proc.stderr


def test_a_one_off_build_holds_no_markdown_and_reads_the_same_again(tmp_path: Path):
    project = copy_example(tmp_path / "project")
    result = build(Project.at(project), jobs=1)
    assert result.site.articles
    for article in result.site.articles:
        assert isinstance(article.body_md, SourceOnDisk), article.path
        assert markdown_of(article) == _body(project / article.path)


def test_a_file_changed_since_loading_gives_no_source(tmp_path: Path):
    file = tmp_path / "a.md"
    file.write_text("---\ntitle: A\n---\nFirst line.\n[x](nowhere/)\n", encoding="utf-8")
    source = SourceOnDisk(str(file), _body(file))
    assert source.read() == "First line.\n[x](nowhere/)\n"
    file.write_text("---\ntitle: A\n---\nA new line above.\nFirst line.\n[x](nowhere/)\n", encoding="utf-8")
    assert source.read() is None, "a line of the new text would be a wrong place"
    file.unlink()
    assert source.read() is None


def test_the_articles_stores_are_saved_and_freed_before_the_bodies_render(tmp_path: Path, monkeypatch):
    project = copy_example(tmp_path / "project")
    seen: dict = {}
    render_bodies = BuildCache.prefetch_bodies

    def watching(self, *args):
        seen.update(yaml=dict(self.yaml._entries), parsed=dict(self.parsed._entries))
        seen["files"] = sorted(p.name for p in self.dir.glob("articles-*.json"))
        return render_bodies(self, *args)

    monkeypatch.setattr(BuildCache, "prefetch_bodies", watching)
    result = build(Project.at(project), jobs=1)
    assert seen["yaml"] == seen["parsed"] == {}, "held while the bodies render"
    assert seen["files"], "saved first"
    cache = project / ".briefgen-cache"
    for name in ("front-matter", "articles", "markdown"):
        assert len(Store(cache, name, []).entries) == len(result.site.articles), name

    again = run_cli("build", "-s", str(project), "-o", str(tmp_path / "again"), check=True)
    assert f"{len(result.site.articles)} article" in again.stdout
    assert run_cli("build", "-s", str(project), "-o", str(tmp_path / "again")).stdout.count("nothing changed") == 1
