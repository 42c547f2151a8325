"""Editorial review: what a desk editor would send back before a briefing goes out.

These are warnings, not errors: the content is valid, but a reader would be
worse served. ``briefgen build`` and ``briefgen check`` both print them (they
run on the same load path); ``--strict`` makes them errors. Each is reported
at the line that needs the fix.

- a figure without ``as_of``: a number without a date cannot be compared or trusted;
- a quote without a date (``said:``) or a place (``where:``);
- a bottom line (topic ``summary``) longer than three sentences;
- estimative language (likely, probably, almost certainly, ...) in a summary
  without a stated ``confidence:``: the words of probability in the ICD 203
  and UK PHIA yardsticks promise a judgement, so the reader should know how
  firm it is;
- a developing topic with no article for ``stale_after_days`` before the
  site's newest content (the "now" of ``briefgen.content.clock``, never the wall
  clock): marked stale on its page;
- a topic whose sources all come from one originator: flagged one-sided on
  its page, because a reader should know the account has a single origin.

Besides warning, ``review`` sets ``Topic.stale`` and ``Topic.one_sided`` for the theme.
"""

from __future__ import annotations

import datetime as dt
import re

from briefgen.content.clock import content_now
from briefgen.content.model import Article, Party, Site, Topic
from briefgen.problems import Problems

MAX_BOTTOM_LINE_SENTENCES = 3

# Longest phrases first, so "highly likely" is reported as itself, not as "likely".
ESTIMATIVE_PHRASES = (
    "almost certainly",
    "almost no chance",
    "highly unlikely",
    "highly likely",
    "very unlikely",
    "very likely",
    "roughly even chance",
    "realistic possibility",
    "remote chance",
    "in all likelihood",
    "we assess",
    "we judge",
    "we estimate",
    "unlikely",
    "likely",
    "probably",
    "probable",
    "improbable",
)
ESTIMATIVE = re.compile(
    r"\b(" + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in ESTIMATIVE_PHRASES) + r")\b", re.I
)

# Abbreviations that end with a full stop but do not end a sentence.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st gen lt col maj capt sgt sen rep gov pres vs etc e.g i.e u.s u.k u.n a.m p.m "
    "jan feb mar apr jun jul aug sep sept oct nov dec approx est inc ltd co corp dept fig".split()
)
_SENTENCE_END = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s+[\"'\u201c\u2018(\[]?[A-Z0-9])")


def sentences(text: str) -> list[str]:
    """Split prose into sentences; abbreviations (U.S., Gen.) and initials (J. Smith) do not end one."""
    out, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        before = text[start : m.start()].split()
        last = before[-1].rstrip(".").casefold() if before else ""
        if m.group().startswith(".") and (last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())):
            continue
        out.append(text[start : m.end()].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


# Every estimative phrase contains one of these; most summaries contain none, and ``in`` is far cheaper than
# the regular expression. Only for ASCII text: re.IGNORECASE also matches letters such as the long s (U+017F).
_ESTIMATIVE_STEMS = ("likel", "probab", "certain", "chance", "possib", "assess", "judg", "estimat")
assert all(any(stem in p for stem in _ESTIMATIVE_STEMS) for p in ESTIMATIVE_PHRASES)


def estimative_words(text: str) -> list[str]:
    """The words of estimative probability in ``text``, in order, each once."""
    if text.isascii():
        lower = text.lower()
        if not any(stem in lower for stem in _ESTIMATIVE_STEMS):
            return []
    found = [" ".join(m.group(1).lower().split()) for m in ESTIMATIVE.finditer(text)]
    return list(dict.fromkeys(found))


def _fmt_day(value: dt.date | dt.datetime) -> str:
    return f"{value.day} {value:%b %Y}"


def origins(topic: Topic) -> dict[str, Party]:
    """Where a topic's reporting comes from: the originators it cites, else the outlets.

    An outlet carries what an originator (an air force's Facebook page, a
    ministry's statement) said; when an article names originators, those are
    its origins. An article that cites only outlets counts the outlets.
    """
    found: dict[str, Party] = {}
    for article in topic.articles:
        originators = [c.source for c in article.citations if c.source.kind == "originator"]
        originators += [x.via for x in article.quotes + article.figures if x.via and x.via.kind == "originator"]
        originators += [x.by for x in article.figures + article.claims if x.by.kind == "originator"]
        if not originators:
            originators = [c.source for c in article.citations]
        for party in originators:
            found.setdefault(party.id, party)
    return found


class Review:
    def __init__(self, site: Site, problems: Problems, carried=None):
        self.site = site
        self.problems = problems
        self.now = content_now(site)
        self.carried = carried

    def article(self, article: Article) -> None:
        for f in article.figures:
            if f.as_of is None:
                self.problems.warn(
                    article.path,
                    f.line,
                    f"figure {f.id!r} has no as_of date",
                    "add as_of: the date the number was true, e.g. as_of: 2025-02-23",
                )
        for q in article.quotes:
            missing = [
                what
                for what, value in (("date (said:)", q.said or q.undated), ("place (where:)", q.where))
                if not value
            ]
            if missing:
                self.problems.warn(
                    article.path,
                    q.line,
                    f"quote by {q.speaker.name} has no {' and no '.join(missing)}",
                    "say when and where it was said, so a reader can weigh it (undated: true when the source gives no date)",
                )
        self.estimative(article.path, article.lines.get("summary"), article.summary, article.confidence, "summary")

    def estimative(self, path: str, line: int | None, text: str, confidence: str | None, what: str) -> None:
        words = estimative_words(text)
        if words and not confidence:
            listed = ", ".join(f"'{w}'" for w in words)
            self.problems.warn(
                path,
                line,
                f"the {what} makes a judgement ({listed}) without a stated confidence",
                "add confidence: low, moderate or high, or state the fact without estimative words",
            )

    def topic(self, topic: Topic) -> None:
        summary_line = topic.lines.get("summary")
        count = len(sentences(topic.meta.summary))
        if count > MAX_BOTTOM_LINE_SENTENCES:
            self.problems.warn(
                topic.path,
                summary_line,
                f"the bottom line has {count} sentences, more than {MAX_BOTTOM_LINE_SENTENCES}",
                "keep the summary to what a busy reader must know; move the rest to why_it_matters",
            )
        self.estimative(topic.path, summary_line, topic.meta.summary, topic.meta.confidence, "bottom line")
        self.staleness(topic)
        if not self.problems.errors:  # with a report rejected, its sources are missing: no conclusion to draw
            self.sources(topic)
        self.key_quotes(topic)

    def key_quotes(self, topic: Topic) -> None:
        """The core has room for three key quotes: an editor marking more should choose."""
        from briefgen.briefing.briefing import MAX_KEY_QUOTES

        keys = [q for a in topic.articles for q in a.quotes if q.key]
        if len(keys) > MAX_KEY_QUOTES:
            where = ", ".join(sorted({f"{q.article.path}:{q.line}" for q in keys}))
            self.problems.warn(
                topic.path,
                None,
                f"{len(keys)} key quotes for this topic, more than {MAX_KEY_QUOTES}: the core shows the first three",
                f"keep key: on the three that matter most, or rank them key: 1-3 ({where})",
            )

    def staleness(self, topic: Topic) -> None:
        days = self.site.config.stale_after_days
        if topic.meta.status != "developing" or topic.updated is None or self.now is None:
            return
        idle = self.now - topic.updated
        if idle > dt.timedelta(days=days):
            topic.stale = True
            self.problems.warn(
                topic.path,
                topic.lines.get("status"),
                f"no new article for {idle.days} days (last on {_fmt_day(topic.updated)}, newest content "
                f"{_fmt_day(self.now)}); the topic page says 'No recent updates'",
                f"file an update, set status: dormant or concluded, or raise stale_after_days ({days})",
            )

    def sources(self, topic: Topic) -> None:
        found = self.carried.origins(topic, self.site.parties) if self.carried is not None else None
        if found is None:
            found = origins(topic)
            if self.carried is not None:
                self.carried.found(topic, found)
        if len(found) != 1:
            return
        (only,) = found.values()
        topic.one_sided = only
        what = "originator" if only.kind == "originator" else "source"  # an outlet is not where a claim began
        self.problems.warn(
            topic.path,
            topic.lines.get("title"),
            f"every source of this topic comes from one {what}, {only.name}; the page flags it one-sided",
            "cite an independent source, or say in the bottom line that the account has a single origin",
        )


def review(site: Site, problems: Problems, carried=None) -> None:
    """Warn about every editorial problem in ``site``; mark stale and one-sided topics. ``carried``
    (``engine.topicstates.TopicStates``) gives a report's warnings and a topic's origins as the last build found
    them when none of their inputs changed, and notes the others' for the next build."""
    r = Review(site, problems, carried)
    for article in site.articles:
        found = carried.review(article) if carried is not None else None
        if found is not None:
            problems.items.extend(found)
            continue
        start = len(problems.items)
        r.article(article)
        if carried is not None:
            carried.reviewed(article, problems.items[start:])
    for topic in site.topics.values():
        r.topic(topic)
