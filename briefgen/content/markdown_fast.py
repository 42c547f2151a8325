"""The fast path for Markdown bodies: markdown-it.rs (markdown-it-pyrs), used only where it is proven identical.

markdown-it-py (``briefgen.content.markdown``) is the reference: this path must give
the same ``Rendered`` (HTML, heading ids, table of contents, links and their
lines) byte for byte, and ``render`` returns None for every body where that is
not certain, so the caller renders it with the reference instead.
tests/test_markdown_fast.py holds the proof over the CommonMark spec examples,
a generated corpus, the example content and edge cases.

How: the Rust parser renders with ``data-sourcepos`` on every element it
makes (raw HTML never has one: a body that writes ``data-sourcepos`` goes to
the reference). One regex pass over those tags then does what the reference
does on tokens: heading ids from the heading's text, table-of-contents text
from its source line, link rewriting with the reference's own ``_link`` and
the line of the block the link is in, and a depth count for the nesting limit.

Where the two parsers differ, found by the proof, and what sends a body to the
reference (each check is cheap, and a false alarm only costs speed):

- smartquotes: markdown-it.rs pairs a quote left open in one paragraph with
  one in a later paragraph, and judges a quote at the start or end of a
  paragraph by the neighbouring paragraph's text (``'tis`` after ``a``);
  markdown-it-py does neither. A body whose output has a curly quote left
  open in a block, or a quote with only markup between it and the edge of its
  block, or whose source has curly quotes of its own, goes to the reference.
- a link or image URL that ``safe_url`` refuses: the reference leaves it as
  text; markdown-it.rs has its own, shorter list of refused schemes (it
  links ``<irc://...>`` and ``data:image/png``).
- HTML comments and raw-text openers (``<!--``, ``<script``... when raw HTML
  is allowed): the parsers read ``<!-- a -- b -->`` differently, and the
  reference may have to show an unclosed opener as text. Raw HTML that
  writes footnote markup (``fnref``, ``footnote-``) too, so that it cannot
  mislead the footnote checks.
- code spans and image alt text: markdown-it.rs turns quotes, ``(c)``,
  ``--``... into typography inside them; a code span whose text is not its
  source's, or an image whose source has anything to typeset, goes to the
  reference.
- a table right under a line of text: after a blockquote, markdown-it-py
  reads it as the quote's lazy continuation, markdown-it.rs as a table.
- an empty blockquote (``<blockquote>\\n</blockquote>`` against
  ``<blockquote></blockquote>``).
- deep nesting: markdown-it.rs recurses and overflows the C stack (a crash,
  not an error) at some thousands of levels; a line that starts with 64 or
  more container characters (``>``, list markers, indentation) goes to the
  reference, which stops at ``MAX_NESTING`` with an error; so does any output
  more than 20 elements deep.
- footnotes: markdown-it.rs numbers a note cited twice ``fnref2`` where
  markdown-it-py writes ``fnref1:1``, numbers some notes by definition rather
  than citation, keeps back-links to citations it does not render, does not
  let a definition end a paragraph, and has no inline notes (``^[...]``).
  Each of these goes to the reference, as does a label defined twice and a
  note cited from another note.
- a run of backticks that may close nowhere on its line, in a body with
  ``[``: markdown-it.rs 0.6 panics on one inside a link's text (``[`](x)``).
  The panic is caught, but Rust's panic hook prints to stderr first, so such
  text never reaches it (``_open_backticks``).
- what this module does not work out from the Rust output: a heading inside
  a blockquote or list, over several lines, or holding a footnote or raw HTML;
  the line of a link in a tight list item past the item's first line;
  carriage returns and NUL characters. These go to the reference too.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import markdown_it_pyrs

# markdown-it-py's ``escapeHtml`` and ``mdTrim`` (``markdown_it.common.utils``; tests/test_markdown_fast.py checks
# they are the same): importing that module imports all of markdown-it-py, which a body on this path never needs
_MD_TRIM_CHARS = (
    "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029"
    "\u202f\u205f\u3000"
)


def escapeHtml(raw: str) -> str:
    return raw.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def mdTrim(string: str) -> str:
    return string.strip(_MD_TRIM_CHARS)


MAX_DEPTH = 20  # elements inside each other; the reference's MAX_NESTING (32) counts levels, >= this
_RUST_PLUGINS = "blockquote code fence heading hr lheading list paragraph reference".split() + (
    "autolink backticks emphasis entity escape image link newline".split()
)
_EXTRA = ["table", "strikethrough", "replacements", "smartquotes", "footnote", "sourcepos"]
# Source that needs the reference (see the module docstring).
# Characters whose presence in the source sends a body to the reference: looked for with ``in``, each a fast
# scan (and none at all in an ASCII body), where a regex character class walked the body in Python's engine.
_SOURCE_CHARS = ("“", "”", "‘", "’", "\r", "\x00")
# A line that starts with 64 container characters: the first line, or one after a newline. (The same as
# ``^...`` with re.M, which tried a match at every character; a newline to look for is found quickly.)
_DEEP_FIRST_LINE = re.compile(r"[ \t>*+\-0-9.)]{64}")
_DEEP_LINE = re.compile(r"\n[ \t>*+\-0-9.)]{64}")
_HTML_RISK = re.compile(
    r"<!|<(?:script|style|textarea|title|xmp|iframe|noembed|noframes|noscript|plaintext|template)", re.I
)
_FOOTNOTE_LABEL = re.compile(r"\[\^([^\]\s]+)\]:")
# A footnote definition straight after a line of text: markdown-it-py ends the paragraph, markdown-it.rs does not.
_FOOTNOTE_INTERRUPTS = re.compile(r"\S[ \t]*\n[ \t>]*\[\^[^\]\n]*\]:")
_FOOTNOTE_REF = re.compile(r'<a href="#fn(\d+)" id="fnref')
# What smartquotes and replacements could change (the source of an image, whose alt text they must not touch).
_TYPESET = re.compile(r"""['"‘’“”]|\((?:c|r|tm|p)\)|\+-|\.\.|\?\?\?|!!!|,,|--""", re.I)
_NOTE_ITEM = re.compile(r'<li id="fn(\d+)" class="footnote-item"')
_REF_ID = re.compile(r'<a href="#fn\d+" id="fnref(\d+)"')
_BACKREF = re.compile(r'<a href="#fnref(\d+)" class="footnote-backref"')
_TAG = re.compile(r'<([a-z][a-z0-9]*) data-sourcepos="(\d+):(\d+)-(\d+):(\d+)"([^>]*)>')
_POS_ATTR = re.compile(r' data-sourcepos="[^"]*"')
_HREF = re.compile(r' (href|src)="([^"]*)"')
_INLINE_TAGS = re.compile(r'</(?:em|strong|s|code|a)>|<(?:em|strong|s|code|a|img) data-sourcepos="[^"]*"[^>]*>')
_LIST_MARKER = re.compile(r"(?:[*+-]|\d{1,9}[.)])")
_BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "li"})
# A quote with nothing but markup between it and the start or end of its paragraph, heading, cell or item:
# markdown-it-py takes the far side for a space, markdown-it.rs looks into the neighbouring block.
_QUOTE = r"(?:['‘’“”]|&quot;)"
# markup other than a block's end, footnote marks and a footnote's back-links
_SKIP = r"(?:<(?!/(?:p|h[1-6]|li|td|th)>)[^>]*+>|\[[^\]<]*+\]|[ \t]|↩\ufe0e?)*+"
_QUOTE_AT_EDGE = re.compile(
    rf"<(?:p|h[1-6]|li|td|th)\b[^>]*>{_SKIP}{_QUOTE}|{_QUOTE}{_SKIP}(?:</(?:p|h[1-6]|li|td|th)>|\n<)"
)
_BLOCK_SPLIT = re.compile(r"</?(?:p|h[1-6]|li|t[dh]|tr|blockquote|pre|ul|ol|table|section|div)[\s>/]")


def _unescape(value: str) -> str:
    """The exact inverse of markdown-it's escapeHtml."""
    return value.replace("&quot;", '"').replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&")


class _LinkOpen:
    """A link_open token as the reference's ``MarkdownRenderer._link`` reads and rewrites it: its attributes."""

    __slots__ = ("attrs",)

    def __init__(self, href: str):
        self.attrs: dict[str, str] = {"href": href}


class Fallback(Exception):
    """This body is not certain to render identically: use the reference."""


class FastPath:
    def __init__(self, allow_html: bool, reference):
        md = markdown_it_pyrs.MarkdownIt("zero")
        md.enable_many(_RUST_PLUGINS + (["html_block", "html_inline"] if allow_html else []) + _EXTRA)
        self.md = md
        self.allow_html = allow_html
        self.ref = reference  # briefgen.content.markdown, for its link rewriting and ids: one implementation of each

    def render(self, text: str, resolve: Callable | None):
        """A ``Rendered`` identical to the reference's (before sanitising), or None."""
        if (
            any(char in text for char in _SOURCE_CHARS)
            or "data-sourcepos" in text
            or _DEEP_FIRST_LINE.match(text)
            or _DEEP_LINE.search(text)
            or ("`" in text and "[" in text and _open_backticks(text))  # these panic markdown-it.rs (see _render)
            or (self.allow_html and (_HTML_RISK.search(text) or "fnref" in text or "footnote-" in text))
        ):
            return None
        if "^" in text:
            labels = _FOOTNOTE_LABEL.findall(text)
            if len(labels) != len(set(labels)) or _FOOTNOTE_INTERRUPTS.search(text) or "^[" in text:
                return None
        try:
            return self._render(text, resolve)
        except Fallback:
            return None

    def _render(self, text: str, resolve: Callable | None):
        try:
            html = self.md.render(text)
        except BaseException as exc:  # markdown-it.rs panicked (pyo3's PanicException): the reference renders it.
            # Rust's panic hook has already written its message to stderr by now, so render() declines the
            # one kind of text known to panic (a backtick inside [...] that no later backticks close) before it
            # gets here.
            if type(exc).__name__ != "PanicException":
                raise
            raise Fallback from None
        out = self.ref.Rendered("")
        lines = text.split("\n")
        tags = list(_TAG.finditer(html))
        blocks, depth_ok = self._structure(tags)
        if not depth_ok:
            raise Fallback
        new: dict[int, str] = {}
        used: dict[str, int] = {}
        for i, m in enumerate(tags):
            if m[1][0] == "h" and len(m[1]) == 2 and m[1][1].isdigit():
                new[i] = self._heading(m, html, lines, used, out)
        for i, m in enumerate(tags):
            if m[1] == "a":
                new[i] = self._link(m, blocks[i], lines, resolve, out)
            elif m[1] == "table" and int(m[2]) > 1 and lines[int(m[2]) - 2].strip():
                raise Fallback  # right under a line of text: markdown-it-py may read it as that paragraph's lazy lines
            elif m[1] == "img":
                _check_image(m, lines, self.ref.safe_url)
            elif m[1] == "code" and not html.endswith("<pre>", 0, m.start()):
                _check_code_span(m, html, lines)
        parts, at = [], 0
        for i, m in enumerate(tags):
            parts.append(html[at : m.start()])
            parts.append(new.get(i) or f"<{m[1]}{m[6]}>")
            at = m.end()
            if m[1] == "li" and m[6].endswith(' class="footnote-item"') and html.startswith("\n", at):
                at += 1  # the reference writes a footnote's first block straight after <li ...>
        parts.append(html[at:])
        html = "".join(parts)
        if "footnote-" in html:
            _check_footnotes(html)
        if "<blockquote>\n</blockquote>" in html or not _quotes_fine(html):
            raise Fallback
        out.html = html
        return out

    @staticmethod
    def _structure(tags: list[re.Match]) -> tuple[list, bool]:
        """For each tag, the innermost block around it (itself included); and whether nesting stays shallow.

        Elements nest by source range; one that starts after the top of the
        stack ends is not inside it.
        """
        stack: list[tuple[tuple[int, int], tuple | None]] = []  # (end, innermost block: (tag, line, col))
        blocks = []
        for m in tags:
            start = (int(m[2]), int(m[3]))
            while stack and stack[-1][0] < start:
                stack.pop()
            block = (m[1], start[0], start[1]) if m[1] in _BLOCKS else (stack[-1][1] if stack else None)
            stack.append(((int(m[4]), int(m[5])), block))
            if len(stack) >= MAX_DEPTH:
                return blocks, False
            blocks.append(block)
        return blocks, True

    def _heading(self, m: re.Match, html: str, lines: list[str], used: dict, out) -> str:
        tag, line, col, end_line = m[1], int(m[2]), int(m[3]), int(m[4])
        close = html.find(f"</{tag}>", m.end())
        inner = html[m.end() : close]
        if close < 0 or "\n" in inner or m[6]:
            raise Fallback
        title = _INLINE_TAGS.sub("", inner)
        if "<" in title:  # a footnote, a line break or raw HTML: not worked out here
            raise Fallback
        source = lines[line - 1]
        if source[: col - 1].strip(" ") or "\t" in source:
            raise Fallback  # inside a container, or tabs (columns would need expanding)
        if end_line == line:
            content = _atx_content(source, col - 1)
        elif end_line == line + 1:
            content = mdTrim(source)
        else:
            raise Fallback
        slug = self.ref.unique_heading_id(_unescape(title), used, out.ids)
        level = int(tag[1])
        if level in self.ref.TOC_LEVELS:
            out.headings.append((level, slug, content))
        return f'<{tag} id="{escapeHtml(slug)}">'

    def _link(self, m: re.Match, block, lines: list[str], resolve, out) -> str:
        found = _HREF.match(m[6])
        if found is None or block is None:
            raise Fallback
        href = _unescape(found[2])
        if not self.ref.safe_url(href):
            raise Fallback  # the reference leaves it as text
        name, line, col = block
        if name == "li":  # a tight item: certain only for a link on the item's first line, after the marker
            rest = lines[line - 1][col - 1 :]
            marker = _LIST_MARKER.match(rest)
            if int(m[2]) != line or marker is None or not rest[marker.end() :].strip() or "\t" in rest:
                raise Fallback
        token = _LinkOpen(href)
        self.ref.MarkdownRenderer._link(token, line - 1, resolve, out)
        rel = f' rel="{escapeHtml(token.attrs["rel"])}"' if "rel" in token.attrs else ""
        return f'<a href="{escapeHtml(str(token.attrs["href"]))}"{m[6][found.end() :]}{rel}>'


_BACKTICKS = re.compile(r"`+")
_FENCE_LINE = re.compile(r" {0,3}```+[^`]*")


def _open_backticks(text: str) -> bool:
    """True where a run of backticks may close nowhere in its inline text (markdown-it.rs 0.6 panics on
    one inside a link's text: ``[`](x)``, ``[x `y](z)``, ``![`](p)``).

    Judged line by line, which is stricter than Markdown's paragraphs: a run counts as closed only by a later
    run of the same length on its own line, and a line with ``|`` (table cells split it) always counts as
    open, as does one with an escaped backtick. Text this declines goes to markdown-it-py, which renders it correctly."""
    for line in text.split("\n"):
        if "`" not in line or _FENCE_LINE.fullmatch(line):  # a code fence's line holds no inline text
            continue
        if "|" in line or "\\`" in line:  # an escaped backtick closes nothing and may open a shorter run
            return True
        runs = [len(run) for run in _BACKTICKS.findall(line)]
        while runs:
            length = runs.pop(0)
            if length not in runs:
                return True
            del runs[: runs.index(length) + 1]  # what lies between is inside the code span
    return False


def _atx_content(line: str, pos: int) -> str:
    """The inline content of an ATX heading whose ``#`` is at ``pos``: markdown-it-py's heading rule."""
    while pos < len(line) and line[pos] == "#":
        pos += 1
    maximum = len(line)
    while maximum > pos and line[maximum - 1] in " \t":
        maximum -= 1
    tmp = maximum
    while tmp > pos and line[tmp - 1] == "#":
        tmp -= 1
    if tmp > pos and line[tmp - 1] in " \t":
        maximum = tmp
    return mdTrim(line[pos:maximum])


def _check_footnotes(html: str) -> None:
    """Notes numbered as markdown-it-py numbers them: in citation order, each cited once, no back-link astray."""
    order = _FOOTNOTE_REF.findall(html)  # a note cited twice: markdown-it-py writes fnref1:1, markdown-it.rs fnref2
    if order != [str(n) for n in range(1, len(order) + 1)] or _NOTE_ITEM.findall(html) != order:
        raise Fallback
    notes = html.find('<section class="footnotes">')
    if notes >= 0 and "footnote-ref" in html[notes:]:
        raise Fallback  # a note cited from a note: the back-links differ
    if sorted(_BACKREF.findall(html)) != sorted(_REF_ID.findall(html)):
        raise Fallback  # back-links to citations that are not rendered (the reference drops them)


def _check_image(m: re.Match, lines: list[str], safe_url: Callable) -> None:
    """markdown-it-py leaves alt text as written; markdown-it.rs typesets it: only images with nothing to typeset."""
    if not safe_url(_unescape(_HREF.search(m[6])[2])):
        raise Fallback  # the reference leaves the image as text
    line, col, end_line, end_col = int(m[2]), int(m[3]), int(m[4]), int(m[5])
    if end_line != line or _TYPESET.search(lines[line - 1], col - 1, end_col):
        raise Fallback


def _check_code_span(m: re.Match, html: str, lines: list[str]) -> None:
    """markdown-it.rs applies smartquotes and replacements inside code spans: the text must be the source's."""
    line, col, end_line, end_col = int(m[2]), int(m[3]), int(m[4]), int(m[5])
    source = lines[line - 1]
    if end_line != line or "\t" in source:
        raise Fallback
    raw = source[col - 1 : end_col]
    ticks = len(raw) - len(raw.lstrip("`"))
    content = raw[ticks:-ticks]
    if content.startswith(" ") and content.endswith(" ") and content.strip(" "):
        content = content[1:-1]
    if not html.startswith(escapeHtml(content) + "</code>", m.end()):
        raise Fallback


def _quotes_fine(html: str) -> bool:
    """True if markdown-it.rs cannot have judged a quote by another block (see the module docstring)."""
    if "'" not in html and "&quot;" not in html and "’" not in html and "“" not in html and "”" not in html:
        return "‘" not in html
    if _QUOTE_AT_EDGE.search(html):
        return False
    if "“" not in html and "‘" not in html and "”" not in html:
        return True
    for block in _BLOCK_SPLIT.split(html):
        double = 0
        single = 0
        for ch in block:
            if ch == "“":
                double += 1
            elif ch == "”":
                double -= 1
                if double < 0:
                    return False
            elif ch == "‘":
                single += 1
            elif ch == "’" and single:
                single -= 1
        if double or single:
            return False
    return True
