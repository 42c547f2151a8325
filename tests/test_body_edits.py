"""An edit of a report's text re-renders the pages that show its body, and only those.

The pages of ``FRONT_MATTER_KINDS`` (topic pages, the indexes, a person's page) show of a report only what
its front matter says, so ``engine.fingerprints`` counts a report there by the hash of its front matter, not
of its file. These tests hold that to the bytes: every body of the example and of a generated corpus is
rewritten (headings, paragraphs, emphasis, a list) and both are built clean before and after: no page of
those kinds may change, and every report's own page must. Then the command line's rebuild after a body edit
renders the report's page and its topics' packs and nothing else, and still equals a clean build; and a
project whose own template shows bodies on a topic page gets that page rendered again.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import REPO, copy_example

from briefgen.engine.build import Builder
from briefgen.pages.page import FRONT_MATTER_KINDS
from briefgen.project import Project

sys.path.insert(0, str(REPO / "bench"))

from make_corpus import make_corpus  # noqa: E402

HISTORY = "changes/history.json"  # a record of earlier builds, not a function of the input
NEW_TEXT = (
    "\n\n## A new section\n\nThe desk rewrote this paragraph with *emphasis* and **strong** words.\n\n"
    "- one more point\n- and another\n\n### Further down\n\nA last line.\n"
)


def _build(project: Path, out: Path, *, cache: bool):
    """One build as ``briefgen build`` runs it (a new Builder; the state in ``.briefgen-cache/`` with ``cache``)."""
    return Builder(Project.at(project, out), jobs=1, use_cache=cache, record_changes=False, once=True).rebuild()


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _rewrite_bodies(project: Path) -> int:
    """Append ``NEW_TEXT`` to every article's body and drop its last paragraph; how many were changed."""
    files = sorted((project / "content" / "articles").glob("*.md"))
    for path in files:
        head, sep, body = path.read_text().partition("\n---\n")
        paragraphs = body.rstrip("\n").split("\n\n")
        kept = "\n\n".join(paragraphs[:-1]) if len(paragraphs) > 1 else "Only a new line."
        path.write_text(head + sep + kept + NEW_TEXT)
    return len(files)


def _corpus(tmp_path: Path) -> Path:
    project = make_corpus(80, tmp_path / "corpus", seed=7)
    config = project / "briefgen.yaml"
    config.write_text(config.read_text() + "\nper_page: 5\n")
    return project


@pytest.fixture(params=["example", "corpus"])
def project(request, tmp_path: Path) -> Path:
    if request.param == "corpus":
        return _corpus(tmp_path)
    project = copy_example(tmp_path / "project")
    config = project / "briefgen.yaml"
    config.write_text(config.read_text() + "\nsearch: false\nper_page: 2\n")  # topics with archive pages
    return project


def test_no_page_of_the_front_matter_kinds_shows_a_body(project: Path, tmp_path: Path):
    """Clean builds before and after every body is rewritten: the pages that count reports by their front matter
    are the same bytes; each report's own page is not (the edit reached the output)."""
    before = _build(project, tmp_path / "before", cache=False)
    assert _rewrite_bodies(project) > 0
    after = _build(project, tmp_path / "after", cache=False)
    old, new = _tree(tmp_path / "before"), _tree(tmp_path / "after")
    kinds = {page.output: page.kind for page in before.pages}
    assert kinds == {page.output: page.kind for page in after.pages}
    fixed = [rel for rel, kind in kinds.items() if kind in FRONT_MATTER_KINDS]
    assert {kinds[rel] for rel in fixed} >= {"home", "topic", "party", "claims", "search", "people"}
    assert [rel for rel in fixed if old[rel] != new[rel]] == []
    shown = [rel for rel, kind in kinds.items() if kind == "article"]
    assert shown and [rel for rel in shown if old[rel] == new[rel]] == []


def _clean_tree(root: Path) -> dict[str, bytes]:
    files = _tree(root)
    files.pop(HISTORY, None)
    files.pop(".briefgen-manifest.json", None)  # lists the history's hash; every other file is compared
    return files


def test_a_body_edit_renders_the_report_and_its_packs_only(project: Path, tmp_path: Path):
    """The command line's rebuild after one body edit renders that report's page and the pack of each of its
    topics (they show its text), nothing else, and gives a clean build's bytes."""
    out = tmp_path / "site"
    first = _build(project, out, cache=True)
    path = sorted((project / "content" / "articles").glob("*.md"))[len(first.site.articles) // 2]
    article = next(a for a in first.site.articles if a.path.endswith(path.name))
    page, topics = f"{article.url_path}index.html", len(article.topics)  # (an assertion shows no model object)
    path.write_text(path.read_text() + NEW_TEXT)
    edited = _build(project, out, cache=True)
    rendered, written = edited.rendered, edited.stats.changed_paths  # (not the result: its repr is the site)
    assert rendered == 1 + topics
    assert page in written
    _build(project, tmp_path / "clean", cache=False)
    got, want = _clean_tree(out), _clean_tree(tmp_path / "clean")
    assert sorted(got) == sorted(want)
    assert [rel for rel in want if got[rel] != want[rel]] == []


BODIES = '{% for a in articles %}<div class="shown">{{ a.body_html|striptags }}</div>{% endfor %}'


@pytest.mark.parametrize("template", ["topic.html", "base.html"])
def test_a_projects_own_template_that_shows_bodies_is_rendered_again(tmp_path: Path, template: str):
    """A project's own template (the page's, or one it extends) may show a body on a topic page: then the topic
    page counts each report by its whole file, and an edit of a body renders it again, as a clean build has it."""
    project = copy_example(tmp_path / "project")
    (project / "templates").mkdir(exist_ok=True)
    source = (REPO / "templates" / template).read_text()
    marker = "{% block content %}" if template == "topic.html" else "</main>"
    assert marker in source
    shown = (
        marker + BODIES
        if template == "topic.html"
        else "{% if articles is defined %}" + BODIES + "{% endif %}" + marker
    )
    (project / "templates" / template).write_text(source.replace(marker, shown, 1))
    out = tmp_path / "site"
    _build(project, out, cache=True)
    path = project / "content" / "articles" / "2025-02-22-trump-says-minerals-deal-close.md"
    path.write_text(path.read_text() + "\nA sentence only the body has.\n")
    rendered = _build(project, out, cache=True).rendered
    assert rendered > 2
    topic = (out / "topics" / "minerals-deal" / "index.html").read_bytes()
    assert b"A sentence only the body has." in topic
    _build(project, tmp_path / "clean", cache=False)
    got, want = _clean_tree(out), _clean_tree(tmp_path / "clean")
    assert [rel for rel in want if got.get(rel) != want[rel]] == []


def test_a_state_that_carries_elements_without_cards_carries_nothing(tmp_path: Path):
    """A build state written before cards (two hashes an article, not three) is not half read: every element and
    card is worked out again, and the edit's build equals a clean one."""
    import json

    from briefgen.engine import state as states
    from briefgen.engine.inputs import DIGEST_CHARS

    project = copy_example(tmp_path / "project")
    out = tmp_path / "site"
    _build(project, out, cache=True)
    where = Project.at(project, out)
    code = json.loads(states.state_path(where).read_bytes().split(b"\n", 2)[1])["env"]
    state = states.load_state(where, code)
    items = state.elements["items"]
    row = 3 * DIGEST_CHARS
    state.elements["items"] = "".join(items[i : i + 2 * DIGEST_CHARS] for i in range(0, len(items), row))
    states.save_state(where, state)
    path = project / "content" / "articles" / "2025-02-22-trump-says-minerals-deal-close.md"
    path.write_text(path.read_text() + NEW_TEXT)
    rendered = _build(project, out, cache=True).rendered
    assert rendered == 2  # the report and its one topic's pack: the cards were worked out again
    _build(project, tmp_path / "clean", cache=False)
    got, want = _clean_tree(out), _clean_tree(tmp_path / "clean")
    assert [rel for rel in want if got.get(rel) != want[rel]] == []


def test_an_edit_works_out_the_fingerprint_of_one_report_page(tmp_path: Path, monkeypatch):
    """The report pages whose element was carried keep the fingerprint the last build recorded (``last_of``): an
    edit works out one report page's, not every report's; and the site is a clean build's."""
    from briefgen.engine.fingerprints import Fingerprints

    project = copy_example(tmp_path / "project")
    out = tmp_path / "site"
    _build(project, out, cache=True)
    worked_out: list[str] = []
    of = Fingerprints.of

    def counting(self, page):
        if page.kind == "article":
            worked_out.append(page.output)
        return of(self, page)

    monkeypatch.setattr(Fingerprints, "of", counting)
    path = project / "content" / "articles" / "2025-02-22-trump-says-minerals-deal-close.md"
    path.write_text(path.read_text() + NEW_TEXT)
    _build(project, out, cache=True)
    assert worked_out == ["articles/2025-02-22-trump-says-minerals-deal-close/index.html"]
    monkeypatch.setattr(Fingerprints, "of", of)
    _build(project, tmp_path / "clean", cache=False)
    got, want = _clean_tree(out), _clean_tree(tmp_path / "clean")
    assert [rel for rel in want if got.get(rel) != want[rel]] == []


def test_a_report_written_as_markdown_counts_by_its_front_matter_too(tmp_path: Path):
    """A report file may end in ``.markdown``: its front matter is hashed as an ``.md`` file's is, so an edit of its
    text renders its page and its topic's pack only."""
    project = copy_example(tmp_path / "project")
    old = project / "content" / "articles" / "2025-02-23-russia-says-20-ukrainian-drones-downed.md"  # linked by none
    path = old.rename(old.with_suffix(".markdown"))
    out = tmp_path / "site"
    first = _build(project, out, cache=True)
    topics = len(next(a for a in first.site.articles if a.path.endswith(path.name)).topics)
    path.write_text(path.read_text() + NEW_TEXT)
    rendered = _build(project, out, cache=True).rendered
    assert rendered == 1 + topics
    _build(project, tmp_path / "clean", cache=False)
    got, want = _clean_tree(out), _clean_tree(tmp_path / "clean")
    assert [rel for rel in want if got.get(rel) != want[rel]] == []
