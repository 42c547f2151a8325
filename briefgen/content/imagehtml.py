"""Images in pages: the lead image of an article and images in Markdown bodies.

A body's ``![alt](file "caption")`` renders (markdown-it) as
``<img src="file" alt=".." title="..">``; ``body_images`` turns each one that
names a content file into the largest-but-one copy with its ``width`` and
``height`` and ``loading="lazy"`` (a paragraph holding only the image becomes
a ``<figure>`` with the caption), and the article page's ``pictures`` filter
then adds the ``srcset``/``sizes`` and the WebP ``<source>``. The body itself
keeps plain ``src`` attributes: the briefing pack and the feeds re-root a
body's ``src`` (not a ``srcset``) for their own addresses.
"""

from __future__ import annotations

import html
import re
from urllib.parse import unquote, urlsplit

from markupsafe import Markup, escape

from briefgen.content.images import SIZES, ImageProblem, ImageStore, Picture, picture, resolve

_IMG = re.compile(r'<img src="([^"]*)" alt="([^"]*)"(?: title="([^"]*)")?\s*/?>')
_ALONE = re.compile(r"<p>(<img data-pic=\"\d+\"[^>]*>)</p>")
_MARKED = re.compile(r'<img data-pic="(\d+)" ([^>]*)>')


def lead_image(
    meta_image, article_path: str, content_dir: str, root: str, max_bytes: int, store: ImageStore | None = None
) -> Picture:
    rel, full = resolve(article_path, meta_image.file, content_dir, root)
    return picture(rel, full, meta_image.alt, meta_image.caption, meta_image.credit, max_bytes, store)


def body_images(
    body_html: str,
    body_md: str,
    article_path: str,
    content_dir: str,
    root: str,
    max_bytes: int,
    store: ImageStore | None = None,
) -> tuple[str, list[Picture], list[tuple[int, str, str]]]:
    """(body with local images as sized copies, their pictures, (line in body, message, hint) problems)."""
    pictures: list[Picture] = []
    problems: list[tuple[int, str, str]] = []

    def replace(m: re.Match) -> str:
        src, alt, title = (html.unescape(g or "") for g in m.groups())
        parts = urlsplit(src)
        if parts.scheme or parts.netloc or src.startswith(("/", "#")) or not src:
            return m.group(0)  # a remote image, as written (the Markdown renderer checked its scheme)
        line = _line_of(body_md, src)
        if not alt.strip():
            problems.append(
                (line, f"image {src!r} has no alt text", "write what it shows: ![a map of the region](...)")
            )
            return ""
        try:
            rel, full = resolve(article_path, unquote(parts.path), content_dir, root)
            pic = picture(rel, full, alt.strip(), title.strip(), "", max_bytes, store)
        except ImageProblem as exc:
            problems.append((line, exc.message, exc.hint))
            return ""
        pictures.append(pic)
        n = len(pictures) - 1
        return (
            f'<img data-pic="{n}" src="../../{escape(pic.src)}" alt="{escape(pic.alt)}" width="{pic.width}" '
            f'height="{pic.height}" loading="lazy" decoding="async">'
        )

    out = _IMG.sub(replace, body_html)
    if pictures:
        out = _ALONE.sub(lambda m: _figure(m.group(1), pictures), out)
    return out, pictures, problems


def _figure(img: str, pictures: list[Picture]) -> str:
    pic = pictures[int(_MARKED.match(img).group(1))]
    caption = f"<figcaption>{escape(pic.caption)}</figcaption>" if pic.caption else ""
    return f'<figure class="inline-image">{img}{caption}</figure>'


def _line_of(body_md: str, src: str) -> int:
    """The body line (0-based) where ``src`` is written, for the problem's location."""
    at = body_md.find(f"]({src}")
    if at < 0:
        at = body_md.find(src)
    return body_md.count("\n", 0, at) if at >= 0 else 0


def responsive(body_html: str, article, root: str) -> Markup:
    """The ``pictures`` filter: each sized body image gets its srcset, sizes and WebP source (article page only)."""
    pictures = getattr(article, "pictures", None)
    if not pictures:
        return Markup(body_html)

    def expand(m: re.Match) -> str:
        pic = pictures[int(m.group(1))]
        return (
            f'<picture><source type="image/webp" srcset="{escape(pic.srcset("WEBP", root))}" sizes="{SIZES}">'
            f'<img srcset="{escape(pic.srcset(pic.fallback, root))}" sizes="{SIZES}" {m.group(2)}></picture>'
        )

    return Markup(_MARKED.sub(expand, body_html))
