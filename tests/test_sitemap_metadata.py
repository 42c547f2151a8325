"""sitemap.xml and robots.txt through an XML parser; <head> metadata and JSON-LD through BeautifulSoup and json."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from conftest import copy_example, run_cli

from briefgen.engine.build import load_and_assemble
from briefgen.outputs.sitemap import NOT_LISTED
from briefgen.problems import Problems
from briefgen.project import Project

NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
BASE = "https://example.org/"


DRONE_RECORD = "2025-02-23-record-russian-drone-attack.md"


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def sitemap_entries(site_dir: Path) -> dict[str, str | None]:
    root = ET.parse(site_dir / "sitemap.xml").getroot()
    assert root.tag == f"{{{NS['sm']}}}urlset"
    out = {}
    for url in root.findall("sm:url", NS):
        loc = url.findtext("sm:loc", namespaces=NS)
        assert loc not in out, f"{loc} listed twice"
        out[loc] = url.findtext("sm:lastmod", namespaces=NS)
    return out


def file_for(site_dir: Path, url: str, base: str = BASE) -> Path:
    rel = url[len(base) :]
    return site_dir / (rel + "index.html" if rel.endswith("/") or rel == "" else rel)


def json_ld(page: BeautifulSoup) -> list[dict]:
    out = []
    for script in page.find_all("script", type="application/ld+json"):
        data = json.loads(script.string)
        out.extend(data.get("@graph", [data]))
    return out


def test_sitemap_lists_every_page_with_content_dates(built_example: Path, example: Path):
    site, pages = load_and_assemble(Project.at(example), Problems())
    entries = sitemap_entries(built_example)
    listed = {p.url_path for p in pages if p.kind not in NOT_LISTED}  # 404, search, briefing packs
    assert set(entries) == {BASE + u for u in listed}
    for loc, lastmod in entries.items():
        assert file_for(built_example, loc).is_file(), loc
        assert lastmod, f"{loc} has no lastmod"
        assert dt.datetime.fromisoformat(lastmod.replace("Z", "+00:00")).tzinfo is not None
    for article in site.articles:
        lastmod = entries[BASE + article.url_path]
        assert dt.datetime.fromisoformat(lastmod.replace("Z", "+00:00")) == article.modified
    newest = max(a.modified for a in site.articles)
    assert dt.datetime.fromisoformat(entries[BASE].replace("Z", "+00:00")) == newest
    topic = site.topics["drone-strikes"]
    assert dt.datetime.fromisoformat(entries[BASE + topic.url_path].replace("Z", "+00:00")) == topic.updated


def test_past_the_url_limit_the_sitemap_becomes_an_index_of_root_sitemaps(example: Path):
    """The protocol allows 50,000 URLs a file (a site of about 45,000 articles): past that, sitemap.xml is an
    index of sitemap-N.xml files at the site root, which together list every page once, in page order."""
    from briefgen.outputs.sitemap import sitemap_files
    from briefgen.render.render import Renderer, static_files

    project = Project.at(example)
    site, pages = load_and_assemble(project, Problems())
    renderer = Renderer(site, project, static_files(project))
    whole = ET.fromstring(sitemap_files(site, pages, renderer)["sitemap.xml"])
    every = [u.findtext("sm:loc", namespaces=NS) for u in whole.findall("sm:url", NS)]
    assert len(every) > 7
    files = sitemap_files(site, pages, renderer, max_urls=7)
    index = ET.fromstring(files["sitemap.xml"])
    assert index.tag == f"{{{NS['sm']}}}sitemapindex"
    children = [s.findtext("sm:loc", namespaces=NS) for s in index.findall("sm:sitemap", NS)]
    names = [f"sitemap-{n}.xml" for n in range(1, len(children) + 1)]
    assert children == [BASE + name for name in names] and sorted(files) == sorted(["sitemap.xml", *names])
    listed, newest = [], []
    for name in names:
        urlset = ET.fromstring(files[name])
        assert urlset.tag == f"{{{NS['sm']}}}urlset"
        urls = urlset.findall("sm:url", NS)
        assert 0 < len(urls) <= 7
        listed += [u.findtext("sm:loc", namespaces=NS) for u in urls]
        newest.append(max(filter(None, (u.findtext("sm:lastmod", namespaces=NS) for u in urls)), default=None))
    assert listed == every  # each page once, in the order of the single sitemap
    assert [s.findtext("sm:lastmod", namespaces=NS) for s in index.findall("sm:sitemap", NS)] == newest


def test_robots_txt_points_to_the_sitemap(built_example: Path):
    text = (built_example / "robots.txt").read_text()
    assert "User-agent: *" in text
    assert re.search(r"^Sitemap: https://example\.org/sitemap\.xml$", text, re.M)


def test_sub_path_base_url_in_sitemap_canonical_and_open_graph(tmp_path: Path):
    project = copy_example(tmp_path / "p")
    cfg = project / "briefgen.yaml"
    cfg.write_text(re.sub(r"base_url:.*", "base_url: https://example.org/briefs/", cfg.read_text()))
    run_cli("build", "--source", str(project), check=True)
    site_dir = project / "site"
    base = "https://example.org/briefs/"
    entries = sitemap_entries(site_dir)
    assert entries and all(loc.startswith(base) for loc in entries)
    assert all(file_for(site_dir, loc, base).is_file() for loc in entries)
    assert f"Sitemap: {base}sitemap.xml" in (site_dir / "robots.txt").read_text()
    page = soup(site_dir / "topics/nato-offer/index.html")
    assert page.find("link", rel="canonical")["href"] == base + "topics/nato-offer/"
    assert page.find("meta", property="og:url")["content"] == base + "topics/nato-offer/"
    assert json_ld(page)[0]["url"] == base + "topics/nato-offer/"


def test_every_page_has_title_description_canonical_and_cards(built_example: Path, example: Path):
    _site, pages = load_and_assemble(Project.at(example), Problems())
    for p in pages:
        if p.kind == "notfound":
            continue
        head = soup(built_example / p.output).head
        where = p.output
        assert len(head.find_all("title")) == 1 and head.title.string.strip(), where
        canon = head.find_all("link", rel="canonical")
        assert [c["href"] for c in canon] == [BASE + p.url_path], where
        if p.description:
            assert len(head.find_all("meta", attrs={"name": "description"})) == 1, where
            assert head.find("meta", attrs={"name": "twitter:description"})["content"] == p.description
        for prop in ("og:title", "og:type", "og:url", "og:site_name"):
            assert len(head.find_all("meta", property=prop)) == 1, (where, prop)
        assert head.find("meta", property="og:url")["content"] == BASE + p.url_path
        assert head.find("meta", attrs={"name": "twitter:card"})["content"] in ("summary", "summary_large_image")
        assert head.find("meta", attrs={"name": "twitter:title"})["content"] == p.title


def test_article_json_ld_is_a_news_article_with_claim_reviews(example: Path):
    # the example's claims of fact are all unverified: give two of them a verdict, as a desk would
    for name, verdict in (("2025-02-22-waltz-cpac-zelensky-will-sign.md", "disputed"), (DRONE_RECORD, "confirmed")):
        path = example / "content/articles" / name
        path.write_text(path.read_text().replace("status: unverified", f"status: {verdict}", 1))
    run_cli("build", "--source", str(example), check=True)
    built_example = example / "site"
    site, _pages = load_and_assemble(Project.at(example), Problems())
    reviews_seen = 0
    for article in site.articles:
        page = soup(built_example / article.url_path / "index.html")
        items = json_ld(page)
        news = [i for i in items if i["@type"] == "NewsArticle"]
        assert len(news) == 1, article.slug
        news = news[0]
        for key in ("headline", "datePublished", "dateModified", "author", "publisher", "url"):
            assert news.get(key), (article.slug, key)
        assert news["headline"] == article.title[:110]
        assert dt.datetime.fromisoformat(news["datePublished"]) == article.date
        assert dt.datetime.fromisoformat(news["datePublished"]).tzinfo is not None
        assert news["publisher"]["@type"] == "Organization" and news["publisher"]["name"]
        cited = {c["publisher"]["name"] for c in news.get("citation", [])}
        assert cited == {c.source.name for c in article.citations}
        assert page.find("meta", property="article:published_time")["content"] == article.date.isoformat()
        reviews = [i for i in items if i["@type"] == "ClaimReview"]
        with_verdict = [c for c in article.claims if c.status in ("confirmed", "disputed", "false")]
        assert len(reviews) == len(with_verdict), article.slug
        for review, claim in zip(reviews, with_verdict, strict=True):
            assert review["claimReviewed"] == claim.text
            assert review["reviewRating"]["alternateName"].lower() == claim.status
            assert review["itemReviewed"]["author"]["name"] == claim.by.name
            assert review["author"]["name"]
        reviews_seen += len(reviews)
    assert reviews_seen == 2, "claims of fact with a verdict carry ClaimReview; unverified claims and positions do not"


def test_topic_person_and_home_json_ld(built_example: Path):
    topic = json_ld(soup(built_example / "topics/drone-strikes/index.html"))
    assert topic[0]["@type"] == "CollectionPage"
    assert topic[0]["name"] and topic[0]["url"] == BASE + "topics/drone-strikes/"
    assert {p["@type"] for p in topic[0]["hasPart"]} == {"NewsArticle"}
    assert any("kryvyi-rih" in p["url"] for p in topic[0]["hasPart"])
    person = json_ld(soup(built_example / "people/zelensky/index.html"))
    assert person[0]["@type"] == "Person" and "Zelensky" in person[0]["name"]
    assert person[0]["jobTitle"] == "President of Ukraine"
    org = json_ld(soup(built_example / "sources/afp/index.html"))
    assert org[0]["@type"] == "Organization" and org[0]["sameAs"] == ["https://www.afp.com/"]
    home = json_ld(soup(built_example / "index.html"))
    assert home[0]["@type"] == "WebSite"
    assert home[0]["potentialAction"]["target"]["urlTemplate"] == BASE + "search/?q={search_term_string}"
    assert json_ld(soup(built_example / "search/index.html")) == []


def test_json_ld_cannot_be_broken_out_of(tmp_path: Path):
    project = copy_example(tmp_path / "p")
    evil = "Talks </script><script>alert(1)</script> & <!-- more"
    (project / "content/articles/2025-02-24-evil.md").write_text(
        f"---\ntitle: '{evil}'\ndate: 2025-02-24T09:00:00+02:00\ntopics: [nato-offer]\n"
        f"summary: 'A </SCRIPT> in the summary'\nauthor: 'Ann </script> Smith'\n---\nBody.\n"
    )
    run_cli("build", "--source", str(project), check=True)
    html = (project / "site/articles/2025-02-24-evil/index.html").read_text()
    assert "<script>alert(1)" not in html
    page = BeautifulSoup(html, "html.parser")
    scripts = page.find_all("script", type="application/ld+json")
    assert len(scripts) == 1
    raw = scripts[0].string
    assert "<" not in raw and ">" not in raw and "&" not in raw
    news = json.loads(raw)["@graph"][0]
    assert news["headline"] == evil[:110]
    assert news["author"] == {"@type": "Person", "name": "Ann </script> Smith"}
    topic = BeautifulSoup((project / "site/topics/nato-offer/index.html").read_text(), "html.parser")
    assert [p["headline"] for p in json_ld(topic)[0]["hasPart"]][0] == evil
    assert urlsplit(news["url"]).path == "/articles/2025-02-24-evil/"
