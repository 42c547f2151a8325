"""One Atom ``<entry>`` as text, the same characters feedgenerator's ``Atom1Feed`` writes for it.

feedgenerator writes an entry through a SAX generator: a dozen method calls per
element, each attribute sorted into a new dict, and the article's body handed
through ``characters``. At 4,000 articles that was about a third of the feeds'
time, for ~4,000 entries of ten elements. Here the same elements are joined as
strings, with the pieces that decide the bytes taken from the libraries
themselves: ``xml.sax.saxutils.escape`` for text, ``quoteattr`` for attribute
values, feedgenerator's ``rfc3339_date`` and ``iri_to_uri``, and its check for
the control characters XML 1.0 cannot carry (``UnserializableContentError``, as
``SimplerXMLGenerator.characters`` raises it). What ``short_empty_elements``
does is written out: an element without text (``None`` or ``""``) is ``<x/>``.

``tests/test_atom_entry.py`` holds it to feedgenerator's bytes for generated
entries (odd characters, quotes, empty fields, time zones, control characters)
and for real feeds, and reads both with feedparser and an XML parser.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from xml.sax.saxutils import escape, quoteattr

from feedgenerator.django.utils.encoding import iri_to_uri
from feedgenerator.django.utils.feedgenerator import rfc3339_date
from feedgenerator.django.utils.xmlutils import UnserializableContentError

# what SimplerXMLGenerator.characters refuses (it searches each text with this pattern): the same characters as
# bytes, which UTF-8 writes as themselves and never inside another character's bytes; deleting them from the
# text's bytes is four times quicker than the search, on an article's body
_CONTROL = re.compile(r"[\x00-\x08\x0B-\x0C\x0E-\x1F]")
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])


def has_control(text: str) -> bool:
    """``_CONTROL.search(text)`` is not None ("surrogatepass": a lone surrogate is no control character)."""
    data = text.encode("utf-8", "surrogatepass")
    return len(data.translate(None, _CONTROL_BYTES)) != len(data)


def _element(name: str, text: str | None, attrs: str = "") -> str:
    """``SimplerXMLGenerator.addQuickElement(name, text, ...)``, with the attributes already written."""
    if not text:
        return f"<{name}{attrs}/>"
    if has_control(text):
        raise UnserializableContentError("Control characters are not supported in XML 1.0")
    return f"<{name}{attrs}>{escape(text)}</{name}>"


def link_element(link: str) -> str:
    """An entry's link to its page, as ``entry_xml`` writes it (attributes sorted, as feedgenerator does)."""
    return f'<link href={quoteattr(iri_to_uri(link))} rel="alternate"/>'


def entry_xml(
    *,
    title: str,
    link: str,
    description: str | None,
    content: str | None,
    author_name: str | None,
    pubdate: dt.datetime | dt.date,
    updateddate: dt.datetime | dt.date,
    unique_id: str,
    categories: Iterable[str] = (),
) -> str:
    """What ``Atom1Feed.write_items`` writes for one ``add_item(...)`` of these fields (and no others: no
    email, author link, enclosures or rights), both dates given."""
    parts = [
        "<entry>" + _element("title", title),  # item_attributes: none
        link_element(link),
        _element("published", rfc3339_date(pubdate)),
        _element("updated", rfc3339_date(updateddate)),
    ]
    if author_name is not None:
        parts.append("<author>" + _element("name", author_name) + "</author>")
    parts.append(_element("id", unique_id))
    if description is not None:
        parts.append(_element("summary", description, ' type="html"'))
    if content is not None:
        parts.append(_element("content", content, ' type="html"'))
    parts.extend(f"<category term={quoteattr(c)}/>" for c in categories)
    parts.append("</entry>")
    return "".join(parts)
