"""`briefgen build` on the example: the pages a reader gets, checked with a real HTML parser."""

from __future__ import annotations

import posixpath
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup
from conftest import REPO, copy_example, run_cli


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def block(page: BeautifulSoup, anchor: str):
    found = page.find(id=anchor)
    assert found is not None, f"block #{anchor} missing"
    return found if found.name == "section" else (found.find_parent("section") or found)


def test_pretty_urls_for_every_kind_of_page(built_example: Path):
    for rel in [
        "index.html",
        "404.html",
        "topics/index.html",
        "people/index.html",
        "claims/index.html",
        "topics/drone-strikes/index.html",
        "topics/nato-offer/index.html",
        "topics/minerals-deal/index.html",
        "people/zelensky/index.html",
        "sources/afp/index.html",
        "articles/2025-02-23-record-russian-drone-attack/index.html",
    ]:
        assert (built_example / rel).is_file(), rel
    articles = list((built_example / "articles").iterdir())
    assert len(articles) == len(list((REPO / "content" / "articles").glob("*.md")))


def test_drone_strikes_key_figures_carry_their_reporter(built_example: Path):
    page = soup(built_example / "topics/drone-strikes/index.html")
    figures = block(page, "key-figures")
    text = figures.get_text(" ", strip=True)
    assert "267" in text
    assert "Ukrainian Air Force" in text
    card = next(
        c for c in figures.find_all(["article", "li", "div"]) if "267" in c.get_text() and "Air Force" in c.get_text()
    )
    links = [a["href"] for a in card.find_all("a", href=True)]
    assert any("articles/" in href for href in links), "a figure links to the article it came from"
    for number in ("138", "119", "10"):
        assert re.search(rf"\b{number}\b", text), number


def test_kryvyi_rih_strike_and_russian_claim(built_example: Path):
    page = soup(built_example / "topics/drone-strikes/index.html")
    text = page.get_text(" ", strip=True)
    assert "Kryvyi Rih" in text
    claims = block(page, "claims").get_text(" ", strip=True)
    assert re.search(r"\b20\b", claims) and "Ministry of Defence" in claims, "the claim's own number, not 2025"
    assert re.search(r"unverified", claims, re.I), "a claim carries its status as text"


def test_timeline_is_in_date_order(built_example: Path):
    for slug in ("drone-strikes", "nato-offer", "minerals-deal"):
        page = soup(built_example / f"topics/{slug}/index.html")
        times = [t["datetime"] for t in block(page, "timeline").find_all("time", datetime=True)]
        assert len(times) >= 2, slug
        days = [t[:10] for t in times]
        assert days == sorted(days), f"{slug}: {days}"
        for item in block(page, "timeline").find_all("li"):
            assert item.find("a", href=re.compile(r"articles/")), "each event links to its article"


def test_topic_blocks_in_briefing_order(built_example: Path):
    page = soup(built_example / "topics/drone-strikes/index.html")
    # the core (what comes next before the latest reports), then Go deeper
    order = ["why-it-matters", "key-figures", "watch", "key-quotes", "latest", "go-deeper", "timeline", "claims"]
    order += ["whos-who", "sources"]
    html = str(page)
    positions = [html.find(f'id="{anchor}"') for anchor in order]
    assert all(p > 0 for p in positions), dict(zip(order, positions, strict=True))
    assert positions == sorted(positions)
    summary_pos = html.find('id="bottom-line"')
    assert 0 < summary_pos < positions[0], "the bottom line comes first"


def test_sources_are_deduplicated(built_example: Path):
    page = soup(built_example / "topics/minerals-deal/index.html")
    names = [li.get_text(" ", strip=True).split("—")[0] for li in block(page, "sources").find_all("li")]
    links = [a["href"] for a in block(page, "sources").find_all("a", href=re.compile(r"sources/[^/]+/$"))]
    assert len(links) == len(set(links)), links
    assert names


def test_every_internal_link_resolves(built_example: Path):
    checked = 0
    for html_file in built_example.rglob("*.html"):
        if html_file.name == "404.html":
            continue
        rel_dir = html_file.parent.relative_to(built_example).as_posix()
        page = soup(html_file)
        ids = {el["id"] for el in page.find_all(id=True)}
        for el in page.find_all(["a", "link", "script", "img"]):
            url = el.get("href") or el.get("src")
            if not url:
                continue
            parts = urlsplit(url)
            if parts.scheme or parts.netloc:
                continue
            if not parts.path:
                assert not parts.fragment or parts.fragment in ids, f"{html_file}: #{parts.fragment}"
                continue
            target = posixpath.normpath(posixpath.join(rel_dir, unquote(parts.path)))
            if url.split("#")[0].endswith("/"):
                target = posixpath.join(target, "index.html")
            if target.startswith("pagefind/"):
                continue
            assert (built_example / target).is_file(), f"{html_file.relative_to(built_example)} -> {url}"
            checked += 1
    assert checked > 200


def test_article_page_shows_provenance(built_example: Path):
    page = soup(built_example / "articles/2025-02-23-record-russian-drone-attack/index.html")
    text = page.get_text(" ", strip=True)
    assert "267" in text
    assert page.find("time", datetime=re.compile(r"2025-02-23T\d\d:\d\d:00\+02:00"))
    assert "Kyiv time" in text and "UTC+02:00" not in text, "the date shows its time zone, by the desk's name for it"
    assert page.find("a", href=re.compile(r"topics/drone-strikes/$"))


def test_person_page_lists_quotes_across_topics(built_example: Path):
    page = soup(built_example / "people/zelensky/index.html")
    text = page.get_text(" ", strip=True)
    assert "President of Ukraine" in text
    assert "NATO" in text
    hrefs = {a["href"] for a in page.find_all("a", href=True)}
    assert any("topics/nato-offer/" in h for h in hrefs) and any("topics/minerals-deal/" in h for h in hrefs)


def test_home_lists_every_topic_with_bottom_line(built_example: Path):
    page = soup(built_example / "index.html")
    for slug in ("nato-offer", "drone-strikes", "minerals-deal"):
        assert page.find("a", href=f"topics/{slug}/"), slug
    text = page.get_text(" ", strip=True)
    assert re.search(r"[Uu]pdated", text)


def test_no_third_party_resources(built_example: Path):
    for html_file in built_example.rglob("*.html"):
        page = soup(html_file)
        for el in page.find_all(["link", "script", "img", "iframe"]):
            url = el.get("src") or (
                el.get("href") if el.name == "link" and "stylesheet" in (el.get("rel") or []) else None
            )
            if url:
                assert not urlsplit(url).netloc, f"{html_file}: {url}"


def test_subpath_base_url(tmp_path: Path):
    project = copy_example(tmp_path / "p")
    cfg = project / "briefgen.yaml"
    cfg.write_text(re.sub(r"base_url:.*", "base_url: https://example.org/briefs/", cfg.read_text()))
    run_cli("build", "--source", str(project), check=True)
    not_found = soup(project / "site/404.html")
    hrefs = [a["href"] for a in not_found.find_all("a", href=True)]
    assert hrefs and all(h.startswith(("/briefs/", "#")) or urlsplit(h).scheme for h in hrefs), hrefs
    css = [link["href"] for link in not_found.find_all("link", rel="stylesheet")]
    assert css and all(h.startswith("/briefs/static/") for h in css)
    topic = soup(project / "site/topics/nato-offer/index.html")
    assert all(not a["href"].startswith("/") for a in topic.find_all("a", href=True))


def test_cli_summary_line_and_where_the_site_is(example: Path):
    proc = run_cli("build", cwd=example, check=True)
    assert re.search(r"Built \d+ pages \(.*\d+ topic.*\) .* in \d+\.\d\d s", proc.stdout)
    assert "site/" in proc.stdout and "briefgen serve" in proc.stdout


def test_cli_version_help_and_usage_error(example: Path):
    assert run_cli("--version").stdout.startswith("briefgen, version")
    assert "build" in run_cli("--help").stdout
    bad = run_cli("build", "--no-such-option", cwd=example)
    assert bad.returncode == 2


def test_rebuild_removes_stale_files_and_keeps_unchanged(example: Path):
    run_cli("build", cwd=example, check=True)
    site = example / "site"
    (site / "leftover.html").write_text("old")
    keep = site / "topics/nato-offer/index.html"
    before = keep.stat().st_mtime_ns
    victim = example / "content/articles/2025-02-23-kryvyi-rih-missile-strike.md"
    victim.unlink()
    run_cli("build", cwd=example, check=True)
    assert not (site / "leftover.html").exists()
    assert not (site / "articles/2025-02-23-kryvyi-rih-missile-strike").exists()
    assert keep.stat().st_mtime_ns == before, "a page whose bytes did not change keeps its mtime"


def test_a_killed_build_leaves_no_staging_folder_behind_for_long(example: Path):
    """A build killed mid-way leaves its staging folder; the next build removes it (its process is gone)."""
    import os
    import signal
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "briefgen", "build", "--no-cache", "--jobs", "1"],
        cwd=example,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not list(example.glob(".site.tmp-*")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    left = list(example.glob(".site.tmp-*"))
    if proc.poll() is not None or not left:
        proc.wait()
        pytest.skip("the build finished before it could be killed")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert all(p.exists() for p in left), "the killed build left its staging folder"
    mine = example / f".site.tmp-{os.getpid()}-busy"  # a build that is still running keeps its folder
    mine.mkdir()
    run_cli("build", cwd=example, check=True)
    assert not any(p.exists() for p in left)
    assert mine.is_dir()
    assert (example / "site/index.html").is_file()


@pytest.mark.parametrize("where", [".", "content", "/", "~"])
def test_refuses_dangerous_output_folders(example: Path, where: str):
    target = {".": str(example), "content": str(example / "content"), "/": "/", "~": str(Path.home())}[where]
    proc = run_cli("build", "--output", target, cwd=example)
    assert proc.returncode == 1
    assert "refusing to build" in proc.stderr
    assert (example / "content" / "people.yaml").exists()


def test_user_template_override(example: Path):
    (example / "templates").mkdir()
    (example / "templates" / "404.html").write_text(
        "<!doctype html><title>gone</title><p>Custom not found {{ site.title }}</p>"
    )
    run_cli("build", cwd=example, check=True)
    assert "Custom not found Ukraine Desk Briefing" in (example / "site/404.html").read_text()


def test_new_project_builds(tmp_path: Path):
    run_cli("new", str(tmp_path / "desk"), check=True)
    proc = run_cli("build", cwd=tmp_path / "desk", check=True)
    assert (tmp_path / "desk/site/topics/drone-strikes/index.html").is_file(), proc.stdout
    again = run_cli("new", str(tmp_path / "desk"))
    assert again.returncode == 1 and "not empty" in again.stderr


def test_wheel_ships_theme_and_starter(tmp_path: Path):
    """A plain `pip install .` works: the default theme and starter are inside the wheel."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("briefgen-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "briefgen/theme/topic.html" in names
    assert any(n.startswith("briefgen/theme/static/") and n.endswith(".css") for n in names)
    assert "briefgen/starter/briefgen.yaml" in names
    assert "briefgen/starter/content/topics/drone-strikes.yaml" in names


def test_source_page_lists_the_articles_citing_it(built_example: Path):
    page = soup(built_example / "sources/afp/index.html")
    assert page.find("a", href=re.compile(r"articles/2025-02-22-kyiv-sends-new-draft/$"))
