"""The speed machinery keeps its promises: same bytes on any number of cores, a cache that is never trusted blindly."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import msgspec
from conftest import REPO, run_cli
from engine_support import clean_reference, differing
from PIL import Image

sys.path.insert(0, str(REPO / "bench"))

from make_corpus import make_corpus  # noqa: E402


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_parallel_build_is_byte_identical_to_one_process(tmp_path: Path):
    project = make_corpus(160, tmp_path / "corpus", seed=3)  # enough pages for the worker pool to be used
    run_cli("build", "-q", "--no-cache", "--jobs", "1", "-s", str(project), "-o", str(tmp_path / "one"), check=True)
    run_cli("build", "-q", "--no-cache", "--jobs", "2", "-s", str(project), "-o", str(tmp_path / "two"), check=True)
    one, two = tree(tmp_path / "one"), tree(tmp_path / "two")
    assert len(one) > 300
    assert sorted(one) == sorted(two)
    assert [rel for rel in one if one[rel] != two[rel]] == []
    assert not (project / ".briefgen-cache").exists(), "--no-cache writes no cache"


def test_cached_build_equals_cold_build_and_reuses_pages(example: Path, tmp_path: Path):
    warm = tmp_path / "warm"
    run_cli("build", "-q", "-s", str(example), "-o", str(warm), check=True)
    assert (example / ".briefgen-cache").is_dir()
    article = sorted((example / "content" / "articles").glob("*.md"))[3]
    article.write_text(article.read_text() + "\nA late correction.\n")
    before = tmp_path / "before"
    shutil.copytree(warm, before)
    proc = run_cli("build", "-s", str(example), "-o", str(warm), check=True)
    assert " reused" in proc.stdout and " 0 reused" not in proc.stdout, proc.stdout
    cold = clean_reference(example, before, tmp_path / "cold")  # the same change history to start from
    assert differing(tree(cold), tree(warm)) == [], "nothing tolerated: history and manifest included"


def test_corrupt_truncated_or_foreign_cache_is_ignored_with_a_note(example: Path, tmp_path: Path):
    out = tmp_path / "site"
    run_cli("build", "-q", "-s", str(example), "-o", str(out), check=True)
    reference = clean_reference(example, out, tmp_path / "reference")
    cache = example / ".briefgen-cache"
    markdown, front = sorted(cache.glob("markdown-*.json"))[0], sorted(cache.glob("front-matter-*.json"))[0]
    data = markdown.read_bytes()
    markdown.write_bytes(data[: len(data) // 2])  # truncated
    raw = bytearray(front.read_bytes())
    raw[-40] ^= 0xFF  # one flipped byte in the payload
    front.write_bytes(bytes(raw))
    (cache / "state.json").write_bytes(b"garbage")
    _drop_stored_model(cache)  # else nothing changed loads from the store, which reads no memo file
    older = sorted(cache.glob("markdown-*.json"))[1]  # as an older briefgen wrote it: another format number
    older.write_bytes(older.read_bytes().replace(b"briefgen-cache ", b"briefgen-cache 0", 1))
    proc = run_cli("build", "-s", str(example), "-o", str(out), check=True)
    assert f"{markdown.name} is unusable" in proc.stderr and f"{front.name} is unusable" in proc.stderr
    assert "written in another cache format by another version of briefgen" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert differing(tree(reference), tree(out)) == []

    foreign = re.sub(rb'"env": "[0-9a-f]+"', b'"env": "' + b"0" * 64 + b'"', markdown.read_bytes(), count=1)
    markdown.write_bytes(foreign)
    article = sorted((example / "content" / "articles").glob("*.md"))[0]
    article.write_text(article.read_text() + "\nA late correction.\n")  # so that the build reads the cache
    _drop_stored_model(cache)
    proc = run_cli("build", "-s", str(example), "-o", str(out), check=True)
    assert "was written by another briefgen or other libraries" in proc.stderr


def _drop_stored_model(cache: Path) -> None:
    for path in cache.glob("model*.msgpack"):
        path.unlink()


def test_the_cache_holds_data_only(example: Path):
    """JSON or msgpack (the stored model) behind a checked header, nothing else: no pickles, no compiled
    templates (marshalled code)."""
    run_cli("build", "-q", "-s", str(example), check=True)
    cache = example / ".briefgen-cache"
    files = sorted(p for p in cache.rglob("*") if p.is_file() and p.parent != cache / "images")
    models = [p for p in files if p.suffix == ".msgpack"]
    assert models and all(p.name.startswith("model") for p in models), models
    for path in models:  # plain data: msgpack decodes to dicts, lists, strings and numbers only
        data = path.read_bytes()
        if data.startswith(b"briefgen-"):  # the index and the carried results, behind the checked header; the
            # record files are bare
            header, _, data = data.partition(b"\n")[2].partition(b"\n")
            assert json.loads(header)["sha256"], path
        assert msgspec.msgpack.decode(data) is not None, path
    files = [p for p in files if p not in models]
    assert files and all(p.suffix == ".json" for p in files), files
    # resized photos (briefgen.content.images): image bytes copied into the site, each with its SHA-256; never run
    images = sorted(p for p in (cache / "images").iterdir())
    assert images and all(p.suffix in {".png", ".webp", ".jpg", ".sha256"} for p in images), images
    for path in images:
        if path.suffix != ".sha256":
            assert Image.open(path).format in {"PNG", "WEBP", "JPEG"}, path
    for path in files:
        header, _, payload = path.read_bytes().partition(b"\n")[2].partition(b"\n")
        assert json.loads(header)["sha256"], path
        if path.name == "state.json":
            assert isinstance(json.loads(payload), dict)
            continue
        for line in payload.decode().split("\n"):  # the stores: one "key JSON" line per entry
            key, _, text = line.partition(" ")
            assert key and json.loads(text) is not None, path


def test_clean_removes_the_cache(example: Path):
    run_cli("build", "-q", "-s", str(example), check=True)
    assert (example / ".briefgen-cache").is_dir()
    proc = run_cli("clean", "-s", str(example), check=True)
    assert "Removed .briefgen-cache/" in proc.stdout
    assert not (example / ".briefgen-cache").exists() and (example / "site").is_dir()
    proc = run_cli("clean", "--site", "-s", str(example), check=True)
    assert not (example / "site").exists()
    assert run_cli("clean", "-s", str(example), check=True).stdout.strip() == "Nothing to remove."


def test_no_change_rebuild_reports_reuse_and_writes_nothing(example: Path):
    run_cli("build", "-q", "-s", str(example), check=True)
    proc = run_cli("build", "-s", str(example), check=True)
    assert "0 rendered" in proc.stdout and "0 written" in proc.stdout and "0 removed" in proc.stdout
    (example / "site" / "index.html").write_text("tampered")
    proc = run_cli("build", "-s", str(example), check=True)
    assert "1 written" in proc.stdout, proc.stdout
    assert "tampered" not in (example / "site" / "index.html").read_text()
