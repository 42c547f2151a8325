"""The fast Markdown path (markdown-it.rs) gives what the reference (markdown-it-py) gives, byte for byte.

For every input: the fast path either declines (the body goes to the
reference) or returns a ``Rendered`` equal in every field to the reference's:
HTML, heading ids, table of contents, links with their lines, problems. So the
public ``render`` is the reference's output whichever path a body takes.
Inputs: the 649 CommonMark spec examples, every body of a generated corpus,
the example content's bodies, the constructs where the two parsers are known
to differ (these must be declined), and generated bodies that mix the
constructs where they could differ (quotes across paragraphs, footnotes,
headings, links in lists and tables).

A build with the fast path and one with ``BRIEFGEN_MARKDOWN=reference`` write
the same files byte for byte.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import copy_example, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefgen.content.markdown import MarkdownRenderer

pytest.importorskip("markdown_it_pyrs")  # no wheel for Python 3.13+: there every body takes the reference path

ROOT = Path(__file__).resolve().parent.parent
SPEC = json.loads((ROOT / "tests/data/commonmark-0.29-examples.json").read_text("utf-8"))["examples"]
MODES = pytest.mark.parametrize("allow_html", [False, True], ids=["html-off", "html-sanitised"])


def resolve(path: str) -> str | None:
    """Links to content files: some resolve, some are broken (both are part of what is compared)."""
    return None if "missing" in path else "/articles/" + path.rsplit("/", 1)[-1].rsplit(".", 1)[0] + "/"


def body_of(path: Path) -> str:
    text = path.read_text("utf-8")
    if text.startswith("---\n"):
        return text.split("\n---\n", 1)[1]
    return text


def renderers(allow_html: bool) -> tuple[MarkdownRenderer, MarkdownRenderer]:
    fast = MarkdownRenderer(allow_html=allow_html)
    reference = MarkdownRenderer(allow_html=allow_html)
    reference.fast = None
    assert fast.fast is not None
    return fast, reference


def compare(inputs: list[str], allow_html: bool) -> int:
    """Assert identical output for every input; return how many took the fast path."""
    fast, reference = renderers(allow_html)
    taken = 0
    for text in inputs:
        quick = fast.fast.render(text, resolve)
        expected = reference.render_reference(text, resolve)
        if quick is not None:
            taken += 1
            assert dataclasses.asdict(quick) == dataclasses.asdict(expected), text
        assert dataclasses.asdict(fast.render(text, resolve)) == dataclasses.asdict(reference.render(text, resolve))
    return taken


@MODES
def test_commonmark_spec_examples_render_identically(allow_html: bool):
    assert len(SPEC) == 649
    taken = compare([e["markdown"] for e in SPEC], allow_html)
    # The router must not send everything to the reference. It declines 3 more of the spec's examples for a
    # backtick that may close nowhere on its line (markdown-it.rs panics on one inside [...]).
    assert taken >= 595


@pytest.fixture(scope="module")
def corpus_bodies(tmp_path_factory) -> list[str]:
    dest = tmp_path_factory.mktemp("corpus") / "c"
    subprocess.run(
        [sys.executable, str(ROOT / "bench/make_corpus.py"), "300", str(dest)], check=True, capture_output=True
    )
    bodies = [body_of(p) for p in sorted((dest / "content/articles").glob("*.md"))]
    assert len(bodies) == 300
    return bodies


@MODES
def test_generated_corpus_bodies_render_identically_and_fast(corpus_bodies: list[str], allow_html: bool):
    assert compare(corpus_bodies, allow_html) == len(corpus_bodies)


@MODES
def test_example_content_renders_identically(allow_html: bool):
    bodies = [body_of(p) for p in sorted((ROOT / "content").rglob("*.md"))]
    assert len(bodies) >= 10
    assert compare(bodies, allow_html) >= len(bodies) // 2


# Inputs where markdown-it.rs differs from markdown-it-py (or where this module does not work out what
# the reference reads from tokens): the fast path must decline each, so they render with the reference.
DECLINED = {
    "smart quote left open, closed in a later paragraph": 'He said "yes\n\nand then" no.\n',
    "single quote paired across paragraphs": "[foo]: /url 'title\n\nwith blank line'\n",
    "quote at the start of a paragraph, judged by the paragraph before": "a\n\n## 'tis\n",
    "quote at the end of a paragraph": "x'\n\nb\n",
    "curly quotes in the source": "She said “yes” twice.\n",
    "autolink with a scheme safe_url refuses": "<irc://foo.bar:2233/baz>\n",
    "image with a data: URL": "![x](data:image/png;base64,AAAA)\n",
    "empty blockquote": ">\n",
    "quotes and (c) in a code span": '`it\'s (c) -- "q"`\n',
    "HTML comment with -- inside (html on)": "foo <!-- not a comment -- two hyphens -->\n",
    "deep nesting (the reference reports it)": "> " * 40 + "x\n",
    "deep emphasis": "*a " * 25 + "b" + "*" * 25 + "\n",
    "heading in a blockquote": "> ## Title\n",
    "heading over two lines": "Title\nmore\n---\n",
    "footnote in a heading": "## Title[^1]\n\n[^1]: note\n",
    "footnote label defined twice": "a[^1]\n\n[^1]: one\n[^1]: two\n",
    "footnote cited twice": "a[^1] b[^1]\n\n[^1]: one\n",
    "footnote definition interrupting a paragraph": "a[^1]\nb\n[^1]: one\n",
    "inline footnote": "a^[note]\n",
    "list item starting with a blank line": "-\n  [a](b.md)\n",
    "table right under a blockquote": "> quote\n| a | b |\n|---|---|\n| [x](a.md) | 2 |\n",
    "link under a rule in a tight item": "- a\n  - b\n    - --\n    [x](missing.md)\n",
    "carriage returns": "a\r\n\r\n[b](c.md)\r\n",
    "a body that writes data-sourcepos": '<p data-sourcepos="1:1-1:1">x</p>\n',
}


@pytest.mark.parametrize("name", sorted(DECLINED))
def test_known_differences_go_to_the_reference(name: str):
    text = DECLINED[name]
    fast, reference = renderers(allow_html=True)
    assert fast.fast.render(text, resolve) is None
    assert dataclasses.asdict(fast.render(text, resolve)) == dataclasses.asdict(reference.render(text, resolve))


# markdown-it.rs 0.6 panics (index out of bounds in its code-pair scanner) on this body, found by
# test_markdown_safety's generator: a panic is a Rust PanicException in Python, and the reference renders it.
PANICS = "[r]\n\n[r]: &#106;avascript:alert(1) ![\u0109\t\t`\n\u0116](https://example.org/'onmouseover='alert(1))"


@MODES
def test_a_panic_in_the_fast_parser_goes_to_the_reference(allow_html: bool):
    fast, reference = renderers(allow_html)
    assert fast.fast.render(PANICS, resolve) is None
    assert dataclasses.asdict(fast.render(PANICS, resolve)) == dataclasses.asdict(reference.render(PANICS, resolve))


# Footnotes (not in the spec nor the corpus): each must render identically, or be declined.
FOOTNOTES = [
    "x[^1] y[^2]\n\n[^1]: a\n\n[^2]: b\n",
    "x[^1] y[^2]\n\n[^1]: a\n[^2]: b\n",
    "x[^1] y[^1] z[^2]\n\n[^1]: a\n\n[^2]: b\n",
    "x[^1]\n\n[^1]: para one\n\n    para two [l](o.md)\n\n    - item\n    - item\n",
    "x[^1]\n\n[^1]: > quoted\n",
    "x[^1]\n\n[^1]:\n    code?\n",
    "x[^a b]\n\n[^a b]: no\n",
    "x[^1]\n\n[^1]: a [^2]\n\n[^2]: b [^1]\n",
    "x[^unused]\n\n[^other]: b\n",
    "x^[inline note]\n",
    "| a[^1] |\n|---|\n| b |\n\n[^1]: n\n",
    "- a[^1]\n\n[^1]: n\n",
    "a\n[^1]: a\n",
    "x[^1]\n\n[^1]: ```\n    code\n    ```\n",
    "x[^1]\n\n- a\n  [^1]: b\n",
    "[^2]: _e_\n\n    \t 's' a--b \t\n\n(c) [z](#sec)\n===\n\n[^1]: [^2]\n",
    "x[^1]\n\n[^1]: text\n\n        code\n",
    "[^2]: x\n\n    y [^1] [^1]\n\n[^1]: [q](#intro)\n",
    "[^2]: unused\n\n[^1]: cited\n\nx [^1]\n",
    "x [^b] y [^a]\n\n[^a]: first defined\n\n[^b]: second\n",
    "x[^1]\n\n[^1]: ends with 'a quote' '\n",
    'x[^1]\n\n[^1]: ends with "q"\n',
    "![it's (c) a--b](p.png)\n\n![plain](p.png 'title')\n",
    "x[^1]\n\n> a\n> [^1]: b\n",
]


@MODES
def test_footnotes_render_identically(allow_html: bool):
    assert compare(FOOTNOTES, allow_html) >= 8


# Where both refuse a URL in the same way (markdown-it.rs has its own list of bad schemes): no need to decline.
SAME = ["[x](javascript:alert(1))\n", "[x](JaVaScRiPt:alert(1))\n", "<javascript:alert(1)>\n", "[x](vbscript:y)\n"]


@MODES
def test_urls_both_refuse_render_identically(allow_html: bool):
    compare(SAME, allow_html)


@pytest.mark.parametrize(
    "text",
    [
        "> " * 100_000 + "x\n",
        "1. " * 30_000 + "x\n",
        "- " * 100_000 + "x\n",
        "\t- " * 30_000 + "x\n",
        "A paragraph first.\n\n" + "> " * 100_000 + "x\n",
    ],
    ids=["quotes", "ordered", "bullets", "tabbed", "after-a-paragraph"],
)
def test_deep_nesting_does_not_crash_the_process(text: str):
    """markdown-it.rs overflows the C stack on very deep nesting (a crash no try/except catches): never called."""
    code = (
        "import sys; from briefgen.content.markdown import MarkdownRenderer; text = sys.stdin.read(); "
        "r = MarkdownRenderer(); fast = r.render(text); r.fast = None; print(fast == r.render(text))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], input=text, capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "True"


_WORD = st.sampled_from(
    ["a", "word", "it's", "'tis", '"q"', "'s'", '"', "'", "(c)", "--", "a--b", "---", "...", "+-", "!!!!", "?...."]
    + ["(tm)", "&amp;", "&copy;", "\\*", "é", "😀", "<b>x</b>", '<span title="a>b">s</span>', "<!-- c -->", "x  \ny"]
    + ["[^1]", "[^2]", "[r]", "[t][r]", "<https://e.org/x>", "<me@e.org>", "![i 'a'](p.png \"t\")", "![plain](p.png)"]
    + ["[x](other.md)", "[y](missing.md#part)", "[z](#intro)", '[w](https://e.org/?a=1&b=2 "ti&tle")', "`co'de`"]
    + ["`` a`b ``", "~~s~~", "_e_", "__s__", "*a **b** c*", "[l *e* `c`](b.md#Part)", "[](e.md)", "\t", "a\tb"]
)
_LINE = st.lists(_WORD, min_size=1, max_size=7).map(" ".join)
_BLOCK = st.one_of(
    _LINE,
    _LINE.map(lambda s: "## " + s),
    _LINE.map(lambda s: "# " + s + " #"),
    _LINE.map(lambda s: s + "\n==="),
    st.tuples(_LINE, _LINE).map(lambda p: f"- {p[0]}\n- {p[1]}"),
    st.tuples(_LINE, _LINE).map(lambda p: f"1. {p[0]}\n2. {p[1]}"),
    _LINE.map(lambda s: "> " + s),
    st.tuples(_LINE, _LINE).map(
        lambda p: f"| a | b |\n|---|:-:|\n| {p[0].replace('|', '/')} | {p[1].replace('|', '/')} |"
    ),
    _LINE.map(lambda s: "[^1]: " + s),
    st.tuples(_LINE, _LINE).map(lambda p: f"[^2]: {p[0]}\n\n    {p[1]}"),
    st.just("[r]: https://e.org/r 'T'"),
    _LINE.map(lambda s: f"```\n{s}\n```"),
    _LINE.map(lambda s: "    " + s),
    st.tuples(_LINE, _LINE).map(lambda p: f"- {p[0]}\n\n  ## {p[1]}"),
    st.just("* * *"),
    _LINE.map(lambda s: f"<div>\n{s}\n</div>"),
    st.tuples(_LINE, _LINE).map(lambda p: f"- a\n  - {p[0]}\n    - {p[1]}"),
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_BLOCK, min_size=1, max_size=8), st.sampled_from(["\n\n", "\n"]), st.booleans())
def test_generated_bodies_render_identically(blocks: list[str], sep: str, allow_html: bool):
    compare([sep.join(blocks) + "\n"], allow_html)


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_build_with_the_fast_path_equals_a_reference_build(tmp_path: Path):
    project = copy_example(tmp_path / "project")
    outputs = {}
    for mode in ("fast", "reference"):
        out = tmp_path / f"site-{mode}"
        run_cli(
            "build", "-q", "-s", str(project), "-o", str(out), "--no-cache", env={"BRIEFGEN_MARKDOWN": mode}, check=True
        )
        outputs[mode] = _tree(out)
    assert len(outputs["fast"]) > 20
    assert outputs["fast"].keys() == outputs["reference"].keys()
    different = [name for name in outputs["fast"] if outputs["fast"][name] != outputs["reference"][name]]
    assert different == []


@given(st.text(alphabet=" \t>*+-1.)\na", max_size=160), st.integers(0, 70))
def test_the_deep_line_check_finds_what_the_multiline_regex_found(text: str, spaces: int):
    """A line starting with 64 container characters, found without a match tried at every character."""
    import re

    from briefgen.content import markdown_fast

    multiline = re.compile(r"^[ \t>*+\-0-9.)]{64}", re.M)  # what the fast path searched with before
    for body in (text, " " * spaces + text, text + "\n" + "> " * spaces):
        found = markdown_fast._DEEP_FIRST_LINE.match(body) or markdown_fast._DEEP_LINE.search(body)
        assert bool(found) == bool(multiline.search(body))


# A backtick inside a link's text ("[`](x)", "[x `y](z)") panics markdown-it.rs 0.6. The panic is caught, but
# Rust's panic hook prints "thread ... panicked at ..." to stderr first: a user would see it in a plain build.
BACKTICK_IN_BRACKETS = [
    "[`](https://example.org/)",
    "[x `y](https://example.org/)",
    "![`](p.png)",
    "[``]",
    "[**`**](#x)",
]


@MODES
def test_text_that_panics_markdown_it_rs_is_not_given_to_it(allow_html: bool):
    fast, reference = renderers(allow_html)
    for text in BACKTICK_IN_BRACKETS:
        assert fast.fast.render(text, resolve) is None, text
        assert dataclasses.asdict(fast.render(text, resolve)) == dataclasses.asdict(reference.render(text, resolve))


def test_a_build_with_a_backtick_in_link_text_prints_no_rust_panic(tmp_path: Path):
    project = copy_example(tmp_path)
    article = sorted((project / "content/articles").glob("*.md"))[0]
    article.write_text(
        article.read_text("utf-8") + "\nSee [the `x` flag and a lone ` here](https://example.org/).\n", "utf-8"
    )
    done = run_cli("build", "--no-cache", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "panicked" not in done.stderr and "panicked" not in done.stdout, done.stderr


class _Spy:
    """Stands in front of markdown-it.rs and notes whether a text reached it."""

    def __init__(self, md):
        self.md, self.reached = md, False

    def render(self, text: str) -> str:
        self.reached = True
        return self.md.render(text)


@settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.text(st.sampled_from(list("[]()`|-#>! \n\\x*_^:<")), max_size=30), allow_html=st.booleans())
def test_no_text_that_panics_markdown_it_rs_reaches_it(text: str, allow_html: bool):
    fast, _reference = renderers(allow_html)
    spy = _Spy(fast.fast.md)
    fast.fast.md = spy
    try:
        fast.fast.render(text, resolve)
    finally:
        fast.fast.md = spy.md
    if spy.reached:
        try:
            spy.md.render(text)
        except BaseException as exc:  # pyo3's PanicException derives from BaseException
            raise AssertionError(f"markdown-it.rs panicked on {text!r}: {type(exc).__name__}") from None


def test_the_fast_paths_copies_of_markdown_it_helpers_are_markdown_it_pys():
    """``markdown_fast`` keeps its own ``escapeHtml`` and ``mdTrim`` so that a body it renders imports no
    markdown-it-py: they must stay the library's."""
    from markdown_it.common import utils

    from briefgen.content import markdown_fast

    assert markdown_fast._MD_TRIM_CHARS == utils.MD_TRIM_CHARS
    samples = ["a & b < c > d \"e\" 'f'", "\u00a0 x \u3000\t", "&amp;&lt;", "", " \u2028y\u2029 ", "\u200bz"]
    for text in samples:
        assert markdown_fast.escapeHtml(text) == utils.escapeHtml(text)
        assert markdown_fast.mdTrim(text) == utils.mdTrim(text)


def test_a_body_on_the_fast_path_imports_no_markdown_it_py():
    """The reference parser is made (and markdown-it-py imported) only when a body needs it."""
    code = (
        "import sys; from briefgen.content.markdown import MarkdownRenderer; r = MarkdownRenderer(); "
        "out = r.render('# Title\\n\\nA [link](other.md) and *text*.\\n', lambda p: '../other/'); "
        "assert 'href=\"../other/\"' in out.html, out.html; "
        "print(any(m.split('.')[0] in ('markdown_it', 'mdit_py_plugins') for m in sys.modules)); "
        "r.render('“Curly” quotes go to the reference.\\n'); print('markdown_it' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.split() == ["False", "True"]
