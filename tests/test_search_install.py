"""Search from a README-only install, and no page ever links to a file the build did not write.

``pip install -e .`` brings Pagefind (a core dependency whose wheel ships the binary), so the plain build has
``pagefind/pagefind-ui.css`` and ``.js``. When Pagefind is nevertheless missing (here: ``PAGEFIND_BINARY_PATH``
naming no file, which Pagefind's own lookup honours), the pages do not mention ``pagefind/`` at all, the header
has no search box leading nowhere, the search page says there is no index and lists the topics, and
``build --strict`` still passes: a machine without Pagefind is not a content problem.
"""

from __future__ import annotations

import json
import posixpath
import tomllib
from pathlib import Path
from urllib.parse import unquote, urlsplit

from conftest import REPO, run_cli
from selectolax.lexbor import LexborHTMLParser as HTMLParser

ATTRS = ("href", "src", "action", "poster", "data")


def references(site: Path) -> dict[str, set[str]]:
    """Every local reference of every page, as the site file it names -> the pages naming it (HTML parsed)."""
    found: dict[str, set[str]] = {}
    for page in sorted(site.rglob("*.html")):
        rel = page.relative_to(site).as_posix()
        for node in HTMLParser(page.read_bytes()).css("*"):
            values = [node.attributes.get(a) for a in ATTRS]
            srcset = node.attributes.get("srcset")
            if srcset:
                values += [part.split()[0] for part in srcset.split(",") if part.strip()]
            for value in values:
                if not value:
                    continue
                parts = urlsplit(value)
                if parts.scheme or parts.netloc or not parts.path:
                    continue  # another site, mailto:, or #fragment / ?query on this page
                path = unquote(parts.path)
                if path.startswith("/"):  # the 404 page: absolute from base_url's path, "/" for the example
                    target = posixpath.normpath(path.lstrip("/") or ".")
                else:
                    target = posixpath.normpath(posixpath.join(posixpath.dirname(rel), path))
                if path.endswith("/") or target == "." or (site / target).is_dir():
                    target = "index.html" if target == "." else target + "/index.html"
                found.setdefault(target, set()).add(rel)
    return found


def written(site: Path) -> set[str]:
    """What the build says it wrote: the manifest's list, checked against the disk."""
    files = set(json.loads((site / ".briefgen-manifest.json").read_text())["files"])
    assert all((site / rel).is_file() for rel in files)
    return files


def assert_every_reference_resolves(site: Path) -> dict[str, set[str]]:
    refs = references(site)
    missing = {target: sorted(pages)[:3] for target, pages in refs.items() if target not in written(site)}
    assert not missing, f"pages link to files the build did not write: {missing}"
    return refs


def test_pagefind_is_a_core_dependency():
    """So the README's `pip install -e . && briefgen build` installs the binary search needs."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert any(dep.replace(" ", "").startswith("pagefind[bin]") for dep in project["dependencies"])


def test_every_reference_of_the_built_example_resolves_including_search(built_example: Path):
    refs = assert_every_reference_resolves(built_example)
    for asset in ("pagefind/pagefind-ui.css", "pagefind/pagefind-ui.js"):
        assert "search/index.html" in refs.get(asset, ()), f"the search page loads {asset}"
    home = HTMLParser((built_example / "index.html").read_bytes())
    assert home.css_first("form.search") is not None, "the header search box"


def test_without_pagefind_nothing_references_it_and_strict_passes(example: Path):
    env = {"PAGEFIND_BINARY_PATH": str(example / "no-such-pagefind")}
    proc = run_cli("build", "--source", str(example), "--strict", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "note: Pagefind is not installed" in proc.stderr and "warning" not in proc.stderr
    site = example / "site"
    assert not (site / "pagefind").exists()
    refs = assert_every_reference_resolves(site)
    assert not [t for t in refs if t.startswith("pagefind/")]
    for page in site.rglob("*.html"):
        tree = HTMLParser(page.read_bytes())
        assert tree.css_first("form.search") is None, f"{page}: a search box with no index behind it"
    search = HTMLParser((site / "search/index.html").read_bytes())
    notice = search.css_first("#search-unavailable")
    assert notice is not None and "hidden" not in notice.attributes, "the search page says why there is no search"
    assert len(search.css("main ul.browse a")) == 3, "and lists the topics"
    assert "SearchAction" not in (site / "index.html").read_text(), "no search action promised to search engines"

    # Pagefind installed later: the next plain build brings search back, with nothing else changed.
    proc = run_cli("build", "--source", str(example), "--strict")
    assert proc.returncode == 0, proc.stderr
    refs = assert_every_reference_resolves(site)
    assert "search/index.html" in refs.get("pagefind/pagefind-ui.js", ())
    assert HTMLParser((site / "index.html").read_bytes()).css_first("form.search") is not None


def test_search_false_links_to_no_index_either(example: Path):
    cfg = example / "briefgen.yaml"
    cfg.write_text(cfg.read_text() + "search: false\n")
    proc = run_cli("build", "--source", str(example), "--strict")
    assert proc.returncode == 0, proc.stderr
    assert "Pagefind" not in proc.stderr
    refs = assert_every_reference_resolves(example / "site")
    assert not [t for t in refs if t.startswith("pagefind/")]
