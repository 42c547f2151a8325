"""A few pages of very different sizes on two cores: a rebuild's render, heaviest first.

``parallel.map_chunks`` forks workers only for many pages (``MIN_ITEMS_PER_WORKER`` each), in contiguous chunks
of about equal counts. An edit re-renders some twenty pages, and a handful of them (a large topic's page and its
briefing pack, which holds every report of the topic, the claims and sources pages) are most of the work: at
4,000 articles one pack can take 0.2 s of a 0.5 s render. Here such pages are taken heaviest first, one page a
chunk, by this process and one forked worker, each taking the next page no one has taken yet
(``parallel.shared``), so the two finish at about the same time. A page's weight is the size of the file the
last build wrote for it (rendering time grows with the bytes made) plus a fixed part for the work every page
does whatever its size. Below ``MIN_WEIGHT`` in all, a fork (tens of milliseconds at this heap size, with
the pool around it) costs more than it saves and the pages are rendered in-line, as before.

The answers are the same whichever process renders a page, in the pages' own order: ``--jobs 1`` and
``--jobs 2`` give the same bytes.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Mapping
from typing import Any

from briefgen.engine.parallel import _shared, can_fork

PAGE_WEIGHT = 400_000  # bytes' worth: what rendering any page costs besides its size (its context, <head>)
MIN_WEIGHT = 8_000_000  # bytes' worth of pages below which one process renders them all (about 0.12 s)
HEAVY = 2_000_000  # the heaviest page must be this heavy for a fork to pay (else the pages are alike)


def heaviest_first(pages: list, sizes: Mapping[str, tuple] | None, jobs: int) -> list[int] | None:
    """The indexes of ``pages``, heaviest first, when they are worth rendering on two processes; else None.

    ``sizes``: the last build's output -> (digest, size, ...), as ``rebuild.Rebuild.known`` holds it."""
    if not sizes or jobs < 2 or len(pages) < 2:
        return None
    weights = [PAGE_WEIGHT + _size(sizes.get(page.output)) for page in pages]
    if sum(weights) < MIN_WEIGHT or max(weights) < HEAVY or not can_fork():
        return None
    return sorted(range(len(pages)), key=lambda i: (-weights[i], i))


def _size(known: tuple | None) -> int:
    return known[1] if known is not None else 0


def render_weighed(work: Callable[[int, int], list], order: list[int], on_chunk: Callable[[int], None]) -> list[Any]:
    """``work(start, stop)``'s answers for every item, in order, the items taken in ``order`` one at a time by
    this process and one forked worker; ``work`` answers ``[answer]`` for one item."""
    position = {index: at for at, index in enumerate(order)}

    def one(start: int, stop: int) -> list:
        return [answer for at in range(start, stop) for answer in work(order[at], order[at] + 1)]

    frozen = gc.get_freeze_count() > 0  # the loaded site, out of the collector's passes (``rebuild``)
    try:
        parts = _shared(one, [(at, at + 1) for at in range(len(order))], 2, on_chunk)
    finally:
        if frozen:  # ``_shared`` unfreezes all it finds frozen when its workers are gone
            gc.freeze()
    answers = [part[0] for part in parts]
    return [answers[position[index]] for index in range(len(order))]
