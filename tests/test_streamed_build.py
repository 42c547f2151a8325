"""A build that streams its pages into the staging folder as they are rendered (no record of the output) and
fails part-way leaves the site as it was, on one core or several; loading lets go of what it parsed once linked.

Real projects in tmp folders and the real command line in a subprocess.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from conftest import REPO, run_cli

import briefgen.content.site as site_module
from briefgen.content.load import Loader
from briefgen.problems import Problems
from briefgen.project import Project

sys.path.insert(0, str(REPO / "bench"))

from make_corpus import make_corpus  # noqa: E402


def _tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_ino) for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_streamed_build_that_fails_mid_render_leaves_the_site_as_it_was(tmp_path: Path, jobs: int):
    project = make_corpus(160, tmp_path / "corpus", seed=5)  # enough pages for a forked worker
    out = tmp_path / "site"
    run_cli("build", "-q", "--jobs", str(jobs), "-s", str(project), "-o", str(out), check=True)
    before = _tree(out)
    shutil.rmtree(project / ".briefgen-cache")  # no record of the output: the next build streams every page
    articles = sorted(p.name for p in (out / "articles").iterdir())
    doomed = articles[len(articles) * 3 // 4]  # rendered well after the first pages were streamed
    theme = (REPO / "templates" / "article.html").read_text()
    failing = theme.replace(
        "{% block content %}",
        "{% block content %}{% if article.slug == '" + doomed + "' %}{{ no_such_helper() }}{% endif %}",
        1,
    )
    assert failing != theme
    (project / "templates").mkdir()
    (project / "templates" / "article.html").write_text(failing)

    proc = run_cli("build", "--jobs", str(jobs), "-s", str(project), "-o", str(out))

    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"while rendering /articles/{doomed}/" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert _tree(out) == before, "the same files, the same bytes, the same inodes: nothing was written through"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "site"], "no staging folder left behind"


def test_loading_lets_go_of_each_articles_parsed_front_matter_before_reading_the_next(
    example: Path, monkeypatch: pytest.MonkeyPatch
):
    """Each article is read, sorted out and linked before the next is read: when an article is linked, the YAML
    tree and validated front matter of every article before it are gone (not all alive until loading ends,
    then freed between the site's objects)."""
    import gc
    import weakref

    from briefgen.content.link import Linker

    alive: list[tuple[weakref.ref, weakref.ref]] = []  # (YAML tree, front matter) of each article read so far
    seen_alive: list[int] = []  # when each article is linked: how many articles' trees are still alive
    read, link = Loader.load_article, Linker.article

    def read_and_note(self, path):
        found = read(self, path)
        if found is not None:
            alive.append((weakref.ref(found[2]), weakref.ref(found[1])))
        return found

    def link_and_count(self, article, meta, doc):
        gc.collect()
        seen_alive.append(sum(1 for tree, front in alive if tree() is not None or front() is not None))
        link(self, article, meta, doc)

    monkeypatch.setattr(Loader, "load_article", read_and_note)
    monkeypatch.setattr(Linker, "article", link_and_count)
    problems = Problems()
    site = site_module.load_site(Project.at(example), problems)
    assert site is not None
    count = len(site.articles)  # (a failing assert must not print the whole site)
    assert count >= 5 and len(seen_alive) == count == len(alive)
    assert seen_alive == [1] * count, "only the article being linked has its YAML and front matter"
    gc.collect()
    kept = sum(1 for tree, front in alive if tree() is not None or front() is not None)
    assert kept == 0, "none is kept once loading ends"
    assert all(bool(a.body_html) for a in site.articles)
