"""The site-wide header and footer ({% sitewide %}): rendered once per variant, the same bytes as on every page.

base.html wraps its header (with the topic strip) and its footer in ``{% sitewide %}``: each is rendered
once per distinct value of the page variables it reads and inserted as it is on every other page
(``briefgen.render.sitewide``). These tests build real projects with the command line and compare
with the same templates rendered page by page, and check that a project's own override of the shared
part (one that shows something of each page) is right on every page, in clean and incremental builds.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import REPO, copy_example, run_cli

from briefgen.engine.build import Builder
from briefgen.project import Project

HISTORY = "changes/history.json"  # a record of earlier builds, not a function of the input
BASE = (REPO / "templates" / "base.html").read_text()


def tree(root: Path) -> dict[str, bytes]:
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    files.pop(HISTORY, None)
    manifest = files.get(".briefgen-manifest.json")
    if manifest is not None:
        data = json.loads(manifest)
        data["files"].pop(HISTORY, None)
        files[".briefgen-manifest.json"] = json.dumps(data, sort_keys=True).encode()
    return files


def pages(root: Path) -> dict[str, str]:
    """url_path -> HTML of every page of a built site."""
    out = {}
    for path in sorted(root.rglob("*.html")):
        rel = path.relative_to(root).as_posix()
        out[rel.removesuffix("index.html")] = path.read_text()
    return out


def build(project: Path, out: Path, *extra: str) -> Path:
    run_cli(
        "build", "--source", str(project), "--output", str(out), "--no-cache", "--jobs", "1", "-q", *extra, check=True
    )
    return out


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "project")


def test_the_default_theme_has_site_wide_parts():
    assert BASE.count("{% sitewide %}") == 2 and BASE.count("{% endsitewide %}") == 2


def test_shared_header_and_footer_equal_rendering_them_on_every_page(project: Path, tmp_path: Path):
    shared = build(project, tmp_path / "shared")
    # the same base.html without the tags: every page renders its own header and footer
    (project / "templates").mkdir()
    per_page = BASE.replace("{% sitewide %}\n", "").replace("{% endsitewide %}\n", "")
    assert "sitewide" not in per_page.replace("docs/theme.md", "")
    (project / "templates" / "base.html").write_text(per_page)
    plain = build(project, tmp_path / "plain")
    assert tree(shared) == tree(plain)
    html = pages(shared)
    # what differs between pages is there: the current page marked in the header, the strip and the footer
    assert '<a class="brand" href="./" aria-current="page">' in html[""]
    assert 'aria-current="page">Topics</a>' in html["topics/"]
    assert 'aria-current="page">Corrections</a>' in html["corrections/"]
    topic = next(u for u in html if re.fullmatch(r"topics/[^/]+/", u))
    strip = re.search(r'<nav class="topic-strip".*?</nav>', html[topic], re.S).group(0)
    assert strip.count('aria-current="page"') == 1 and f'href="../../{topic}" aria-current="page"' in strip
    article = next(u for u in html if u.startswith("articles/"))
    assert "aria-current" not in re.search(r"<header class=\"site-header\">.*?</header>", html[article], re.S).group(0)
    assert 'action="../../search/"' in html[article] and 'class="search"' not in html["search/"].split("<main")[0]


def _page_specific(text: str) -> str:
    """base.html with this page's address shown inside the shared header and its title inside the footer."""
    text = text.replace(
        '<div class="wrap site-header__bar">', '<div class="wrap site-header__bar" data-here="{{ page.url_path }}">', 1
    )
    text = text.replace("Built with briefgen.", "Built with briefgen. This page: {{ page.title }}.", 1)
    assert "data-here" in text and "This page:" in text
    return text


def test_an_override_that_shows_the_page_in_the_shared_part_is_right_on_every_page(project: Path, tmp_path: Path):
    (project / "templates").mkdir()
    (project / "templates" / "base.html").write_text(_page_specific(BASE))
    html = pages(build(project, tmp_path / "site"))
    assert len(html) > 30
    for url_path, text in html.items():
        assert f'data-here="{url_path}"' in text, url_path
        title = re.search(r"<title>(.*?)</title>", text, re.S).group(1).split(" · ")[0]
        assert f"This page: {title}." in text, url_path


def test_a_shared_part_given_the_page_address_renders_per_page(project: Path, tmp_path: Path):
    """Widen what the header is given (the address of every page) and it is keyed on it: never reused wrongly."""
    (project / "templates").mkdir()
    text = BASE.replace(
        '{% with nav_kind = page.kind, nav_here = page.url_path if page.kind == "topic" else "" %}',
        "{% with nav_kind = page.kind, nav_here = page.url_path %}",
        1,
    )
    text = text.replace(
        '<span class="topic-strip__label" aria-hidden="true">',
        '<span class="topic-strip__label" aria-hidden="true" data-at="{{ nav_here }}">',
        1,
    )
    (project / "templates" / "base.html").write_text(text)
    html = pages(build(project, tmp_path / "site"))
    for url_path, text in html.items():
        assert f'data-at="{url_path}"' in text, url_path


def _builder(project: Path, out: Path, cache: bool) -> Builder:
    return Builder(Project.at(project, out), jobs=1, use_cache=cache, record_changes=False)


def test_incremental_rebuild_after_editing_the_override_equals_a_clean_build(project: Path, tmp_path: Path):
    templates = project / "templates"
    templates.mkdir()
    (templates / "base.html").write_text(BASE)
    out = tmp_path / "site"
    builder = _builder(project, out, cache=True)
    builder.rebuild(None)
    before = tree(out)
    # the shared part becomes page-specific: every page must change, not only the first of each variant
    (templates / "base.html").write_text(_page_specific(BASE))
    builder.rebuild({"templates/base.html"})
    clean = tmp_path / "clean"
    _builder(project, clean, cache=False).rebuild(None)
    assert tree(out) == tree(clean)
    changed = [p for p in pages(out) if p != "404.html"]
    assert all(before[p + "index.html"] != tree(out)[p + "index.html"] for p in changed if p + "index.html" in before)
    # and back to site-wide again, from a fresh process's point of view (a new builder reading the cache)
    (templates / "base.html").write_text(BASE.replace("Built with briefgen.", "Built with briefgen, edited.", 1))
    _builder(project, out, cache=True).rebuild(None)
    shutil.rmtree(clean)
    _builder(project, clean, cache=False).rebuild(None)
    assert tree(out) == tree(clean)
    assert all(b"Built with briefgen, edited." in data for rel, data in tree(out).items() if rel.endswith(".html"))
