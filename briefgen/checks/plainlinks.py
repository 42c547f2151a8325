"""The link check's quick pass over the plainest links of a page it has not met before at that depth.

A page that lists thousands of articles (the search page, the claims ledger, a topic's pages and its pack) has
thousands of link values no page as deep had: ``../../articles/x/`` up to the root and down by plain names, to a
folder's page, and its own ``#anchors``. For such a value the general way (``_LinkCheck.resolve``: decode, split,
join, the verdict) answers "fine" exactly when the file it names is one of the files (or the anchor one of the
page's ids): asked here directly, a value at a time. What is not plainly fine is left to the general way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container

# Letters, digits, "_" and "-" to start each name (never "." or ".."), "." too after: no "%", "&", ":", "?", "#",
# space or control character that the general way decodes, splits, strips or unquotes; ASCII, decoded as it is.
_NAME = rb"[A-Za-z0-9_-][A-Za-z0-9_.-]*"
_ANCHOR = re.compile(rb"#" + _NAME)
_DOWN: dict[int, re.Pattern] = {}  # depth -> the plain links to a folder's page, up to the root first


def _down(depth: int) -> re.Pattern:
    if depth not in _DOWN:  # at the root, at least one name: an empty value is a link to the page itself
        _DOWN[depth] = re.compile(rb"(?:\.\./){%d}(?:%s/)%s" % (depth, _NAME, b"+" if depth == 0 else b"*"))
    return _DOWN[depth]


def pass_plain(rest: set, depth: int, files: Container[str], own: str, ids: Callable, settled: set) -> None:
    """Take out of ``rest`` (link values, as ``links_in`` gives them) those plainly fine on the page ``own`` at
    ``depth`` (>= 0): a link to a folder's page in ``files`` (kept in ``settled``: fine on any page as deep) or to
    an anchor among the page's ids (``ids()``: its ``Ids``), on a page in ``files``."""
    down, up = _down(depth), 3 * depth
    anchors = False  # not asked yet; None: some id not double-quoted, or no such page
    fine, here = [], []
    for match in rest:
        value, single, bare = match
        if single or bare:
            continue
        if value[:1] == b"#":
            if anchors is False:
                anchors = ids().values if own in files else None
            if anchors is not None and value[1:] in anchors and _ANCHOR.fullmatch(value):
                here.append(match)
        elif down.fullmatch(value) and value[up:].decode() + "index.html" in files:
            fine.append(match)
    settled.update(fine)
    rest.difference_update(fine)
    rest.difference_update(here)
