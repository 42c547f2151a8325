"""Reproducible output: the same input gives the same bytes; asset names carry their content hash."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from conftest import copy_example, run_cli


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_two_builds_are_byte_identical(tmp_path: Path):
    """Two copies of the project in different folders, built at different times, into different folders."""
    first = copy_example(tmp_path / "a" / "project")
    second = copy_example(tmp_path / "elsewhere" / "copy")
    run_cli("build", "--source", str(first), "--output", str(tmp_path / "out1"), check=True)
    run_cli("build", "--source", str(second), "--output", str(tmp_path / "out2" / "nested"), check=True)
    one, two = tree(tmp_path / "out1"), tree(tmp_path / "out2" / "nested")
    assert sorted(one) == sorted(two)
    different = [rel for rel in one if one[rel] != two[rel]]
    assert different == []
    assert any(rel.startswith("pagefind/") for rel in one), "the search index is covered too"
    assert {"feed.xml", "sitemap.xml", "robots.txt", ".briefgen-manifest.json"} <= set(one)
    for data in (one["feed.xml"], one["sitemap.xml"], one["index.html"]):
        assert str(tmp_path).encode() not in data, "no path of the build machine in the output"


def test_manifest_lists_every_file_with_its_hash(built_example: Path):
    manifest = json.loads((built_example / ".briefgen-manifest.json").read_text())
    assert manifest["format"] == 1 and manifest["base_url"] == "https://example.org/"
    files = tree(built_example)
    del files[".briefgen-manifest.json"]
    assert manifest["files"] == {rel: hashlib.sha256(data).hexdigest() for rel, data in files.items()}


def test_css_and_js_names_carry_their_content_hash(built_example: Path):
    static = built_example / "static"
    hashed = [p for p in static.rglob("*") if p.suffix in (".css", ".js")]
    assert any(p.suffix == ".css" for p in hashed) and any(p.suffix == ".js" for p in hashed)
    for path in hashed:
        m = re.fullmatch(r"(.+)\.([0-9a-f]{10})\.(css|js)", path.name)
        assert m, f"{path.name} has no content hash"
        assert hashlib.sha256(path.read_bytes()).hexdigest()[:10] == m.group(2)
    pages = [p.read_text() for p in built_example.rglob("*.html")]
    for path in hashed:
        rel = path.relative_to(built_example).as_posix()
        assert any(rel in html for html in pages), f"no page references {rel}"
    for html in pages:
        for ref in re.findall(r'(?:href|src)="([^"]*static/[^"]*\.(?:css|js))"', html):
            assert re.search(r"\.[0-9a-f]{10}\.(css|js)$", ref), ref


def test_rebuild_of_unchanged_input_rewrites_nothing(example: Path):
    run_cli("build", "--source", str(example), check=True)
    site = example / "site"
    before = {p: p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()}
    proc = run_cli("build", "--source", str(example), check=True)
    assert "0 written" in proc.stdout and "0 removed" in proc.stdout
    assert {p: p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()} == before
