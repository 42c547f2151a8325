"""The output folder as the last build left it, looked at on another core while this one loads the site.

A rebuild stats every file the last build wrote (``state.output_intact``: was one touched since?) and lists
the output folder (``listing.existing_files``: what the new site replaces) before it writes: some 5,000 stats
and 4,700 folder listings at 4,000 articles, 0.03-0.04 s of a one-article edit, while the other core idles.
Neither depends on anything the build works out, and nothing writes into the output folder until the build
swaps its new site in (it holds the project's lock). So a command-line rebuild into the folder its state
names forks a child once it has planned (``start``): the child does both and sends the answers back through
a pipe as msgpack (``forked``), then exits; the build takes them when it needs them (``Probe.intact``, ``Probe.listing``).

When the child cannot be had (one core, a process with threads, no ``fork``), or died, or sent anything but
a whole answer, the build does the same work itself: the answers are the same either way, taken a moment
earlier. A file changed in the output between the child's look and the build's write is seen as a
``write.write_site`` sees one changed after its own stat: recorded as it was when seen, so the next build
finds it touched and makes it again. The listing decides which of the user's dot-entries the swap keeps,
so it is used only while every folder it walked has the mtime the child saw (``listing.folders_as_listed``,
some 4,700 stats against 4,700 listings): a dot-entry made meanwhile (a ``.nojekyll``, a ``.well-known/``)
changes its folder's, and the build lists the folder itself; so does a folder changed within seconds before the
child looked, whose mtime a change in the same clock tick would not move (``listing.RACY_NS``). The child only reads the disk and never runs
the parent's exit.
"""

from __future__ import annotations

import os
import time
from collections import namedtuple
from pathlib import Path

import msgspec

from briefgen.engine import forked
from briefgen.engine.listing import existing_files, folders_as_listed
from briefgen.engine.state import OutputFile, output_intact

# what the build reads of an output file's ``stat`` (``write.Staging.link``, ``spare.in_place``)
Seen = namedtuple("Seen", "st_size st_mtime_ns st_ino st_dev")


class _Answer(msgspec.Struct, array_like=True):
    stats: dict[str, tuple[int, int, int, int] | None]  # each recorded output -> its stat, None: not there
    files: list[str]
    dots: list[str]
    times: dict[str, int]  # each folder listed -> its mtime before it was read (``listing.existing_files``)
    since: int  # ``time.time_ns()`` when the listing began (``listing.folders_as_listed``)


def _look(output: Path, previous: dict[str, OutputFile]) -> bytes:
    """What the child finds: every recorded output's stat and the folder's listing, encoded."""
    stats: dict[str, tuple[int, int, int, int] | None] = {}
    base = str(output) + os.sep
    for rel in previous:
        try:
            st = os.stat(base + rel)
        except OSError:
            stats[rel] = None
        else:
            stats[rel] = (st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)
    times: dict[str, int] = {}
    since = time.time_ns()
    files, dots = existing_files(output, times)
    return msgspec.msgpack.encode(_Answer(stats, sorted(files), sorted(dots), times, since))


class Probe:
    """The answers of a child forked by ``start``, read when first asked; each ``None`` when it has none."""

    def __init__(self, output: Path, previous: dict[str, OutputFile], child: forked.Forked | None):
        self.output, self.previous = output, previous
        self._child = child
        self._answer: _Answer | None = None

    def _take(self) -> _Answer | None:
        if self._child is not None:
            data = self._child.answer()
            self._child = None
            try:
                self._answer = msgspec.msgpack.decode(data, type=_Answer) if data is not None else None
            except msgspec.MsgspecError:
                self._answer = None
        return self._answer

    def intact(self, only: set[str], seen: dict) -> set[str]:
        """``state.output_intact(output, previous, only, seen)``, from the child's stats when it sent them."""
        answer = self._take()
        if answer is None or answer.stats.keys() != self.previous.keys():
            return output_intact(self.output, self.previous, only, seen)
        bad = set()
        for rel, info in self.previous.items():
            if rel not in only:
                continue
            st = answer.stats[rel]
            if st is None or st[0] != info.size or st[1] != info.mtime_ns:
                bad.add(rel)
            else:
                seen[rel] = Seen(*st)
        return bad

    def listing(self) -> tuple[set[str], set[str]] | None:
        """``listing.existing_files(output)`` as the child found it, if no folder of it has changed since; or None. (The
        swap keeps the dot-entries of this listing: one the user made after the child looked must be in it.)"""
        answer = self._take()
        if answer is None or not folders_as_listed(self.output, answer.times, answer.since):
            return None
        return set(answer.files), set(answer.dots)

    def close(self) -> None:
        """Stop reading and reap the child (it has exited, or exits on the closed pipe)."""
        if self._child is not None:
            self._child.close()
            self._child = None


def start(output: Path, previous: dict[str, OutputFile], fork: bool = True) -> Probe:
    """A probe of ``output`` (the recorded files ``previous``), with a child forked to look (``fork``) when it can
    be; without one, the probe's answers are worked out in this process when asked."""
    if not (fork and previous and os.path.isdir(output)):
        return Probe(output, previous, None)
    return Probe(output, previous, forked.start(lambda: _look(output, previous), "probe"))
