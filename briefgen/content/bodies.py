"""Article bodies: render every Markdown body and resolve its links to other content files.

Bodies are rendered after every reference is linked (``briefgen.content.link``): a body can link to any
other article or topic by its file, so every slug must be known first. A link to a file resolves to that
file's page; a link to a heading of another article (``other.md#why``) is checked against the headings
that article's body has.
"""

from __future__ import annotations

import difflib
import posixpath
import unicodedata
from collections import Counter
from urllib.parse import unquote, urlsplit

from briefgen.content.markdown import HEADING_PREFIX, MarkdownRenderer
from briefgen.content.model import Article, Site
from briefgen.problems import Problems


def render_bodies(site: Site, loader, problems: Problems) -> dict:
    """Render every body; resolve links to other content files, then check their #anchors. Returns each
    body as rendered (``markdown.Rendered``), by article path.

    ``loader`` is the ``briefgen.content.load.Loader`` that read the site: its project (where images are),
    the paths of every article file, and its memo. With ``loader.memo`` (the build cache) bodies come from
    it, those it lacks rendered on every core first.
    """
    renderer = MarkdownRenderer(allow_html=site.config.markdown.allow_html)
    targets = ContentTargets(site, getattr(loader, "article_paths", []))
    memo = getattr(loader, "memo", None)
    if memo is not None:
        memo.done_with(problems, "yaml", "parsed")  # every article is read: a one-off build saves and frees them
        memo.prefetch_bodies(renderer, site.articles, targets.resolver)
    rendered = {a.path: render_body(a, renderer, targets, loader, site, problems) for a in site.articles}
    for article in site.articles:
        check_anchors(article, rendered[article.path].content_links, rendered, targets, problems)
    if memo is not None:
        memo.done_with(problems, "markdown")
    return rendered


def render_body(article: Article, renderer, targets: ContentTargets, loader, site: Site, problems: Problems):
    """Render ``article``'s body (with ``loader.memo`` if any) into it; report its problems; return it."""
    memo = getattr(loader, "memo", None)
    if memo is not None:
        out = memo.render(renderer, article.body_md, targets.resolver(article))
    else:
        out = renderer.render(article.body_md, targets.resolver(article))
    article.body_html = out.html
    article.toc = out.headings
    errors = out.errors
    if "<img " in out.html:  # images from content files: sized copies (briefgen.content.imagehtml)
        errors = errors + _body_images(article, loader, site)
    for line, message, hint in errors:
        problems.error(article.path, article.body_line + line, message, hint)
    for line, message, hint in out.warnings:
        problems.warn(article.path, article.body_line + line, message, hint)
    for line, href in out.broken:
        held = targets.held(article, href)
        problems.error(
            article.path,
            article.body_line + line,
            f"link to {href!r}: " + (f"{held}, left out of this build" if held else "no such article or topic"),
            "link to it once it is published" if held else targets.suggest(article, href),
        )
    return out


def check_anchors(article: Article, links, rendered, targets: ContentTargets, problems: Problems) -> None:
    """Every link of ``article``'s (``links``: ``Rendered.content_links``) to a heading of another article
    (``other.md#why``) names a heading that article has; ``rendered``: article path -> what has ``ids``."""
    for line, href, url in links:
        path, _, fragment = url.partition("#")
        target = targets.by_url.get(path)
        if not fragment or target is None or target.path not in rendered:
            continue  # topic pages' anchors are checked after rendering, by linkcheck
        ids = rendered[target.path].ids
        if fragment not in ids:
            close = difflib.get_close_matches(fragment, sorted(ids), n=1, cutoff=0.6)
            hint = (
                f"did you mean '#{close[0][len(HEADING_PREFIX) :]}'?"
                if close
                else (f"{target.path} has no heading with that name" if ids else f"{target.path} has no headings")
            )
            problems.error(
                article.path,
                article.body_line + line,
                f"link to {href!r}: no heading #{fragment.removeprefix(HEADING_PREFIX)} in {target.path}",
                hint,
            )


def _body_images(article: Article, loader, site: Site) -> list[tuple[int, str, str]]:
    from briefgen.content.imagehtml import body_images

    project = loader.project
    html, pictures, errors = body_images(
        article.body_html,
        article.body_md,
        article.path,
        str(project.content_dir),
        str(project.root),
        site.config.max_image_size,
        loader.images,
    )
    article.body_html, article.pictures = html, pictures
    return errors


class ContentTargets:
    """Where a Markdown link to a content file (``other.md``, ``../topics/x.yaml``) goes.

    Links are resolved relative to the linking file, like a Markdown editor or
    GitHub would; a bare file name that is unique among the articles also works.
    File names are compared NFC-normalised (macOS writes them decomposed).
    """

    def __init__(self, site: Site, article_paths):
        self.site = site
        articles = site.articles  # (an edit's reload makes these maps of 4,000 articles: few calls a path)
        self.articles = dict(zip(_nfc_all([a.path for a in articles]), articles, strict=True))
        self.topics = {_nfc(t.path): t for t in site.topics.values()}
        names = _nfc_all([a.path.rpartition("/")[2] for a in articles])  # each file's name (``basename``)
        count = Counter(names)
        self.by_name = {n: a for n, a in zip(names, articles, strict=True) if count[n] == 1}
        self.by_url: dict[str, Article] = {f"../{a.slug}/": a for a in articles}
        schedule = site.schedule
        left_out = (schedule.held + schedule.withdrawn) if schedule is not None else []
        shown = {a.path for a in site.articles}  # a set: held reports times articles was quadratic
        self.left_out = {_nfc(h.path): h.reason for h in left_out if h.path not in shown}
        # articles that exist but failed to load (a draft or scheduled report is not one of them)
        self.existing = set(_nfc_all(article_paths)) - self.left_out.keys()
        self.answers: dict[tuple[str, str], str | None] = {}  # (folder, target) -> answer; articles share folders

    def resolver(self, article: Article):
        """The link resolver for ``article``'s body: content file as written -> URL, or None.

        Every file it resolves a link to is recorded in ``article.links_to``: the pages that show the
        article depend on where that file's page is (``briefgen.engine.fingerprints``).
        """
        base = posixpath.dirname(article.path)
        answers = self.answers
        links_to = article.links_to

        def resolve(target: str) -> str | None:
            key = (base, target)
            found = answers.get(key)
            if found is None:
                found = answers[key] = answer(target)
            if found[1] is not None:
                links_to.add(found[1])
            return found[0]

        def answer(target: str) -> tuple[str | None, str | None]:
            rel = _nfc(posixpath.normpath(posixpath.join(base, unquote(target))))
            found = self.articles.get(rel) or self.by_name.get(_nfc(posixpath.basename(unquote(target))))
            if found is not None and target.endswith((".md", ".markdown")):
                return f"../{found.slug}/", found.path
            topic = self.topics.get(rel)
            if topic is not None:
                return f"../../{topic.url_path}", topic.path
            if rel in self.existing:
                return "../", None  # reported where that file failed to load
            return None, None

        return resolve

    def held(self, article: Article, href: str) -> str:
        """'a draft', 'a scheduled report'... when ``href`` names a report this build leaves out; else ''."""
        rel = _nfc(posixpath.normpath(posixpath.join(posixpath.dirname(article.path), unquote(urlsplit(href).path))))
        reason = self.left_out.get(rel)
        return {"draft": "a draft", "scheduled": "a scheduled report", "withdrawn": "a withdrawn report"}.get(
            reason or "", ""
        )

    def suggest(self, article: Article, href: str) -> str:
        names = [posixpath.relpath(p, posixpath.dirname(article.path)) for p in [*self.articles, *self.topics]]
        close = difflib.get_close_matches(unquote(urlsplit(href).path), names, n=1, cutoff=0.6)
        if close:
            return f"did you mean '{close[0]}'?"
        return "link to another content file by its path relative to this one, e.g. other-article.md"


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _nfc_all(texts: list[str]) -> list[str]:
    """``_nfc`` of each of ``texts`` (an ASCII text is NFC as it is)."""
    return [t if t.isascii() else unicodedata.normalize("NFC", t) for t in texts]
