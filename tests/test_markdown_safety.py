"""No input may put executable script into a page.

Checked with a real HTML parser (html5lib, which tokenises the way browsers
do): no ``<script>`` element the theme did not put there, no ``on*=`` event
handler, no ``javascript:``/``vbscript:``/``data:`` URL, whatever the Markdown
body and front matter say; over the CommonMark spec's own examples, a list of
known attack strings, and 1,000 generated articles (hypothesis).
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import html5lib
import jinja2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefgen.checks.linkcheck import check_links
from briefgen.content.markdown import MarkdownRenderer
from briefgen.engine.build import load_and_assemble, render_site
from briefgen.problems import BuildError, Problems
from briefgen.project import Project, default_theme_dir


@pytest.fixture(autouse=True, params=["fast", "reference"])
def markdown_path(request, monkeypatch):
    """Every check runs on both Markdown paths: markdown-it.rs where it is proven identical, and markdown-it-py."""
    monkeypatch.setenv("BRIEFGEN_MARKDOWN", request.param)
    return request.param


CORPUS_BASE = Path(__file__).resolve().parent / "broken" / "_base"
SPEC = json.loads((Path(__file__).resolve().parent / "data/commonmark-0.29-examples.json").read_text("utf-8"))

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "background", "data", "cite", "srcset"}
_BAD_SCHEME = re.compile(r"^(javascript|vbscript|data|file):", re.I)
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")
NEVER_ELEMENTS = {"iframe", "object", "embed", "base", "frame", "frameset", "applet"}
MARKDOWN_ELEMENTS = {
    *(f"h{i}" for i in range(1, 7)),
    *"p a img em strong code pre blockquote ul ol li hr br table thead tbody tr th td s section sup".split(),
    *"html head body".split(),  # added by the HTML parser around a fragment
}

# Known ways to sneak script past Markdown renderers and sanitisers.
ATTACK_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java&#x09;script:alert(1)",
    "&#106;avascript:alert(1)",
    "javascript&colon;alert(1)",
    "\x01javascript:alert(1)",
    "%6Aavascript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data:image/svg+xml,<svg onload=alert(1)>",
    "file:///etc/passwd",
    'https://example.org/"onmouseover="alert(1)',
    "https://example.org/'onmouseover='alert(1)",
    '#"onclick="alert(1)',
    'base.md#x"onload="alert(1)',
    "//evil.example/x.js",
    "https://example.org/a b",
]
ATTACK_HTML = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<a href='&#106;avascript:alert(1)'>x</a>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<iframe src=javascript:alert(1)></iframe>",
    "<div id=location>x</div>",
    "<form><button formaction=javascript:alert(1)>x</button></form>",
    "<style>@import 'x';</style>",
    "<body onload=alert(1)>",
    "<!-- <script>alert(1)</script> -->",
    "<scr<script>ipt>alert(1)</script>",
    "<details open ontoggle=alert(1)>",
    "<object data=x></object><embed src=x>",
    "<base href=javascript:/>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<template><script>alert(1)</script></template>",
    "<textarea><script>alert(1)</script></textarea>",
    '<a href="x" style="background:url(javascript:alert(1))">x</a>',
    "<img src=`x`onerror=alert(1)>",
    "<img/src=x/onerror=alert(1)>",
    '<h2 id="alert">x</h2>',
    "</script><script>alert(1)</script>",
    "{{ 7 * 7 }}{% raw %}",
    '"><script>alert(1)</script>',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
]


def elements(html: str | bytes, parser: str = "html5lib"):
    """(tag, attributes, text) of every element, as an HTML5 parser builds them.

    html5lib is the reference (pure Python, the WHATWG algorithm); Lexbor
    (selectolax, C) implements the same algorithm about fifty times faster,
    which is what lets the property test parse every page of 1,000 builds.
    """
    if parser == "lexbor":
        from selectolax.lexbor import LexborHTMLParser

        text = html.decode("utf-8") if isinstance(html, bytes) else html
        for node in LexborHTMLParser(text).root.traverse(include_text=False):
            if isinstance(node.tag, str) and not node.tag.startswith("-"):
                yield node.tag.lower(), dict(node.attributes), node.text(deep=True) if node.tag == "script" else ""
        return
    tree = html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False)
    for element in tree.iter():
        if isinstance(element.tag, str):  # not a comment
            attrs = {
                name.rsplit("}", 1)[-1] if name.endswith("}href") else name: v for name, v in element.attrib.items()
            }
            yield element.tag.rsplit("}", 1)[-1].lower(), attrs, element.text or ""


def threats(html: str | bytes, allowed_scripts: frozenset = frozenset(), parser: str = "html5lib") -> list[str]:
    """Everything in ``html`` that could run script, as a browser would parse it."""
    found = []
    for tag, attrs, text in elements(html, parser):
        if tag == "script":
            key = _script_key(attrs, text)
            if key not in allowed_scripts:
                found.append(f"<script> {key}")
        if tag in NEVER_ELEMENTS:
            found.append(f"<{tag}>")
        for name, value in attrs.items():
            attr = name.rsplit(":", 1)[-1].lower() if name.lower().startswith("xlink:") else name.lower()
            value = value or ""
            if attr.startswith("on"):
                found.append(f"<{tag} {attr}={value!r}>")
            if (attr in URL_ATTRIBUTES or attr == "href") and _BAD_SCHEME.match(_INVISIBLE.sub("", value)):
                found.append(f"<{tag} {name}={value!r}>")
            if tag == "meta" and attr == "content" and (attrs.get("http-equiv") or "").lower() == "refresh":
                found.append(f"<meta refresh {value!r}>")
    return found


def _script_key(attrs: dict, text: str) -> tuple:
    """A theme script is known by its src; a data block (JSON-LD) only if its text is JSON."""
    kind = attrs.get("type") or ""
    if kind == "application/ld+json":
        try:
            json.loads(text)
            return ("json", kind)
        except ValueError:
            return ("json that does not parse", text[:80])
    return ("code", attrs.get("src") or "", text.strip()[:200])


# --- the CommonMark spec and known attacks, through briefgen's Markdown setup --------------


@pytest.mark.parametrize("allow_html", [False, True], ids=["html-off", "html-sanitised"])
def test_commonmark_spec_examples_never_produce_script(allow_html: bool):
    renderer = MarkdownRenderer(allow_html=allow_html)
    assert len(SPEC["examples"]) == 649
    bad = {}
    for example in SPEC["examples"]:
        html = renderer.render(example["markdown"]).html
        found = threats(html)
        if not allow_html:  # raw HTML is off: only elements Markdown itself makes
            found += [f"raw <{tag}>" for tag, _a, _t in elements(html) if tag not in MARKDOWN_ELEMENTS]
        if found:
            bad[example["example"]] = found
    assert not bad, bad


@pytest.mark.parametrize("allow_html", [False, True], ids=["html-off", "html-sanitised"])
def test_known_attacks_never_produce_script(allow_html: bool):
    renderer = MarkdownRenderer(allow_html=allow_html)
    bodies = [*ATTACK_HTML]
    for url in ATTACK_URLS:
        bodies += [f"[x]({url})", f"![x]({url})", f"<{url}>", f"[x][r]\n\n[r]: {url}", f"[x](<{url}>)"]
    for body in bodies:
        html = renderer.render(body).html
        assert threats(html) == [], (body, html)
        assert 'id="location"' not in html and 'id="alert"' not in html


def test_heading_ids_are_prefixed_and_cannot_clobber_globals():
    out = MarkdownRenderer().render("## location\n\n## document\n\n## location\n")
    assert re.findall(r'id="([^"]+)"', out.html) == ["sec-location", "sec-document", "sec-location-1"]
    raw = MarkdownRenderer(allow_html=True).render('<img name="x" id="location">\n\n<h3 id="sec-ok">k</h3>\n').html
    assert 'id="location"' not in raw and 'id="sec-ok"' in raw


def test_raw_html_is_off_by_default_and_shown_as_text():
    html = MarkdownRenderer().render("Hello <b>bold</b> <script>alert(1)</script>\n").html
    assert "<b>" not in html and "&lt;b&gt;" in html and "<script" not in html


def test_sanitised_html_keeps_harmless_markup():
    html = (
        MarkdownRenderer(allow_html=True).render('<b>bold</b> <abbr title="x">X</abbr>\n\n| a |\n|--:|\n| 1 |\n').html
    )
    assert "<b>bold</b>" in html and "<abbr" in html and 'style="text-align:right"' in html


def test_pathological_markdown_renders_in_linear_time_or_is_refused():
    """cmark's pathological inputs, at 20,000 repetitions: each renders or is refused with a message."""
    n = 20_000
    cases = {
        "nested brackets": "[" * n + "a" + "]" * n,
        "nested block quotes": "> " * n + "a",
        "unclosed links": "[a](" * n,
        "emphasis openers": "*a " * n,
        "emphasis nested": "*" * n + "a" + "*" * n,
        "backticks": "`a``" * n,
        "link reference definitions": "[a]: /u\n" * n + "[a]" * n,
        "many equal headings": "## a\n" * n,
        "wide table": "|" + "a|" * 2000 + "\n|" + "-|" * 2000 + "\n" + ("|" + "a|" * 2000 + "\n") * 5,
        "deep tabs": "\n".join("\t" * i + "- a" for i in range(200)),
        "nested images": "![" * n + "a" + "](b)" * n,
    }
    renderer = MarkdownRenderer()
    timings = {}
    for name, text in cases.items():
        started = time.perf_counter()
        out = renderer.render(text)
        timings[name] = time.perf_counter() - started
        assert out.html or out.errors, name
        if "nested" in name and "brackets" not in name and "images" not in name:
            assert out.errors, f"{name}: deep nesting must be reported, not silently dropped"
    print("pathological Markdown, seconds:", {k: round(v, 2) for k, v in timings.items()})


# --- templates ---------------------------------------------------------------------------


def _theme_templates() -> list[Path]:
    theme = default_theme_dir()
    return sorted(p for p in theme.rglob("*") if p.suffix in (".html", ".xml", ".txt") and "static" not in p.parts)


def test_templates_put_data_into_scripts_only_through_tojson_and_quote_attributes():
    templates = _theme_templates()
    assert templates, "the default theme has templates"
    problems = []
    for path in templates:
        source = path.read_text(encoding="utf-8")
        for block in re.finditer(r"<script\b[^>]*>(.*?)</script>", source, re.S | re.I):
            for expr in re.findall(r"\{\{(.*?)\}\}", block.group(1), re.S):
                if "tojson" not in expr:
                    problems.append(f"{path.name}: {{{{{expr}}}}} inside <script> without |tojson")
        for match in re.finditer(r"""\s[\w:-]+=(\{\{|\{%)""", source):
            line = source.count("\n", 0, match.start()) + 1
            problems.append(f"{path.name}:{line}: unquoted attribute value {match.group(0).strip()!r}")
        if "|safe" in source.replace(" ", "") or "autoescape false" in source:
            for line_no, line in enumerate(source.splitlines(), 1):
                if re.search(r"\|\s*safe\b", line) and "body_html" not in line and "head_extra" not in line:
                    problems.append(f"{path.name}:{line_no}: |safe on something other than sanitised HTML")
    assert not problems, "\n".join(problems)


def test_every_template_is_autoescaped(tmp_path: Path):
    from briefgen.render.render import Renderer

    project = tmp_path / "project"
    shutil.copytree(CORPUS_BASE, project)
    problems = Problems()
    site, _pages = load_and_assemble(Project.at(project), problems)
    env = Renderer(site, Project.at(project)).env
    for name in ("page.html", "feed.xml", "robots.txt", "x.j2"):
        assert env.from_string("{{ v }}").render(v="<script>") == "&lt;script&gt;"
        assert (env.autoescape(name) if callable(env.autoescape) else env.autoescape) is True


# --- the property: generated articles through load + render, in process --------------------


class _MemoryBytecode(jinja2.BytecodeCache):
    """Compiled templates kept between builds, so that 1,000 builds do not compile the theme 1,000 times."""

    def __init__(self):
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        code = self.store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


_CACHE = _MemoryBytecode()


class _CachedEnvironment(jinja2.Environment):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("bytecode_cache", _CACHE)
        super().__init__(*args, **kwargs)


ARTICLE = """---
title: {title}
date: 2025-02-24T10:00:00+02:00
topics: [strikes, talks]
summary: {summary}
dateline: {dateline}
author: {author}
sources:
  - source: afp
    url: {url}
    note: {note}
people: [ignat]
quotes:
  - speaker: ignat
    text: {quote}
    where: {where}
    said: {when1}
figures:
  - id: generated-figure
    label: {label}
    value: 3
    unit: {unit}
    by: air-force
    measure: drones-base
    as_of: {when2}
  - id: generated-figure-2
    label: Again
    value: 4.5
    by: ignat
    measure: drones-base
    as_of: {when3}
events:
  - date: {when1}
    text: {event}
  - date: {when3}
    text: Another.
claims:
  - question: {question}
    by: air-force
    text: {claim}
    status: disputed
    date: {when2}
---
{body}"""
WHEN = [
    "2025-02-23",
    "2025-02-24T10:00:00+02:00",
    "2025-02-24 10:00:00",
    "2025-02-22T23:59:59Z",
    "2025-02-23T00:00:00-05:00",
]
FIELDS = [
    "title",
    "summary",
    "dateline",
    "author",
    "note",
    "quote",
    "where",
    "label",
    "unit",
    "event",
    "question",
    "claim",
]
ATTACK_TEXT = (
    ATTACK_HTML
    + ATTACK_URLS
    + ["NO", "yes", "1.10", "012", "~", "2025-02-30", "*a", "&x", "!!python/none", "- a", "bell \x07"]
)

printable = st.characters(blacklist_categories=["Cs", "Cc", "Cn"]) | st.sampled_from("\t\n")
safe_text = st.text(printable, min_size=1, max_size=40).filter(str.strip)
quoted_value = st.one_of(safe_text, st.sampled_from(ATTACK_TEXT)).map(  # must render escaped
    lambda v: json.dumps(v, ensure_ascii=False)  # YAML takes JSON strings, but not JSON's surrogate pairs
)
raw_value = st.one_of(  # written unquoted: may not be YAML at all, or not text; then a located error
    st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=30),
    st.sampled_from(ATTACK_TEXT),
)
url_value = st.one_of(
    st.sampled_from(ATTACK_URLS),
    st.text(st.characters(whitelist_categories=["L", "N", "P", "S"]), max_size=20).map("https://example.org/{}".format),
    st.text(st.characters(whitelist_categories=["L", "N", "P", "S"]), max_size=20).map("http://127.0.0.1/{}".format),
).map(lambda v: json.dumps(v, ensure_ascii=False))
inline_text = st.text(printable, max_size=30)
markdown_piece = st.one_of(
    inline_text,
    st.sampled_from(ATTACK_HTML),
    st.builds(
        "[{}]({})".format,
        inline_text,
        st.sampled_from(ATTACK_URLS + ["base.md", "base.md#the-count", "base.md#nothing", "#x"]),
    ),
    st.builds("![{}]({})".format, inline_text, st.sampled_from(ATTACK_URLS)),
    st.builds("<{}>".format, st.sampled_from(ATTACK_URLS)),
    st.builds("[{0}]\n\n[{0}]: {1}".format, st.sampled_from(["r", "ref"]), st.sampled_from(ATTACK_URLS)),
    st.builds(
        "{} {}".format,
        st.sampled_from(["#", "##", "###", ">", "-", "1.", "    ", "```", "|", "*", "[^1]:"]),
        inline_text,
    ),
    st.builds("`{}`".format, st.sampled_from(ATTACK_HTML)),
    st.just("| a | b |\n|---|--:|\n| <script>x</script> | [y](javascript:z) |"),
    st.just("a[^1]\n\n[^1]: <img src=x onerror=alert(1)>"),
)
markdown_body = st.lists(markdown_piece, max_size=12).flatmap(
    lambda parts: st.sampled_from(["\n\n", "\n", " "]).map(lambda sep: sep.join(parts))
)


def _write_article(project: Path, values: dict, body: str, allow_html: bool) -> None:
    config = (CORPUS_BASE / "briefgen.yaml").read_text() + f"markdown:\n  allow_html: {str(allow_html).lower()}\n"
    (project / "briefgen.yaml").write_text(config, encoding="utf-8")
    text = ARTICLE.format(body=body, **values)
    (project / "content/articles/generated.md").write_text(text, encoding="utf-8")


def _build(project: Path) -> tuple[dict[str, bytes] | None, list]:
    problems = Problems()
    try:
        site, pages = load_and_assemble(Project.at(project), problems)
        files, _copies = render_site(site, pages, Project.at(project), problems)
        if not problems.errors:
            check_links(files, pages, problems, set(_copies))
    except BuildError as exc:
        return None, exc.problems
    if problems.errors:
        return None, problems.sorted()
    return {k: v for k, v in files.items() if k.endswith(".html")}, problems.sorted()


def test_generated_articles_build_or_fail_located_and_never_carry_script(tmp_path: Path):
    project = tmp_path / "project"
    shutil.copytree(CORPUS_BASE, project)
    timings: list[tuple[float, str]] = []
    outcomes = {"built": 0, "refused": 0}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jinja2, "Environment", _CachedEnvironment)
        plain = {f: json.dumps("plain") for f in FIELDS} | {f"when{i}": "2025-02-23" for i in (1, 2, 3)}
        _write_article(project, plain | {"url": "https://example.org/"}, "Body.", False)
        baseline, problems = _build(project)
        assert baseline is not None, problems
        theme_scripts = frozenset(
            _script_key(attrs, text)
            for html in baseline.values()
            for tag, attrs, text in elements(html)
            if tag == "script"
        )
        for name, html in baseline.items():
            assert threats(html, theme_scripts) == [], name
            assert threats(html, theme_scripts, "lexbor") == [], name

        @settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
        @given(
            values=st.fixed_dictionaries({f: quoted_value for f in FIELDS}),
            raw=st.one_of(st.none(), st.tuples(st.sampled_from(FIELDS), raw_value)),
            when=st.fixed_dictionaries({f"when{i}": st.sampled_from(WHEN) for i in (1, 2, 3)}),
            url=url_value,
            body=markdown_body,
            allow_html=st.booleans(),
        )
        def build_one(values, raw, when, url, body, allow_html):
            values = values | when  # days, aware and naive times mixed: all compared safely
            if raw is not None:
                values = values | {raw[0]: raw[1]}
            _write_article(project, values | {"url": url}, body, allow_html)
            started = time.perf_counter()
            files, problems = _build(project)
            timings.append((time.perf_counter() - started, repr((values, url, body))[:300]))
            if files is None:
                outcomes["refused"] += 1
                for p in problems:
                    assert p.path and not p.path.startswith("/") and (p.line is None or p.line >= 1), p
                    if p.severity == "error" and p.path == "content/articles/generated.md":
                        assert p.line is not None, f"an error in the article must say where: {p}"
                return
            outcomes["built"] += 1
            for name, html in files.items():
                found = threats(html, theme_scripts, "lexbor")
                assert not found, (name, found)
            article = files["articles/generated/index.html"]  # where the Markdown body lands
            assert threats(article, theme_scripts) == [], "html5lib disagrees with Lexbor"

        build_one()
    slow = sorted((t for t in timings if t[0] > 1.0), reverse=True)
    print(
        f"\nhypothesis: {len(timings)} examples, {outcomes}; slowest {max(t[0] for t in timings):.3f} s; "
        f"over 1 s: {len(slow)} {slow[:3]}"
    )
    assert len(timings) >= 1000 or outcomes["built"] + outcomes["refused"] >= 1000
    assert outcomes["built"] > 100 and outcomes["refused"] > 100, outcomes
