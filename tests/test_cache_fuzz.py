"""A damaged, foreign or planted build cache never runs code and never changes a page.

200 random corruptions of the files in ``.briefgen-cache/`` (truncations, bit
flips, payloads that would create a marker folder if anything unpickled them,
files in the old pickle formats, well-formed files of the wrong shape), each
followed by a build that must equal a clean build byte for byte. Most builds
run in this process (the CLI's start-up would dominate); a handful through the
real command line.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import random
import shutil
from pathlib import Path

import pytest
from conftest import REPO, copy_example, run_cli
from engine_support import clean_reference, differing, tree

from briefgen.engine.build import build
from briefgen.engine.cache import MAGIC, code_fingerprint
from briefgen.project import Project

TRIALS = 200
CLI_TRIALS = 5


class Planted:
    """Unpickling this creates the folder ``marker``: proof that the cache ran code."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def framed(payload: bytes, env: str | None = None) -> bytes:
    """``payload`` behind a header as briefgen writes it, checksum and environment right."""
    header = {"env": env or code_fingerprint(), "version": "0", "sha256": hashlib.sha256(payload).hexdigest()}
    return MAGIC + json.dumps(header).encode() + b"\n" + payload


def old_framed(payload: bytes) -> bytes:
    """``payload`` as the first cache format framed its pickles (state.bin, *.bin shards)."""
    return f"1 {hashlib.sha256(payload).hexdigest()}\n".encode() + payload


def corrupt(rng: random.Random, data: bytes, marker: str) -> bytes:
    kind = rng.choice(["truncate", "flip", "flip", "pickle", "framed-pickle", "old-pickle", "framed-json"])
    bomb = pickle.dumps(Planted(marker))
    if kind == "truncate":
        return data[: rng.randrange(len(data))] if data else b""
    if kind == "flip":
        raw = bytearray(data or b"\0")
        raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
        return bytes(raw)
    if kind == "pickle":
        return bomb
    if kind == "framed-pickle":
        return framed(bomb)
    if kind == "old-pickle":
        return old_framed(bomb)
    shapes = [{"ab": ["<script>", [], [], [], [], [], []]}, [1, 2], {"00": {"d": {"$": "x"}}}, "text", None]
    return framed(json.dumps(rng.choice(shapes)).encode())


def planted_paths(cache: Path) -> list[Path]:
    """Files the old formats read: a build must not even open them as code."""
    return [
        cache / "state.bin",
        cache / "markdown-00.bin",
        cache / "front-matter-03.bin",
        cache / "templates" / "x.jbc",
    ]


def plant_compiled_templates(folder: Path, marker: str) -> None:
    """A ``.jbc`` file under the name Jinja's bytecode cache gives each theme template."""
    from jinja2.bccache import BytecodeCache, bc_magic

    folder.mkdir(parents=True, exist_ok=True)
    theme = REPO / "templates"
    for path in theme.glob("*.html"):
        filename = os.path.normpath(os.path.join(str(theme), path.name))
        key = BytecodeCache().get_cache_key(path.name, filename)
        (folder / f"{key}.jbc").write_bytes(bc_magic + pickle.dumps(Planted(marker)))


@pytest.mark.timeout(1200)  # 200 builds of the example: minutes on two busy cores, never a timing assertion
def test_random_corruptions_of_the_cache_never_run_code_or_change_a_page(tmp_path: Path):
    project = copy_example(tmp_path / "project")
    run_cli("build", "-q", "--jobs", "1", "-s", str(project), check=True)
    site, cache = project / "site", project / ".briefgen-cache"
    pristine_site, pristine_cache = tmp_path / "pristine-site", tmp_path / "pristine-cache"
    shutil.copytree(site, pristine_site)
    shutil.copytree(cache, pristine_cache)
    expected = tree(clean_reference(project, pristine_site, tmp_path / "reference"))
    assert differing(tree(pristine_site), expected) == []
    marker = tmp_path / "ran-code"
    rng = random.Random(16)
    notes = considered = 0
    for trial in range(TRIALS):
        shutil.rmtree(site)
        shutil.rmtree(cache)
        shutil.copytree(pristine_site, site)
        shutil.copytree(pristine_cache, cache)
        targets = sorted(p for p in cache.rglob("*") if p.is_file()) + planted_paths(cache)
        target = rng.choice(targets)
        data = target.read_bytes() if target.exists() else b""
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(corrupt(rng, data, str(marker)))
        if trial == 0:  # the state as the first format read it: "1 <sha256>" and a pickle
            (cache / "state.bin").write_bytes(old_framed(pickle.dumps(Planted(str(marker)))))
        if trial == 1:  # compiled templates as Jinja's bytecode cache reads them: its magic, then a pickle
            plant_compiled_templates(cache / "templates", str(marker))
        if trial % 3 == 0 and target.name != "state.json":
            (cache / "state.json").unlink(missing_ok=True)  # every page rendered again, from what the cache holds
        if trial % 2 and target.name != "model.msgpack":
            (cache / "model.msgpack").unlink(missing_ok=True)  # a whole load, which reads every memo file
        if trial < CLI_TRIALS:
            proc = run_cli("build", "--jobs", "1", "-s", str(project), check=True)
            assert "Traceback" not in proc.stderr
        else:
            result = build(Project.at(str(project), None, None), jobs=1)
            # a site from the stored model reads only the memo files it needs: a damaged one it did not read
            # stays unnoticed (and unused) until a build reads it
            read = result.reread is None or target.name == "model.msgpack"
            considered += read
            notes += read and bool(result.notes)
        assert not marker.exists(), f"trial {trial}: a cache file ran code ({target.name})"
        assert differing(tree(site), expected) == [], f"trial {trial}: {target.name} changed the site"
    assert considered > TRIALS // 4
    assert notes > considered // 4, "damaged files are ignored with a note"


def _wrong_records() -> list:
    """Ways to change a record of ``content.parsed`` (a JSON array) into one msgspec must refuse."""
    from briefgen.content import parsed, schema

    fields = parsed._view(schema.ArticleIn).__struct_fields__
    slug, title, day = fields.index("slug"), fields.index("title"), fields.index("date_d")

    def at(i, value):
        return lambda rec: rec[0].__setitem__(i, value)

    return [
        at(slug, "../../outside"),  # a slug the schema refuses: it would name a path
        at(slug, "<script>x</script>"),
        at(title, 7),
        at(day, "2025-02-30"),
        lambda rec: rec.__setitem__(0, {"title": "x"}),
        lambda rec: rec.pop(),
        lambda rec: rec.append(1),
        lambda rec: rec.__setitem__(1, {"title": "one"}),
        lambda rec: rec.__setitem__(3, None),
        lambda rec: rec[0].pop(),
    ]


def test_planted_article_records_of_the_wrong_shape_never_change_a_page(tmp_path: Path):
    """Every record in ``articles-NN.json`` replaced by one of the wrong shape, behind a right header and
    checksum: each is refused and its article parsed, and the site is the clean build's."""
    project = copy_example(tmp_path / "project")
    build(Project.at(str(project), None, None), jobs=1)
    site, cache = project / "site", project / ".briefgen-cache"
    expected = tree(clean_reference(project, site, tmp_path / "reference"))
    mutations = _wrong_records()
    shards = sorted(cache.glob("articles-*.json"))
    assert shards, "the build keeps what each article parsed to"
    n = 0
    for shard in shards:
        payload = shard.read_bytes().split(b"\n", 2)[2]
        lines = []
        for line in payload.split(b"\n"):
            key, _, text = line.partition(b" ")
            record = json.loads(text)
            mutations[n % len(mutations)](record)
            n += 1
            lines.append(key + b" " + json.dumps(record).encode())
        shard.write_bytes(framed(b"\n".join(lines)))
    (cache / "state.json").unlink()  # every page rendered again, from what the cache holds
    build(Project.at(str(project), None, None), jobs=1)
    assert n >= len(mutations)
    assert differing(tree(site), expected) == []
