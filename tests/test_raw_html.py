"""`allow_html: true` with an unclosed raw-text element never silently loses the rest of an article.

An unclosed ``<style>``, ``<script>``, ``<textarea>``, ``<title>``... (or comment, or ``<template>``) would take
every later paragraph with it when the sanitiser parses the body. It is shown as text instead, the rest of the body
is kept, and the build says where: ``path:line: warning ... (hint)``. No script ever reaches the page.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import html5lib
import pytest
from conftest import run_cli

from briefgen.content.markdown import MarkdownRenderer

CORPUS = Path(__file__).resolve().parent / "broken"
# every element whose content the HTML parser reads up to its end tag, a template, and a comment
RAW_TEXT_OPENERS = [
    f"<{name}>"
    for name in (
        "style",
        "script",
        "textarea",
        "title",
        "xmp",
        "iframe",
        "noembed",
        "noframes",
        "noscript",
        "plaintext",
        "template",
    )
] + ["<STYLE media=print>", "<script type=module>", "<!-- a note"]
TAIL = "\n\nThe **rest** of the story.\n\n## Later\n\nA last paragraph.\n"


def _text_and_scripts(html: str) -> tuple[str, int]:
    doc = html5lib.parse(f"<main>{html}</main>", namespaceHTMLElements=False)
    main = doc.find(".//main")
    return "".join(main.itertext()), len(doc.findall(".//script"))


@pytest.mark.parametrize("opener", RAW_TEXT_OPENERS)
def test_the_rest_of_the_body_is_kept_after_an_unclosed_opener(opener: str):
    renderer = MarkdownRenderer(allow_html=True)
    for body in (f"Before.\n\n{opener}" + TAIL, f"Before {opener} inline." + TAIL, f"> quoted {opener}" + TAIL):
        out = renderer.render(body)
        text, scripts = _text_and_scripts(out.html)
        assert "rest of the story." in text and "Later" in text and "A last paragraph." in text, (body, out.html)
        assert "<strong>rest</strong>" in out.html, "the rest is still rendered as Markdown"
        assert scripts == 0
        if opener.startswith("<!--") and not body.startswith("Before."):
            assert out.warnings == [], "Markdown already shows an inline '<!--' without '-->' as text"
            continue
        assert [w[0] for w in out.warnings] == [0 if not body.startswith("Before.") else 2], out.warnings
        assert "is never closed" in out.warnings[0][1]


def test_closed_elements_are_not_warned_about_and_keep_their_meaning():
    renderer = MarkdownRenderer(allow_html=True)
    out = renderer.render("<style>p { color: red }</style>\n\nA <!-- note --> and <!--> too." + TAIL)
    assert out.warnings == [] and "color" not in out.html and "note" not in out.html
    assert "rest" in out.html
    # a closed one before an unclosed one on the same line: the unclosed one is the one shown as text
    out = renderer.render("A <style>p{}</style> then <style> open." + TAIL)
    assert "then &lt;style&gt; open." in out.html and "p{}" not in out.html
    assert "A Last paragraph" not in out.html and "A last paragraph." in out.html


def test_without_allow_html_nothing_changes():
    out = MarkdownRenderer(allow_html=False).render("Before.\n\n<style>" + TAIL)
    assert out.warnings == [] and "&lt;style&gt;" in out.html and "A last paragraph." in out.html


def test_an_unclosed_script_stays_text_and_never_runs():
    out = MarkdownRenderer(allow_html=True).render(
        "x\n\n<script>alert(document.cookie)\n\n<img src=x onerror=alert(1)>"
    )
    text, scripts = _text_and_scripts(out.html)
    assert scripts == 0 and "onerror" not in out.html and "<script" not in out.html.lower()
    assert "alert(document.cookie)" in text, "shown as text, not dropped"


def _project(tmp_path: Path) -> tuple[Path, int]:
    project = tmp_path / "project"
    shutil.copytree(CORPUS / "_base", project)
    cfg = project / "briefgen.yaml"
    cfg.write_text(cfg.read_text() + "markdown:\n  allow_html: true\n")
    article = project / "content/articles/base.md"
    text = article.read_text()
    article.write_text(text + "\n<style>\n.x { color: red }\n" + TAIL)
    return project, len(text.splitlines()) + 2


def test_build_warns_where_the_unclosed_element_is_and_keeps_the_article(tmp_path: Path):
    project, line = _project(tmp_path)
    proc = run_cli("build", "--source", str(project))
    assert proc.returncode == 0, proc.stderr
    assert (
        f"warning: content/articles/base.md:{line}: <style> is never closed, so it would hide the rest of the "
        "article; it is shown as text instead (close it with </style>; the rest of the body is kept)"
    ) in proc.stderr
    [page] = [p for p in (project / "site/articles").glob("*/index.html")]
    doc = html5lib.parse(page.read_bytes(), namespaceHTMLElements=False)
    article_text = "".join(doc.find(".//main").itertext())
    assert "A last paragraph." in article_text and "rest of the story." in article_text
    assert "Later" in [h.text for h in doc.iter("h2")]
    strict = run_cli("build", "--source", str(project), "--strict")
    assert strict.returncode == 1 and "is never closed" in strict.stderr
