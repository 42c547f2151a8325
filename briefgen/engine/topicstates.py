"""What the review and the change history worked out from unchanged reports, kept beside the stored model.

Every build reviews each report (``editorial.Review.article``), looks for each topic's origins
(``editorial.origins``) and, when it records changes, works out what each topic asserts
(``changes.topic_state``) to compare it with the last build's: at 4,000 articles, a third of loading an edit.
A report's review is made from that report alone and the parties; a topic's origins and state from its
reports, in their order, the parties, the topic's own file and the site's time zone. After an edit of one
report, the others' reviews and every topic that report is not in come out as they did.

So a build that made the stored model (``storedmodel``) keeps them in ``NAME``, with the token of that model's
index (a new one each time the index is written) and, for each topic, a digest of its reports' paths in
order. Of a topic's state it keeps a digest: the state itself is in the history that build wrote, which the
next build reads anyway, and a state read from there with the digest kept is the one worked out then
(decoding 2 MB of states at 4,000 articles cost more than encoding them to check their digests).

A build whose site came from that same index (the token matches: the same records, and the same topic,
party and config files, flags and clock, or the index would not have been used) takes a report's review
when the report was made from its stored record (a ``StoredArticle``: its file did not change), and a
topic's origins and state when every report of the topic was made from its stored record and they are the
ones listed, in that order; everything else is worked out again, as always. A file that is missing,
unreadable, damaged or of another index is none: everything is worked out, silently, and the file is
written again.
"""

from __future__ import annotations

import contextlib
import hashlib

import msgspec

from briefgen.content.stored import StoredArticle
from briefgen.engine.cachedata import CACHE_DIR, read_checked, write_checked
from briefgen.engine.environment import code_fingerprint
from briefgen.problems import Problem

MAGIC = b"briefgen-carried 1\n"
NAME = "model.carried.msgpack"  # beside the model's files (not one of its shards, model-NN)


class TopicR(msgspec.Struct, array_like=True):
    reports: bytes  # a digest of its reports' paths, newest first (``_reports``)
    origins: list[str] | None  # the ids ``editorial.origins`` found, in order; None: not worked out
    state: bytes  # a digest of its ``changes.topic_state`` (``_digest``); empty: not worked out


class CarriedR(msgspec.Struct, array_like=True):
    token: str  # the stored model's index these are of (``ModelR.token``)
    reviews: dict[str, list[tuple[int | None, str, str | None]]]  # report path -> its warnings (line, message, hint)
    topics: dict[str, TopicR]


_decoder = msgspec.msgpack.Decoder(CarriedR)
_encoder = msgspec.msgpack.Encoder()


def _digest(state) -> bytes:
    """What identifies a topic's state: its values, their types (msgpack tells an int from a float) and the order
    of its keys (the history file keeps it)."""
    try:
        return hashlib.blake2b(_encoder.encode(state), digest_size=16).digest()
    except (TypeError, ValueError, OverflowError, msgspec.MsgspecError):  # a value msgpack cannot keep
        return b""


def _reports(articles: list) -> bytes:
    paths = "\0".join([a.path for a in articles]).encode("utf-8", "surrogatepass")  # no path holds a NUL
    return hashlib.blake2b(paths, digest_size=16).digest()


class TopicStates:
    """The carried results of ``model`` (a ``StoredModel``): ``review``, ``origins`` and ``state`` give the stored
    ones of an unchanged report or topic (else None), ``reviewed``, ``found`` and ``worked_out`` note this build's,
    and ``keep`` writes them for the index on disk now. Each asks the model which index the site came from
    (``model.used``) and which is on disk (``model.token``) once the load is done."""

    def __init__(self, model):
        self.model = model
        self.path = model.folder / NAME
        self._stored: CarriedR | None = None
        self._clean: dict[str, bool] = {}  # slug -> whether the topic is as stored
        self._paths: dict[str, tuple] = {}  # slug -> (its list of reports, its length, ``_reports`` of it)
        self.reviews: dict[str, list] = {}
        self.origin_ids: dict[str, list[str]] = {}
        self.states: dict[str, bytes] = {}  # slug -> its state's digest
        self.fresh = False  # something was worked out anew: ``keep`` writes the file

    def _entries(self) -> CarriedR:
        if self._stored is None:
            self._stored = CarriedR("", {}, {})
            used = self.model.used
            if used is not None:
                try:
                    found = read_checked(self.path, MAGIC, code_fingerprint(), _decoder.decode)
                except FileNotFoundError:
                    found = None
                except Exception as exc:  # noqa: BLE001 - damaged, planted, of another version: work them all out
                    found = None
                    why = f"cannot be read ({exc.strerror})" if isinstance(exc, OSError) else "is unusable"
                    self.model.notes.append(f"{CACHE_DIR}/{NAME} {why}; ignoring it and reviewing every report")
                if found is not None and found.token == used:
                    self._stored = found
        return self._stored

    def _topic(self, topic) -> TopicR | None:
        """``topic``'s stored entry if none of its inputs changed since it was stored."""
        entry = self._entries().topics.get(topic.slug)
        if entry is None:
            return None
        clean = self._clean.get(topic.slug)
        if clean is None:
            articles = topic.articles
            clean = all(type(a) is StoredArticle for a in articles) and self._reports(topic) == entry.reports
            self._clean[topic.slug] = clean
        return entry if clean else None

    def _reports(self, topic) -> bytes:
        """``_reports`` of the topic's reports (worked out once: the lists are final once the review starts)."""
        found = self._paths.get(topic.slug)
        if found is None or found[0] is not topic.articles or found[1] != len(topic.articles):
            found = self._paths[topic.slug] = (topic.articles, len(topic.articles), _reports(topic.articles))
        return found[2]

    # --- the review ---------------------------------------------------------------------------

    def review(self, article) -> list[Problem] | None:
        """``article``'s review warnings as the last build found them, if its file did not change; else None."""
        if type(article) is not StoredArticle:
            return None
        found = self._entries().reviews.get(article.path)
        if found is None:
            return None
        self.reviews[article.path] = found
        path = article.path
        return [Problem(path, line, message, hint, "warning") for line, message, hint in found]

    def reviewed(self, article, warnings: list[Problem]) -> None:
        self.fresh = True
        self.reviews[article.path] = [(p.line, p.message, p.hint) for p in warnings]

    def origins(self, topic, parties: dict) -> dict | None:
        """``editorial.origins(topic)`` as the last build found it, if none of its inputs changed; else None."""
        entry = self._topic(topic)
        if entry is None or entry.origins is None:
            return None
        try:
            found = {key: parties[key] for key in entry.origins}
        except KeyError:
            return None
        self.origin_ids[topic.slug] = entry.origins
        return found

    def found(self, topic, origins: dict) -> None:
        self.fresh = True
        self.origin_ids[topic.slug] = list(origins)

    # --- the change history -------------------------------------------------------------------

    def state(self, topic, before) -> dict | None:
        """``before`` (``topic``'s state in the last history, as read) if none of the topic's inputs changed since
        the last build worked its state out and it is that state, value for value, type for type, key for key;
        else None. (The file keeps a digest of each state, not the state: the history holds it.)"""
        if not isinstance(before, dict):
            return None
        entry = self._topic(topic)
        if entry is None or not entry.state or _digest(before) != entry.state:
            return None
        self.states[topic.slug] = entry.state
        return before

    def worked_out(self, topic, state: dict) -> None:
        self.fresh = True
        self.states[topic.slug] = _digest(state)

    # --- writing --------------------------------------------------------------------------------

    def keep(self, site) -> None:
        """Write what this build worked out or carried, for the index on disk now (nothing when that is the
        index the site came from and everything was carried: the file already holds it)."""
        token = self.model.token
        if token is None:
            self._remove()
            return
        if token == self.model.used and not self.fresh:
            return
        reviews = {a.path: self.reviews[a.path] for a in site.articles if a.path in self.reviews}
        topics = {
            slug: TopicR(self._reports(topic), self.origin_ids.get(slug), self.states.get(slug, b""))
            for slug, topic in site.topics.items()
        }
        try:
            payload = _encoder.encode(CarriedR(token, reviews, topics))
            write_checked(self.path, MAGIC, code_fingerprint(), None, payload)
        except (TypeError, ValueError, OverflowError, msgspec.MsgspecError, OSError):
            self._remove()

    def _remove(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()
