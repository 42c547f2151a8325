"""The briefing pack: one print-ready document per topic, and `briefgen build --pdf` through WeasyPrint.

The PDF is checked the way a person would: poppler's pdftoppm renders its
first page to PNG, and the picture must hold ink (not a blank page); pdftotext
must find the topic's title and its figures in it.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

import html5lib
import pytest
from bs4 import BeautifulSoup
from conftest import copy_example, run_cli


def test_the_pack_holds_the_whole_briefing_and_every_report_in_full(built_example: Path):
    html = (built_example / "topics/drone-strikes/pack/index.html").read_text()
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("meta", attrs={"name": "robots", "content": "noindex"})
    assert soup.find("link", rel="stylesheet", media="print", href=lambda h: "pack-print." in h)
    for block in ("key-figures", "watch", "key-quotes", "go-deeper", "timeline", "claims", "sources", "reports"):
        assert soup.find(id=block), block
    reports = soup.select("article.pack__report")
    assert len(reports) == 4, "every article of the topic"
    assert "The count, per the air force" in soup.get_text(), "bodies in full, not summaries"
    titles = [r.select_one(".pack__report-title").get_text(strip=True) for r in reports]
    assert titles[0] == "Air force counts 267 Russian drones in one night, a war record", "oldest first"
    ids = Counter(e.get("id") for e in html5lib.parse(html, namespaceHTMLElements=False).iter() if e.get("id"))
    assert [i for i, n in ids.items() if n > 1] == [], "ids stay unique with many bodies on one page"
    body_links = [a["href"] for a in soup.select(".pack__report .prose a")]
    assert "../../../articles/2025-02-23-drone-attack-regions-hit/" in body_links, "body links re-rooted"
    assert 'href="../2025-' not in html
    topic = BeautifulSoup((built_example / "topics/drone-strikes/index.html").read_text(), "html.parser")
    assert topic.find("a", href="../../topics/drone-strikes/pack/")
    assert "pack/" not in (built_example / "sitemap.xml").read_text(), "a pack repeats pages that are listed"


def test_print_css_hides_navigation_prints_urls_and_breaks_pages_between_blocks(built_example: Path):
    css = "".join(p.read_text() for p in (built_example / "static").glob("*.css"))
    print_css = css[css.index("@media print") :]
    assert ".site-nav" in print_css and 'a[href^="http"]::after' in print_css
    assert ".pack__reports { break-before: page; }" in print_css.replace("#claims, ", "")


def _ink(png: Path) -> float:
    from PIL import Image

    image = Image.open(png).convert("L")
    histogram = image.histogram()
    dark = sum(histogram[:200])
    return dark / (image.width * image.height)


@pytest.mark.timeout(240)
def test_build_pdf_writes_a_pdf_pack_per_topic_that_is_not_blank(tmp_path: Path):
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm is not installed: run 'make test', which installs poppler-utils")
    project = copy_example(tmp_path / "project")
    proc = run_cli("build", "--source", str(project), "--pdf", check=True)
    assert "Traceback" not in proc.stderr
    site = project / "site"
    sizes = {}
    for topic in ("drone-strikes", "minerals-deal", "nato-offer"):
        pdf = site / "topics" / topic / "briefing.pdf"
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
        sizes[topic] = len(data)
    print("PDF sizes:", sizes)
    pdf = site / "topics/drone-strikes/briefing.pdf"
    subprocess.run(["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png", str(pdf), str(tmp_path / "page")], check=True)
    (png,) = tmp_path.glob("page*.png")
    ink = _ink(png)
    assert 0.01 < ink < 0.6, f"page 1 is blank or black: {ink:.3f} of its pixels are dark"
    shutil.copy(png, tmp_path / "first-page.png")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "Ukraine reports a record Russian drone raid" in text
        assert "267" in text and "Ukrainian Air Force" in text
        assert "Skip to content" not in text, "no navigation in print"
    topic = BeautifulSoup((site / "topics/drone-strikes/index.html").read_text(), "html.parser")
    assert topic.find("a", href="../../topics/drone-strikes/briefing.pdf"), "linked once it exists"
    # The same input makes the same PDF bytes (no clock in its metadata).
    again = run_cli("build", "--source", str(project), "--pdf", "--output", str(tmp_path / "again"), check=True)
    assert again.returncode == 0
    assert (tmp_path / "again/topics/drone-strikes/briefing.pdf").read_bytes() == pdf.read_bytes()


def test_pdf_without_weasyprint_fails_with_a_clear_message(tmp_path: Path):
    project = copy_example(tmp_path / "project")
    shim = tmp_path / "no-weasyprint"
    (shim / "weasyprint").mkdir(parents=True)
    (shim / "weasyprint" / "__init__.py").write_text("raise ImportError(\"No module named 'weasyprint'\")\n")
    proc = run_cli("build", "--source", str(project), "--pdf", env={"PYTHONPATH": str(shim)})
    assert proc.returncode == 1
    assert "--pdf: PDF output needs WeasyPrint, which is not installed" in proc.stderr
    assert "pip install 'briefgen[pdf]'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (project / "site").exists(), "nothing built, nothing damaged"
    config = project / "briefgen.yaml"
    config.write_text(config.read_text() + "pdf: true\n")
    proc = run_cli("build", "--source", str(project), env={"PYTHONPATH": str(shim)})
    assert proc.returncode == 1 and "briefgen.yaml: PDF output needs WeasyPrint" in proc.stderr
