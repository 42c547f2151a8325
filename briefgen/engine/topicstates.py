"""Each topic's state for the change history (``changes.topic_state``), kept beside the stored model.

Every build that records changes works out what each topic asserts (its articles, figures, claims, status)
to compare it with the last build's (``changes.snapshot``): at 4,000 articles, a fifth of loading an edit.
A topic's state is made from its reports, in their order, the parties and the topic's own file, and the
site's time zone: after an edit of one report, every topic that report is not in has the state it had.

So a build that made the stored model (``storedmodel``) keeps the states it worked out in ``NAME``, with the
token of that model's index (a new one each time the index is written) and, for each topic, the path of each
of its reports in order. A build whose site came from that same index (the token matches: the same records,
and the same topic, party and config files, flags and clock, or the index would not have been used) takes a
topic's state from the file when every report of the topic was made from its stored record (a
``StoredArticle``: its file did not change) and the reports are the ones listed, in that order; every
other topic's state is worked out again, as always. A file that is missing, unreadable, damaged or of
another index is none: every state is worked out, silently, and the file is written again.
"""

from __future__ import annotations

import contextlib

import msgspec

from briefgen.content.stored import StoredArticle
from briefgen.engine.cachedata import read_checked, write_checked
from briefgen.engine.environment import code_fingerprint

MAGIC = b"briefgen-topic-states 1\n"
NAME = "topic-states.msgpack"


class StatesR(msgspec.Struct, array_like=True):
    token: str  # the stored model's index these states are of (``ModelR.token``)
    topics: dict[str, tuple[list[str], msgspec.Raw]]  # slug -> (its reports' paths in order, its state)


_decoder = msgspec.msgpack.Decoder(StatesR)
_encoder = msgspec.msgpack.Encoder()


class TopicStates:
    """The topic states of ``model`` (a ``StoredModel``): ``get`` the stored state of an unchanged topic,
    ``keep`` this build's. Both ask the model which index was read (``model.used``) and which is on disk
    now (``model.token``) once the load is done."""

    def __init__(self, model):
        self.model = model
        self.path = model.folder / NAME
        self._stored: dict[str, tuple[list[str], msgspec.Raw]] | None = None
        self._taken: dict[str, msgspec.Raw] = {}  # slug -> the stored state given out, kept as it was

    def _entries(self) -> dict[str, tuple[list[str], msgspec.Raw]]:
        if self._stored is None:
            self._stored = {}
            used = self.model.used
            if used is not None:
                try:
                    found = read_checked(self.path, MAGIC, code_fingerprint(), _decoder.decode)
                except Exception:  # noqa: BLE001 - missing, damaged, of another version: work them all out
                    found = None
                if found is not None and found.token == used:
                    self._stored = found.topics
        return self._stored

    def get(self, topic) -> dict | None:
        """``topic``'s state as the last build worked it out, if none of its inputs changed; else None."""
        entry = self._entries().get(topic.slug)
        if entry is None:
            return None
        paths, raw = entry
        articles = topic.articles
        if len(paths) != len(articles):
            return None
        for article, path in zip(articles, paths):  # noqa: B905 - same length
            if type(article) is not StoredArticle or article.path != path:
                return None
        try:
            state = msgspec.msgpack.decode(raw)
        except msgspec.MsgspecError:
            return None
        if not isinstance(state, dict):
            return None
        self._taken[topic.slug] = raw
        return state

    def keep(self, topics: dict, states: dict[str, dict]) -> None:
        """Write ``states`` (slug -> state, for every topic in ``topics``) for the index on disk now."""
        token = self.model.token
        if token is None:
            self._remove()
            return
        try:
            entries = {}
            for slug, state in states.items():
                raw = self._taken.get(slug)
                if raw is None:
                    raw = msgspec.Raw(_encoder.encode(state))
                entries[slug] = ([a.path for a in topics[slug].articles], raw)
            payload = _encoder.encode(StatesR(token, entries))
        except (TypeError, ValueError, OverflowError, msgspec.MsgspecError):  # a value msgpack cannot keep
            self._remove()
            return
        try:
            write_checked(self.path, MAGIC, code_fingerprint(), None, payload)
        except OSError:
            self._remove()

    def _remove(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()
