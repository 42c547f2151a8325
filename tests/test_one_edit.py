"""A one-article edit from the command line's path (a new ``Builder`` reading ``.briefgen-cache/``) gives the
bytes of a clean build, for each kind of front-matter edit a desk makes.

Each edit changes what other pages show of the article: who said a quote (the speakers' pages), a figure
(its topic's key figures, the reporter's page), a claim's status (the claims ledger), the people it names
(their pages), a correction or an ``updated:`` time (the topic's "as of" time on every page of the topic,
archive pages included), its topics (two topics' pages). The example is built with two reports per topic
page, so that topics have archive pages. A page kept from the last build that should have changed, or a
page rendered from a stale part of the loaded site, fails the comparison.
"""

from __future__ import annotations

import gc
import hashlib
import json
from pathlib import Path

import pytest
from conftest import copy_example
from engine_support import edit_first_figure

from briefgen.engine.build import Builder
from briefgen.project import Project

HISTORY = "changes/history.json"  # a record of earlier builds, not a function of the input

MINERALS = "2025-02-22-trump-says-minerals-deal-close.md"
NATO = "2025-02-23-zelensky-ready-to-resign-for-nato.md"


def _tree(root: Path) -> dict[str, bytes]:
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    files.pop(HISTORY, None)
    manifest = json.loads(files[".briefgen-manifest.json"])
    manifest["files"].pop(HISTORY, None)
    files[".briefgen-manifest.json"] = json.dumps(manifest, sort_keys=True).encode()
    return files


def _build(project: Path, out: Path, *, cache: bool = True, reread: list | None = None) -> dict[str, bytes]:
    """One build as ``briefgen build`` runs it: a new Builder, its state from ``.briefgen-cache/``;
    ``reread`` gets the article files it read again (the stored model, ``BuildResult.reread``), or None."""
    result = Builder(Project.at(project, out), jobs=1, use_cache=cache, record_changes=False, once=True).rebuild()
    if reread is not None:
        reread.append(result.reread)
    return _tree(out)


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path.name, old)
    path.write_text(text.replace(old, new, 1))


def _set_updated(path: Path, when: str) -> None:
    lines = [line for line in path.read_text().split("\n") if not line.startswith("updated:")]
    lines.insert(lines.index("---", 1), f"updated: {when}")
    path.write_text("\n".join(lines))


EDITS = {
    "quote-speaker": lambda a: _replace(a / MINERALS, "  - speaker: trump\n", "  - speaker: kellogg\n"),
    "claim-status": lambda a: _replace(a / MINERALS, "    status: unverified\n", "    status: confirmed\n"),
    "claim-text": lambda a: _replace(
        a / MINERALS, "An agreement with Ukraine will be signed before long.", "A signature is weeks away."
    ),
    "people": lambda a: _replace(
        a / MINERALS, "people: [trump, kellogg, zelensky, biden,", "people: [trump, kellogg, biden, duda,"
    ),
    "figure-value": edit_first_figure,
    "correction": lambda a: _replace(
        a / MINERALS,
        "---\nThe White House",
        "corrections:\n  - date: 2025-03-02T09:00:00+02:00\n    text: An earlier version gave the wrong date.\n"
        "---\nThe White House",
    ),
    "updated-newest": lambda a: _set_updated(a / NATO, "2025-03-01T10:00:00+00:00"),
    "updated-oldest": lambda a: _set_updated(a / MINERALS, "2025-03-05T12:00:00+02:00"),
    "topics": lambda a: _replace(a / MINERALS, "topics: [minerals-deal]", "topics: [minerals-deal, nato-offer]"),
    "topics-moved": lambda a: _replace(a / MINERALS, "topics: [minerals-deal]", "topics: [nato-offer]"),
    "title": lambda a: _replace(a / MINERALS, "title: Trump says a minerals", "title: Trump calls a minerals"),
    "body-line": lambda a: (a / MINERALS).write_text(
        (a / MINERALS).read_text() + "\nCorrection 1: an earlier version of this article gave the wrong figure.\n"
    ),
}


@pytest.fixture
def paginated(tmp_path: Path) -> Path:
    project = copy_example(tmp_path / "project")
    config = project / "briefgen.yaml"
    config.write_text(config.read_text() + "\nsearch: false\nper_page: 2\n")
    return project


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_one_edit_equals_a_clean_build(paginated: Path, tmp_path: Path, edit: str):
    out = tmp_path / "site"
    before = _build(paginated, out)
    EDITS[edit](paginated / "content" / "articles")
    reread: list = []
    got = _build(paginated, out, reread=reread)
    want = _build(paginated, tmp_path / "clean", cache=False)
    (again,) = reread
    assert again is not None and len(again) == 1, "the stored model, with the edited file read again"
    assert sorted(got) == sorted(want)
    assert [rel for rel in want if got[rel] != want[rel]] == []
    assert got != before, "the edit shows somewhere"


def test_archive_pages_follow_the_topics_as_of_time(paginated: Path, tmp_path: Path):
    """Every page of a topic shows its "as of" time, the last change of any of its reports: an update to a
    report on page 1 changes page 2 too, though page 2 does not list that report. (The site's newest
    change is already that instant, so nothing site-wide changes with the edit.)"""
    out = tmp_path / "site"
    articles = paginated / "content" / "articles"
    _set_updated(articles / MINERALS, "2025-03-01T10:00:00+00:00")  # minerals-deal only: the site's newest
    _build(paginated, out)
    archive = "topics/nato-offer/page/2/index.html"
    old = (out / archive).read_bytes()
    assert b'datetime="2025-03-01T10:00:00+00:00"' not in old
    _set_updated(articles / NATO, "2025-03-01T10:00:00+00:00")  # on nato-offer's first page
    got = _build(paginated, out)
    assert b'datetime="2025-03-01T10:00:00+00:00"' in got[archive]
    want = _build(paginated, tmp_path / "clean", cache=False)
    assert [rel for rel in want if got[rel] != want[rel]] == []


def test_tampered_article_records_give_the_clean_bytes(paginated: Path, tmp_path: Path):
    """The stored records of parsed articles, truncated or planted with data of another shape, are ignored
    (with a note) or a miss: the edit's build still gives a clean build's bytes."""
    out = tmp_path / "site"
    _build(paginated, out)
    cache = paginated / ".briefgen-cache"
    shards = sorted(cache.glob("articles-*.json"))
    assert shards, "the build stores what each article parsed to"
    shards[0].write_bytes(shards[0].read_bytes()[:-40])  # truncated: its checksum no longer matches
    for shard in shards[1:]:  # a record replaced by one of another shape, behind a header that checks out
        raw = shard.read_bytes()
        magic, header, payload = raw.split(b"\n", 2)
        lines = payload.split(b"\n")
        key = lines[0].split(b" ", 1)[0]
        lines[0] = key + b' ["not", "a", "record"]'
        payload = b"\n".join(lines)
        meta = json.loads(header)
        meta["sha256"] = hashlib.sha256(payload).hexdigest()
        shard.write_bytes(magic + b"\n" + json.dumps(meta).encode() + b"\n" + payload)
    EDITS["quote-speaker"](paginated / "content" / "articles")
    got = _build(paginated, out)
    want = _build(paginated, tmp_path / "clean", cache=False)
    assert [rel for rel in want if got.get(rel) != want[rel]] == []


def test_a_topics_label_shows_on_every_page(paginated: Path, tmp_path: Path):
    """The topic strip on every page names each topic by its short label: a new label is on every page, not
    only on the pages of that topic's reports."""
    out = tmp_path / "site"
    _build(paginated, out)
    _replace(paginated / "content" / "topics" / "drone-strikes.yaml", "label: Record drone raid", "label: Raid record")
    got = _build(paginated, out)
    assert b"Raid record" in got["articles/2025-02-22-trump-says-minerals-deal-close/index.html"]
    want = _build(paginated, tmp_path / "clean", cache=False)
    assert [rel for rel in want if got[rel] != want[rel]] == []


def test_the_briefing_schema_follows_base_url(paginated: Path, tmp_path: Path):
    """The briefing schema is kept while the code and settings stay: a new ``base_url`` rewrites its ``$id``."""
    out = tmp_path / "site"
    schema = "schema/briefing.schema.json"
    assert b"https://example.org/" in _build(paginated, out)[schema]
    _replace(paginated / "briefgen.yaml", "base_url: https://example.org/", "base_url: https://desk.example.net/")
    got = _build(paginated, out)
    assert b"https://desk.example.net/" in got[schema] and b"https://example.org/" not in got[schema]
    want = _build(paginated, tmp_path / "clean", cache=False)
    assert [rel for rel in want if got[rel] != want[rel]] == []


def test_a_new_title_shows_wherever_the_report_is_listed_or_indexed(tmp_path: Path):
    """A report's title is on its page, its topic's page, the feeds, the claims ledger, its sources' and people's
    pages and in the search index: the
    edit's build changes every one of them as a clean build does (search on: Pagefind indexes the pages),
    and leaves the collector as it found it (``Rebuild._freeze_loaded``)."""
    project = copy_example(tmp_path / "project")
    out = tmp_path / "site"
    before = _build(project, out)
    old, new = b"Trump says a minerals agreement", b"Trump calls a minerals agreement"
    shown = [rel for rel, data in before.items() if old in data]
    assert {"topics/minerals-deal/index.html", "feed.xml", "claims/index.html"} <= set(shown)
    EDITS["title"](project / "content" / "articles")
    reread: list = []
    got = _build(project, out, reread=reread)
    assert reread == [["content/articles/" + MINERALS]], "the stored model, with the edited file read again"
    assert gc.get_freeze_count() == 0
    want = _build(project, tmp_path / "clean", cache=False)
    assert sorted(got) == sorted(want)
    assert [rel for rel in want if got[rel] != want[rel]] == []
    assert all(new in got[rel] and old not in got[rel] for rel in shown)
    index = [rel for rel in want if rel.startswith("pagefind/")]
    assert index and [rel for rel in index if got[rel] != before.get(rel)], "the search index changed"


# --- each article's part of the fingerprints, carried from the last build -----------------------------------

KELLOGG = "2025-02-21-kellogg-kyiv-talks.md"  # two other reports link to it
NO_CARDS = "2025-02-21-trump-ukraine-no-cards.md"  # one of them
DOWNED = "2025-02-23-russia-says-20-ukrainian-drones-downed.md"  # no report links to it


def _redraw_image(project: Path) -> None:
    from PIL import Image

    path = project / "content" / "articles" / "images" / "kryvyi-rih-locator.png"
    with Image.open(path) as image:  # narrower: the pages that show it say so (width and height)
        image = image.crop((0, 0, image.width - 40, image.height))
    image.save(path)


def _edit(rel: str, old: str, new: str):
    return lambda project: _replace(project / rel, old, new)


ARTICLES, NATO_OFFER = "content/articles/", "content/topics/nato-offer.yaml"
# (what changes, the change, whether the articles' carried elements still hold: else all are worked out again)
CARRIED = [
    ("a linked report's body", _edit(ARTICLES + KELLOGG, "\n---\n", "\n---\nNew.\n"), True),
    ("a linked report's title", _edit(ARTICLES + KELLOGG, "title: ", "title: Now "), True),
    ("a linked report's topics", _edit(ARTICLES + KELLOGG, ", nato-offer]", "]"), True),
    ("a linked report's slug", _edit(ARTICLES + KELLOGG, "title:", "slug: k\ntitle:"), False),
    ("a topic's summary", _edit(NATO_OFFER, "summary: ", "summary: Now "), False),
    ("a topic's title", _edit(NATO_OFFER, "title: ", "title: Now "), False),
    ("a report's image", _redraw_image, False),
    ("a template", _edit("templates/article.html", "{% block content %}", "{% block content %}."), False),
    ("a report deleted", lambda p: (p / ARTICLES / DOWNED).unlink(), False),
    ("a report's body, after all that", _edit(ARTICLES + NATO, "\n---\n", "\n---\nNew.\n"), True),
]


def test_carried_elements_give_the_clean_bytes(paginated: Path, tmp_path: Path, monkeypatch):
    """A one-article edit works out that article's part of the fingerprints (``Fingerprints._element``) and carries
    the others' over from the last build; a change to what the others pull in (a URL a body links to, a topic, an
    image) or to the site works them all out again. After each change, the command line's build equals a clean
    build: an element carried where it no longer held would keep a stale page (the report that links to one whose
    slug changed, the report whose image changed), and that fails the comparison."""
    import shutil

    from conftest import REPO

    from briefgen.engine.fingerprints import Fingerprints

    (paginated / "templates").mkdir(exist_ok=True)
    shutil.copy2(REPO / "templates" / "article.html", paginated / "templates" / "article.html")
    worked_out: list[str] = []
    element = Fingerprints._element

    def counting(self, path: str) -> bytes:
        if path in self.articles:
            worked_out.append(path)
        return element(self, path)

    monkeypatch.setattr(Fingerprints, "_element", counting)
    out = tmp_path / "site"
    _build(paginated, out)
    shown = len(set(worked_out))
    for what, change, held in CARRIED:
        change(paginated)
        before = (out / "articles" / NO_CARDS.removesuffix(".md") / "index.html").read_bytes()
        worked_out.clear()
        got = _build(paginated, out)
        counted = list(worked_out)
        want = _build(paginated, tmp_path / "clean", cache=False)
        assert sorted(got) == sorted(want), what
        assert [rel for rel in want if got[rel] != want[rel]] == [], what
        if what == "a linked report's slug":  # the report that links to it shows the new URL
            page = got["articles/" + NO_CARDS.removesuffix(".md") + "/index.html"]
            assert page != before and b'href="../k/"' in page
        assert len(counted) == (1 if held else shown - (what == "a report deleted")), what
        shown = len(set(counted)) if not held else shown


@pytest.mark.parametrize("damage", ["not hex", "not text"])
def test_a_planted_record_of_elements_carries_nothing(paginated: Path, tmp_path: Path, damage: str):
    """The state's carried elements, replaced behind a header that checks out (not hex where a digest goes, or not
    text at all), are not used: the edit's build works every element out and gives a clean build's bytes, with no
    traceback."""
    from briefgen.engine import state as states
    from briefgen.engine.inputs import DIGEST_CHARS

    out = tmp_path / "site"
    _build(paginated, out)
    project = Project.at(paginated, out)
    path = states.state_path(project)
    code = json.loads(path.read_bytes().split(b"\n", 2)[1])["env"]
    state = states.load_state(project, code)
    assert state is not None and set(state.elements) == {"world", "items"}
    items = state.elements["items"]
    state.elements["items"] = (
        items[:DIGEST_CHARS] + "zz" + items[DIGEST_CHARS + 2 :] if damage == "not hex" else ["zz"] * len(items)
    )
    states.save_state(project, state)
    assert states.load_state(project, code).elements == state.elements  # the planted record is read back
    EDITS["quote-speaker"](paginated / "content" / "articles")
    got = _build(paginated, out)
    want = _build(paginated, tmp_path / "clean", cache=False)
    assert [rel for rel in want if got.get(rel) != want[rel]] == []
