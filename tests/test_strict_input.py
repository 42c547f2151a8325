"""Strict input: every mistake caught, located and explained, and `briefgen check`.

The broken-input corpus lives in tests/broken/: ``_base/`` is a small valid
project, and each other folder is one mistake: files laid over the base, plus
``case.yaml`` saying why it is wrong and the exact lines the build must print.
Each case is built with the real command line over a previously built site,
and must exit 1 with no traceback, print every expected ``path:line: message
(hint)`` line, leave the previous site byte-for-byte and mtime-for-mtime as it
was, and ``briefgen check`` must report the same problems.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.server
import json
import os
import shutil
import threading
import time
import unicodedata
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import REPO, run_cli

from briefgen.commands.check import run_check
from briefgen.project import Project

CORPUS = Path(__file__).resolve().parent / "broken"
CASES = sorted(d.name for d in CORPUS.iterdir() if d.is_dir() and not d.name.startswith("_"))


def snapshot(site: Path) -> dict[str, tuple[str, int]]:
    return {
        p.relative_to(site).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(site.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session")
def built_base(tmp_path_factory) -> Path:
    """The corpus's valid base project, built once."""
    base = tmp_path_factory.mktemp("broken-base") / "project"
    shutil.copytree(CORPUS / "_base", base)
    run_cli("build", "--source", str(base), check=True)
    return base


def _encode(path: Path, steps: list[str]) -> None:
    text = path.read_text(encoding="utf-8")
    data = text.encode("latin-1") if "latin1" in steps else text.encode("utf-8")
    if "crlf" in steps:
        data = data.replace(b"\n", b"\r\n")
    if "bom" in steps:
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)


def prepare(name: str, base: Path, dest: Path) -> tuple[Path, dict]:
    """A copy of the built base project with case ``name`` laid over it."""
    case = CORPUS / name
    spec = yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))
    project = dest / "project"
    shutil.copytree(base, project, symlinks=True)
    for src in sorted(case.rglob("*")):
        rel = src.relative_to(case)
        if src.is_file() and rel.as_posix() != "case.yaml":
            target = project / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
    for new, existing in (spec.get("copy") or {}).items():
        # names that must not be stored in git as-is (case-only twins, NFD spellings)
        shutil.copyfile(project / unicodedata.normalize("NFC", existing), project / new)
    for link, target in (spec.get("symlink") or {}).items():
        os.symlink(target, project / link)
    for rel, steps in (spec.get("encode") or {}).items():
        _encode(project / rel, steps)
    return project, spec


def test_the_corpus_is_big_enough_and_every_case_says_why():
    assert len(CASES) >= 40
    for name in CASES:
        spec = yaml.safe_load((CORPUS / name / "case.yaml").read_text(encoding="utf-8"))
        assert spec["why"] and spec["expect"] and "?" not in spec["expect"], name


def test_the_base_project_is_valid(built_base: Path):
    errors = [p for p in run_check(Project.at(built_base)) if p.severity == "error"]
    assert errors == []
    assert (built_base / "site/articles/base/index.html").is_file()


@pytest.mark.parametrize("name", CASES)
def test_broken_input(name: str, built_base: Path, tmp_path: Path):
    project, spec = prepare(name, built_base, tmp_path)
    before = snapshot(project / "site")
    assert before, "the previous site is there to be protected"
    proc = run_cli("build", "--source", str(project), *spec.get("args", []))
    printed = proc.stderr.splitlines()
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    for line in spec["expect"]:
        assert line in printed, f"{name}: expected exactly\n  {line}\nin:\n{proc.stderr}"
    assert snapshot(project / "site") == before, "a failed build must not touch the previous site"
    found = [str(p) for p in run_check(Project.at(project))]
    for line in spec["expect"]:
        assert line in found, f"{name}: briefgen check disagrees with build:\n{found}"


# --- briefgen check ------------------------------------------------------------


def test_check_writes_nothing_and_lists_every_problem_as_json(built_base: Path, tmp_path: Path):
    project = tmp_path / "project"
    shutil.copytree(CORPUS / "_base", project)
    article = project / "content/articles/base.md"
    text = article.read_text(encoding="utf-8")
    article.write_text(
        text.replace("topics: [strikes]", "topics: [strike]").replace("people: [ignat]", "people: [nobody]")
    )
    (project / "content/topics/talks.yaml").write_text("title: T\nsummary: S\nstatus: ongoing\n")
    proc = run_cli("check", "--source", str(project), "--format", "json")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["ok"] is False and report["errors"] == 4
    where = {(p["path"], p["line"]) for p in report["problems"]}
    assert where == {
        ("content/articles/base.md", 4),  # unknown topic
        ("content/articles/base.md", 9),  # unknown person
        ("content/topics/talks.yaml", 3),  # status not in the vocabulary
        ("content/topics/strikes.yaml", 4),  # so 'related: [talks]' no longer resolves
    }
    assert {p["severity"] for p in report["problems"]} == {"error"}
    assert all(p["hint"] for p in report["problems"])
    assert not (project / "site").exists(), "check writes no site"


def test_check_passes_the_example_and_strict_turns_warnings_into_errors(tmp_path: Path):
    project = tmp_path / "project"
    shutil.copytree(CORPUS / "_base", project)
    ok = run_cli("check", "--source", str(project))
    assert ok.returncode == 0, ok.stderr
    assert "Check passed: 0 error(s)" in ok.stderr
    article = project / "content/articles/base.md"
    article.write_text(article.read_text().replace("sources:\n  - source: afp\n  - source: kyiv-independent\n", ""))
    warned = run_cli("check", "--source", str(project))
    assert warned.returncode == 0
    assert "warning: content/articles/base.md:2: article cites no sources (add 'sources:' with who reported it)" in (
        warned.stderr.splitlines()
    )
    strict = run_cli("check", "--source", str(project), "--strict", "--format", "json")
    assert strict.returncode == 1
    assert json.loads(strict.stdout)["warnings"] >= 1 and json.loads(strict.stdout)["errors"] == 0
    assert run_cli("build", "--source", str(project), "--strict").returncode == 1
    assert run_cli("build", "--source", str(project)).returncode == 0


def test_check_on_the_shipped_example_is_clean():
    proc = run_cli("check", "--source", str(REPO), "--format", "json")
    assert proc.returncode == 0, proc.stdout
    assert json.loads(proc.stdout)["errors"] == 0


# --- dates ---------------------------------------------------------------------


def test_dates_and_datetimes_mix_and_a_bare_date_takes_the_site_zone(tmp_path: Path):
    """Events with a day only and events with a time sort together; naive times take the site's zone."""
    project = tmp_path / "project"
    shutil.copytree(CORPUS / "_base", project)
    (project / "content/articles/mixed.md").write_text(
        "---\ntitle: Mixed\ndate: 2025-02-24 09:00:00\ntopics: [strikes]\nsummary: S\n"
        "sources:\n  - source: afp\n"
        "events:\n  - date: 2025-02-24T06:00:00+00:00\n    text: Late.\n"
        "  - date: 2025-02-24\n    text: Day.\n"
        "  - date: 2025-02-23T23:00:00\n    text: Night before.\n"
        "figures:\n  - id: a-day\n    label: A\n    value: 1\n    as_of: 2025-02-24\n    by: air-force\n"
        "  - id: a-time\n    label: B\n    value: 2\n    as_of: 2025-02-24T08:00:00+02:00\n    by: air-force\n"
        "    measure: a-day\n"
        "---\nBody.\n",
        encoding="utf-8",
    )
    run_cli("build", "--source", str(project), check=True)
    from bs4 import BeautifulSoup

    page = BeautifulSoup((project / "site/articles/mixed/index.html").read_text(), "html.parser")
    stamps = [t["datetime"] for t in page.find_all("time", datetime=True)]
    assert "2025-02-24T09:00:00+02:00" in stamps, "a naive date and time takes the site's zone (Europe/Kyiv)"
    topic = BeautifulSoup((project / "site/topics/strikes/index.html").read_text(), "html.parser")
    text = topic.get_text(" ", strip=True)
    assert text.index("Night before.") < text.index("Late.")


# --- JSON Schema export ----------------------------------------------------------


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---\n", 2)[1])


def test_schema_export_is_json_schema_and_accepts_the_example():
    proc = run_cli("schema", check=True)
    schemas = json.loads(proc.stdout)
    for schema in schemas.values():
        jsonschema.Draft202012Validator.check_schema(schema)
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER

    def valid(kind: str, data) -> None:
        jsonschema.validate(_jsonable(data), schemas[kind], format_checker=checker)

    valid("briefgen.yaml", yaml.safe_load((REPO / "briefgen.yaml").read_text()))
    for topic in (REPO / "content/topics").glob("*.yaml"):
        valid("content/topics/*.yaml", yaml.safe_load(topic.read_text()))
    for article in (REPO / "content/articles").glob("*.md"):
        valid("content/articles/*.md (front matter)", _front_matter(article))
    valid("content/people.yaml", yaml.safe_load((REPO / "content/people.yaml").read_text()))
    valid("content/sources.yaml", yaml.safe_load((REPO / "content/sources.yaml").read_text()))


def test_schema_export_rejects_what_the_loader_rejects():
    schemas = json.loads(run_cli("schema", check=True).stdout)
    article = schemas["content/articles/*.md (front matter)"]
    base = {"title": "T", "date": "2025-02-23", "topics": ["t"], "summary": "S"}
    jsonschema.validate(base, article)
    for bad in (
        {**base, "summry": "typo"},
        {**base, "topics": []},
        {**base, "slug": "../etc"},
        {**base, "claims": [{"question": "Q", "by": "x", "text": "T", "status": "maybe"}]},
        {**base, "sources": [{"source": "afp", "url": "javascript:alert(1)"}]},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, article)
    people = schemas["content/people.yaml"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"Not An Id": {"name": "x"}}, people)


# --- the content reference ---------------------------------------------------------


def test_content_reference_documents_exactly_the_schema():
    """docs/content.md carries the generated field tables; regenerate with `python -m briefgen.content.reference`."""
    from briefgen.content.reference import reference_tables

    doc = (REPO / "docs/content.md").read_text(encoding="utf-8")
    for kind, table in reference_tables().items():
        assert table in doc, (
            f"docs/content.md is out of date for {kind}: run python -m briefgen.content.reference docs/content.md"
        )
    assert "time zone" in doc and "timezone:" in doc, "the docs say which zone a date without one takes"


# --- external links ------------------------------------------------------------------


class _LinkServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _LinkHandler)
        self.hits: dict[str, int] = {}
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Lock()
        self.release = threading.Event()


class _LinkHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def _answer(self, body: bool) -> None:
        server: _LinkServer = self.server  # type: ignore[assignment]
        with server.lock:
            server.hits[self.path] = server.hits.get(self.path, 0) + 1
            server.in_flight += 1
            server.most_in_flight = max(server.most_in_flight, server.in_flight)
        try:
            if self.path.startswith("/slow"):
                server.release.wait(5)  # longer than the client's timeout; released at teardown
                status = 200
            elif self.path.startswith("/busy"):
                time.sleep(0.05)  # long enough for requests to overlap if the client allowed it
                status = 200
            elif self.path == "/no-head" and self.command == "HEAD":
                status = 405
            elif self.path == "/moved":
                status = 301
            else:
                status = {"/ok": 200, "/no-head": 200, "/gone": 404, "/broken": 500}.get(self.path, 404)
        finally:
            # no longer in flight once the answer starts: the client may send its next request as soon as it
            # has read this one, before this thread would get back here (counted after the write, a loaded
            # machine showed one request more in flight than the client ever had open)
            with server.lock:
                server.in_flight -= 1
        self.send_response(status)
        if status == 301:
            self.send_header("Location", "/ok")
            self.end_headers()
            return
        self.send_header("Content-Length", "2")
        self.end_headers()
        if body:
            self.wfile.write(b"ok")

    def do_HEAD(self) -> None:
        self._answer(False)

    def do_GET(self) -> None:
        self._answer(True)


@pytest.fixture
def link_server():
    server = _LinkServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}"
    server.release.set()
    server.shutdown()
    server.server_close()


def test_check_external_reports_broken_links_where_they_are_written(link_server, tmp_path: Path):
    server, url = link_server
    project = tmp_path / "project"
    shutil.copytree(CORPUS / "_base", project)
    (project / "content/sources.yaml").write_text(
        f"afp:\n  name: Agence France-Presse\n  url: {url}/ok\nwire:\n  name: Wire\n  url: {url}/gone\n"
        "kyiv-independent:\n  name: The Kyiv Independent\n"
    )
    article = project / "content/articles/base.md"
    article.write_text(
        article.read_text()
        + f"\nSee [moved]({url}/moved), [no HEAD]({url}/no-head), [down]({url}/broken) and [slow]({url}/slow).\n"
    )
    line = len(article.read_text().splitlines())
    proc = run_cli(
        "check", "--source", str(project), "--external", "--external-private", "--timeout", "0.5", "--format", "json"
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    problems = {
        (p["path"], p["line"], p["severity"], p["message"])
        for p in json.loads(proc.stdout)["problems"]
        if p["message"].startswith("external link")
    }
    assert problems == {
        ("content/sources.yaml", 6, "error", f"external link '{url}/gone' is broken: HTTP 404 Not Found"),
        (
            "content/articles/base.md",
            line,
            "error",
            f"external link '{url}/broken' is broken: HTTP 500 Internal Server Error",
        ),
        (
            "content/articles/base.md",
            line,
            "warning",
            f"external link '{url}/slow' could not be checked: no answer within 0.5 s",
        ),
    }
    assert server.hits["/no-head"] == 2, "a server refusing HEAD is asked with GET"
    assert server.hits["/ok"] >= 2, "the redirect was followed"
    assert not (project / "site").exists()

    # A second run asks again only about what was not good: good answers are cached.
    hits = dict(server.hits)
    run_cli("check", "--source", str(project), "--external", "--external-private", "--timeout", "0.5")
    assert server.hits["/ok"] == hits["/ok"] and server.hits["/no-head"] == hits["/no-head"]
    assert server.hits["/gone"] == hits["/gone"] + 1
    assert (project / ".briefgen-cache/external-links.json").is_file()
    run_cli("check", "--source", str(project), "--external", "--external-private", "--timeout", "0.5", "--no-cache")
    assert server.hits["/ok"] > hits["/ok"], "--no-cache asks again"


def test_check_external_keeps_to_the_concurrency_bound(link_server, tmp_path: Path):
    from briefgen.checks.external_links import check_urls

    server, url = link_server
    urls = [f"{url}/busy/{i}" for i in range(12)]
    results = check_urls(urls, jobs=3, timeout=5, private=True)  # the test server is on 127.0.0.1
    assert all(r.ok for r in results.values()) and len(results) == 12
    assert 1 <= server.most_in_flight <= 3


# --- links between content files -----------------------------------------------------


def test_markdown_links_between_content_files_become_page_urls(tmp_path: Path):
    project = tmp_path / "project"
    CORPUS_BASE = CORPUS / "_base"
    shutil.copytree(CORPUS_BASE, project)
    folder = project / "content/articles/2025"
    folder.mkdir()
    (folder / "caf\u00e9 talks.md").write_text(
        (CORPUS_BASE / "content/articles/base.md")
        .read_text(encoding="utf-8")
        .replace("drones-base", "drones-cafe")
        .split("---\n## The count")[0]
        + "---\n## Next steps\n\n"
        "See [the count](../base.md#the-count), [the same](../base.md#sec-the-count), "
        "[the topic](../../topics/strikes.yaml) and [below](#next-steps).\n",
        encoding="utf-8",
    )
    (project / "content/articles/base.md").write_text(
        (CORPUS_BASE / "content/articles/base.md").read_text(encoding="utf-8")
        + "\nAnd [the caf\u00e9 piece](2025/cafe\u0301%20talks.md#next-steps).\n",  # NFD, percent-encoded
        encoding="utf-8",
    )
    run_cli("build", "--source", str(project), check=True)
    from bs4 import BeautifulSoup

    cafe = BeautifulSoup((project / "site/articles/cafe-talks/index.html").read_text(), "html.parser")
    hrefs = {
        a.get_text(): a["href"]
        for a in cafe.find_all("a")
        if a.get_text() in ("the count", "the same", "the topic", "below")
    }
    assert hrefs == {
        "the count": "../base/#sec-the-count",
        "the same": "../base/#sec-the-count",
        "the topic": "../../topics/strikes/",
        "below": "#sec-next-steps",
    }
    assert cafe.find(id="sec-next-steps") is not None
    base = BeautifulSoup((project / "site/articles/base/index.html").read_text(), "html.parser")
    assert base.find("a", string="the caf\u00e9 piece")["href"] == "../cafe-talks/#sec-next-steps"


# --- slugs and output paths --------------------------------------------------------------


@pytest.mark.parametrize(
    "stem, slug",
    [
        ("Caf\u00e9 Talks", "cafe-talks"),
        ("cafe\u0301 talks", "cafe-talks"),  # NFD spelling, same slug
        ("..\\..\\etc", "etc"),
        ("a/../b", "a-b"),
        ("Київ: переговори", "kiiv-peregovori"),  # transliterated by text-unidecode
        ("...", "article"),
    ],
)
def test_slugs_from_file_names_are_folded_and_never_climb(stem: str, slug: str):
    from briefgen.content.load import _slug_from_filename

    made = _slug_from_filename(stem)
    assert made == slug
    assert "/" not in made and "\\" not in made and ".." not in made


def test_two_pages_writing_one_path_even_differing_in_case_are_named():
    from briefgen.checks.linkcheck import check_outputs
    from briefgen.pages.assemble import Page
    from briefgen.problems import Problems

    problems = Problems()
    pages = [
        Page("article", "articles/kyiv/", "article.html", "A", source="content/articles/kyiv.md"),
        Page("article", "articles/Kyiv/", "article.html", "B", source="content/articles/Kyiv.md"),
        Page("topic", "topics/kyiv/", "topic.html", "C", source="content/topics/kyiv.yaml"),
    ]
    check_outputs(pages, problems, {"static/style.css"})
    assert [str(p) for p in problems.items] == [
        "content/articles/Kyiv.md: writes articles/Kyiv/index.html, which differs only in case from "
        "articles/kyiv/index.html, written by content/articles/kyiv.md (rename one of them)"
    ]
