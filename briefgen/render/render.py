"""Render: pages -> bytes, with Jinja2.

Templates come from the project's ``templates/`` first and the default theme
second (like MkDocs' ``custom_dir``), so a user overrides any template or
static file by placing one of the same name in their project. Autoescaping is
on for every template, whatever its extension.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup, escape

from briefgen import __version__
from briefgen.content.imagehtml import responsive
from briefgen.content.model import Site
from briefgen.pages.assemble import Page
from briefgen.project import Project, default_theme_dir
from briefgen.render.codegen import CODE_GENERATOR
from briefgen.render.compiled import CompiledTemplates, note_parse
from briefgen.render.contexts import ThemeTemplate
from briefgen.render.sitewide import SitewideExtension

HASHED_SUFFIXES = (".css", ".js")


# The date filters run tens of thousands of times a build and strftime was most of their cost:
# "%b %Y" is formatted once per (year, month) and the " UTC+hh:mm" suffix once per offset.
_MONTH_YEAR: dict[tuple[int, int], str] = {}
_UTC_OFFSET: dict[dt.timedelta, str] = {}


def fmt_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    key = (value.year, value.month)
    month_year = _MONTH_YEAR.get(key)
    if month_year is None:
        month_year = _MONTH_YEAR[key] = f"{value:%b %Y}"
    return f"{value.day} {month_year}"


def fmt_datetime(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if not isinstance(value, dt.datetime):
        return fmt_date(value)
    text = f"{fmt_date(value)}, {value.hour:02d}:{value.minute:02d}"
    offset = value.utcoffset()
    if offset is not None:
        suffix = _UTC_OFFSET.get(offset)
        if suffix is None:
            total = int(offset.total_seconds() // 60)
            sign = "+" if total >= 0 else "-"
            suffix = _UTC_OFFSET[offset] = f" UTC{sign}{abs(total) // 60:02d}:{abs(total) % 60:02d}"
        text += suffix
    return text


def zone_datetime(tz_name: str | None, zone_name: str):
    """The ``datetime`` filter for a site whose zone has a name readers know ("Kyiv time").

    A time in the site's zone (its offset is the zone's offset at that instant)
    reads "15:00 Kyiv time"; any other keeps its UTC offset, since the name
    would then be wrong.
    """
    if not (tz_name and zone_name):
        return fmt_datetime
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz_name)

    def fmt(value: dt.date | dt.datetime | None) -> str:
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            return fmt_datetime(value)
        if value.utcoffset() != value.astimezone(zone).utcoffset():
            return fmt_datetime(value)
        return f"{fmt_date(value)}, {value.hour:02d}:{value.minute:02d} {zone_name}"

    return fmt


_HOSTS: dict[str, str] = {}  # a source's address is cited on every report that cites it: each is split once
_HOSTS_KEPT = 65536  # addresses; past this (a serve session that runs for weeks) the memo starts again


def by_identity(fmt: Callable[[object], str]) -> Callable[[object], str]:
    """``fmt`` for a date or time, remembered per object: the same report's date is shown on its page, its
    topic's page and pack, every person's page it is listed on..., and ``isoformat``, ``strftime`` and the
    offsets were a good part of a page's filters. A date is immutable and the memo holds it (so its ``id``
    stays its own); anything else is formatted each time."""
    memo: dict[int, tuple[object, str]] = {}

    def formatted(value) -> str:
        if type(value) is not dt.datetime and type(value) is not dt.date:
            return fmt(value)
        found = memo.get(id(value))
        if found is not None and found[0] is value:
            return found[1]
        text = fmt(value)
        memo[id(value)] = (value, text)
        return text

    return formatted


def url_host(url: str | None) -> str:
    """``https://www.afp.com/en`` -> ``afp.com``: a link's visible text for an outside site."""
    if type(url) is not str:
        url = url or ""
    host = _HOSTS.get(url)
    if host is None:
        if len(_HOSTS) >= _HOSTS_KEPT:
            _HOSTS.clear()
        host = _HOSTS[url] = (urlsplit(url).hostname or "").removeprefix("www.")
    return host


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"\u201d]?\s+(?=[A-Z\"\u201c])")


def first_sentence(text: str) -> str:
    """The first sentence of a bottom line, for the home page's digest."""
    return _SENTENCE_END.split(text.strip(), maxsplit=1)[0]


def wbr_commas(value) -> Markup:
    """The text escaped, with a line-break opportunity (``<wbr>``) after each comma (long numbers)."""
    return Markup(str(escape(value)).replace(",", ",<wbr>"))  # escaping never adds or removes a comma


def fmt_iso(value: dt.date | dt.datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def fmt_number(value) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,}"
    return f"{int(value):,}"


def template_problem(exc: Exception, project: Project) -> tuple[str, int | None, str]:
    """Where a template error happened: (path, line, message), for ``path:line`` reports."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return project.rel(exc.filename or exc.name or "templates"), exc.lineno, f"template syntax error: {exc.message}"
    if isinstance(exc, jinja2.TemplateNotFound):
        return "templates", None, f"template {exc.name!r} not found"
    tb = exc.__traceback__
    path, line = "templates", None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".xml", ".j2", ".txt")):
            path, line = project.rel(filename), tb.tb_lineno
        tb = tb.tb_next
    return path, line, f"template error: {exc}"


# A relative link or form action to a folder (``topics/x/``, ``../``, ``./``, with any ?query or #fragment);
# not one that starts at the root (``/``) or names a scheme (``https:``, ``mailto:``).
_FOLDER_LINK = re.compile(r"""(\s(?:href|action)=")(?![/#?])((?:[^"#?:]*/)?(?:\.\.?)?)(?=["#?])""")
_NOT_MARKUP = re.compile(r"<script\b.*?</script\s*>|<style\b.*?</style\s*>|<!--.*?-->", re.S | re.I)


def _to_file(match: re.Match) -> str:
    path = match.group(2)
    if path.endswith("/"):
        return match.group(1) + path + "index.html"
    if path.endswith("."):  # "." or "..", alone or after a folder
        return match.group(1) + path + "/index.html"
    return match.group(0)  # a file already: feed.xml, style.css


def file_links(html: str) -> str:
    """``html`` with every relative link to a folder ending in ``index.html`` (``links: files``).

    Opened from the disk (``file://``), a browser shows a folder as a listing; with ``index.html`` it opens the
    page. Scripts, styles and comments are left as they are: what is inside them is not a link.
    """
    out, at = [], 0
    for skip in _NOT_MARKUP.finditer(html):
        out.append(_FOLDER_LINK.sub(_to_file, html[at : skip.start()]))
        out.append(skip.group(0))
        at = skip.end()
    out.append(_FOLDER_LINK.sub(_to_file, html[at:]))
    return "".join(out)


def relative_root(url_path: str) -> str:
    """'../' once per folder level: links then work at any base path."""
    return "../" * url_path.count("/")


@dataclass(frozen=True)
class StaticFile:
    source: Path
    output: str  # path inside the site, hashed for CSS/JS


def theme_dirs(project: Project) -> list[Path]:
    dirs = [project.templates_dir, default_theme_dir()]
    seen, out = set(), []
    for d in dirs:
        key = d.resolve()
        if d.is_dir() and key not in seen:
            seen.add(key)
            out.append(d)
    return out


def static_files(project: Project) -> dict[str, StaticFile]:
    """Every static file by its name; the project's files win over the theme's.

    Dot-files, dot-folders and editor backups (``~``) are never published: a
    vendored library keeps its ``.git/`` there. Files meant for the site's
    root, dot-entries included, go in ``root/`` (``briefgen.outputs.rootfiles``).
    """
    found: dict[str, StaticFile] = {}
    for base in reversed(theme_dirs(project)):
        static = base / "static"
        if not static.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(static):
            # dot-folders (a vendored library's .git/ with a token in its remote URL, .github/) are never published
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith(".") or name.endswith("~"):
                    continue
                path = Path(dirpath) / name
                rel = path.relative_to(static).as_posix()
                output = rel
                if rel.endswith(HASHED_SUFFIXES):
                    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
                    stem, dot, suffix = rel.rpartition(".")
                    output = f"{stem}.{digest}.{suffix}"
                found[rel] = StaticFile(path, "static/" + output)
    return found


COMPILED = CompiledTemplates()  # for the life of the process; the default theme's also on disk (``compiled``)


class ThemeEnvironment(jinja2.Environment):
    """Jinja's environment, noting what each template it compiles names (``referenced``) from the same parse, its
    templates making their contexts from plain dicts (``contexts.ThemeTemplate``)."""

    template_class = ThemeTemplate

    def _parse(self, source, name, filename):
        ast = super()._parse(source, name, filename)
        note_parse(source, ast)
        return ast


class PageInfo(dict):
    """The ``page`` a template sees: a dict whose keys are also attributes.

    Templates read ``page.kind`` and friends a dozen times a page; on a plain dict each
    such read is a failed attribute lookup (an exception) before Jinja tries the key.
    """

    def __init__(self, **items) -> None:
        super().__init__(items)
        self.__dict__.update(items)


# how the theme's templates are read: escaped, strict about undefined names, no reloading during a build, and
# {% sitewide %} (the header and footer rendered once per variant)
THEME_OPTIONS = dict(
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
    # every page asks for its templates (extends, import, each include) by name: a plain dict answers what
    # Jinja's LRU cache answers (a lock and a queue to reorder each time); the environment lives one build
    cache_size=-1,
    extensions=[SitewideExtension],
)


class Renderer:
    def __init__(self, site: Site, project: Project, statics: dict[str, StaticFile] | None = None):
        self.site = site
        self.project = project
        self.statics = statics if statics is not None else static_files(project)
        self.base_path = urlsplit(site.config.base_url).path or "/"
        loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(d)) for d in theme_dirs(project)])
        self.env = ThemeEnvironment(loader=loader, bytecode_cache=COMPILED, **THEME_OPTIONS)
        self.env.code_generator_class = CODE_GENERATOR  # {{ value }} escaped without a Markup per value
        self._live: frozenset[str] | None = None
        self.env.filters.update(
            # remembered for this build (this site's zone) only
            date=by_identity(fmt_date),
            datetime=by_identity(zone_datetime(site.config.timezone, site.config.timezone_name)),
            iso=by_identity(fmt_iso),
            number=fmt_number,
            wbr_commas=wbr_commas,
            live=self.live,
            host=url_host,
            first_sentence=first_sentence,
        )
        self.env.filters["pictures"] = responsive  # briefgen.content.imagehtml: srcset and WebP for body images
        all_topics = sorted(site.topics.values(), key=lambda t: t.title)
        self.env.globals.update(
            site=site.config,
            all_topics=all_topics,
            # base.html's topic strip, on every page: plain tuples, unpacked without Jinja's getattr
            topic_strip=[(t.meta.status, t.url_path, t.label) for t in all_topics],
            briefgen_version=__version__,
        )

    def absolute(self, url_path: str) -> str:
        return self.site.config.base_url + url_path

    def live(self, url: str | None) -> bool:
        """The ``live`` filter: whether a recorded change's URL still has its page (``changes.still_there``)."""
        from briefgen.briefing.changes import live_urls, still_there

        if self._live is None:
            self._live = live_urls(self.site)
        return still_there(url, self._live)

    def render(self, page: Page, head_extra: str = "") -> bytes:
        return "".join(self.render_text(page, head_extra)).encode("utf-8")

    def render_text(self, page: Page, head_extra: str = "") -> Iterator[str]:
        """The page's HTML in pieces, as the template makes them (``Template.generate``): joined and encoded as
        UTF-8, the bytes ``render`` gives. A large page (a topic's briefing pack) can so be written as it is
        made instead of being held whole, as text and again as bytes. With ``links: files`` the page is
        made whole first (``file_links`` rewrites it as one text) and comes as one piece."""
        root = self.base_path if page.kind == "notfound" else relative_root(page.url_path)

        def asset(name: str) -> str:
            static = self.statics.get(name)
            if static is None:
                raise jinja2.TemplateError(f"no static file named {name!r} in templates/static/")
            return root + static.output

        page_info = PageInfo(
            kind=page.kind,
            url_path=page.url_path,
            title=page.title,
            description=page.description,
            canonical=self.absolute(page.url_path),
        )
        template = self.env.get_template(page.template)
        pieces = template.generate(
            page=page_info, root=root, asset=asset, head_extra=Markup(head_extra), **page.context
        )
        if self.site.config.links == "files" and page.kind != "notfound":  # the 404 page is for servers only
            return iter((file_links("".join(pieces)),))
        return pieces
