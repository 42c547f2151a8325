"""Load: the project's files -> validated values (the config, people and sources, topics, articles).

Every problem is collected (never raised one at a time) so that a run lists
all of them; the caller decides whether errors stop the build. ``site.load_site``
runs the whole of loading, linking included.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slugify import slugify

from briefgen.content import schema
from briefgen.content.files import ContentFiles
from briefgen.content.model import Article, Correction, Party, Topic
from briefgen.content.parsed import ParsedArticles
from briefgen.content.validate import validate
from briefgen.content.yamlsource import YamlDoc, YamlProblem, load_yaml, split_front_matter
from briefgen.problems import Problems
from briefgen.project import Project

ARTICLE_SUFFIXES = (".md", ".markdown")
_TZ_HINT = "write it like 2025-02-23T11:30:00+02:00, or set timezone: in briefgen.yaml"
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class Loader(ContentFiles):
    """Reads the project's files into validated values; ``memo`` is the build database's memo stores
    (``briefgen.engine.cache.BuildCache``) or None."""

    def __init__(self, project: Project, problems: Problems, memo=None):
        super().__init__(project, problems)
        self.memo = memo  # briefgen.engine.cache.BuildCache (or None): memoised YAML parsing and Markdown
        self.articles: ParsedArticles | None = getattr(memo, "articles", None)
        self.images = getattr(memo, "images", None)  # briefgen.content.images.ImageStore: resized copies
        self.tz: dt.tzinfo | None = None
        self.config: schema.SiteConfig | None = None
        self.article_paths: list[str] = []  # every article file found, loaded or not
        # ids whose file did not load: a reference to them is not "unknown", the file's own error says why
        self.parties_failed = False
        self.topics_failed: set[str] = set()

    def yaml_file(self, path: Path) -> YamlDoc | None:
        text = self.read(path)
        if text is None:
            return None
        rel = self.rel(path)
        if not text.strip():
            self.problems.error(rel, 1, "the file is empty", "write the YAML keys, starting with 'title: ...'")
            return None
        return self.parse(text, 0, rel, whole_file=True)

    def parse(self, text: str, offset: int, rel: str, whole_file: bool = False) -> YamlDoc | None:
        try:
            if self.memo is not None:
                doc = self.memo.load_yaml(text, offset, whole_file)
            else:
                doc = load_yaml(text, offset)
        except YamlProblem as exc:
            self.problems.error(rel, exc.line, exc.message, exc.hint)
            self.problems.causes.add(rel)
            return None
        for p in doc.problems:
            self.problems.error(rel, p.line, p.message, p.hint)
        return doc

    # --- config ------------------------------------------------------------

    def load_config(self) -> schema.SiteConfig | None:
        path = self.project.config_path
        rel = self.rel(path)
        if not path.is_file():
            self.problems.error(
                rel,
                None,
                "no briefgen.yaml found",
                "run briefgen in a project folder, pass --source DIR, or create one with 'briefgen new DIR'",
            )
            return None
        doc = self.yaml_file(path)
        if doc is None:
            return None
        if not isinstance(doc.data, dict):
            self.problems.error(
                rel, 1, "briefgen.yaml must be a mapping of settings", "start with 'title: My briefing'"
            )
            return None
        config = validate(schema.SiteConfig, doc, rel, self.problems)
        if config is None:
            return None
        if config.timezone:
            try:
                self.tz = ZoneInfo(config.timezone)
            except (ZoneInfoNotFoundError, ValueError, OSError):
                self.problems.error(
                    rel,
                    doc.line(("timezone",)),
                    f"unknown time zone {config.timezone!r}",
                    "use an IANA name such as Europe/Kyiv or UTC",
                )
                return None  # every date in the content depends on it: stop here, not with a traceback later
        if not config.base_url.startswith(("http://", "https://")):
            self.problems.error(
                rel,
                doc.line(("base_url",)),
                "base_url must be an absolute http(s) URL",
                "for example https://example.org/briefs/",
            )
        elif not config.base_url.endswith("/"):
            config = config.model_copy(update={"base_url": config.base_url + "/"})
        self.config = config
        return config

    # --- dates ---------------------------------------------------------------

    def aware(self, value: dt.date | dt.datetime, rel: str, line: int) -> dt.datetime | None:
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None:
                return value
            if self.tz is None:
                self.problems.error(rel, line, f"{value.isoformat()} has no time zone", _TZ_HINT)
                return None
            return value.replace(tzinfo=self.tz)
        if self.tz is None:
            self.problems.error(rel, line, f"{value.isoformat()} has no time of day and no time zone", _TZ_HINT)
            return None
        return dt.datetime.combine(value, dt.time(0, 0), self.tz)

    def aware_at(self, value: dt.date | dt.datetime, rel: str, doc: YamlDoc, loc: tuple) -> dt.datetime | None:
        """``aware`` for the value at ``loc`` in ``doc``, whose line is looked up only when it is needed."""
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            return value
        return self.aware(value, rel, doc.line(loc))

    # --- parties --------------------------------------------------------------

    def load_parties(self) -> dict[str, Party]:
        parties: dict[str, Party] = {}
        files = (("people.yaml", schema.PartyIn), ("sources.yaml", schema.SourceIn))
        for name, model in files:
            path = self.project.content_dir / name
            if not path.exists():
                continue
            rel = self.rel(path)
            doc = self.yaml_file(path)
            if doc is None:
                self.parties_failed = True
                continue
            if doc.data is None:
                continue
            if not isinstance(doc.data, dict):
                self.problems.error(
                    rel,
                    doc.line(()),
                    f"{name} must map ids to entries",
                    "write 'zelensky:' then the entry's keys indented below it",
                )
                continue
            for key in doc.data:
                line = doc.line((key,))
                if not _valid_id(key):
                    self.problems.error(
                        rel,
                        line,
                        f"{key!r} is not a valid id",
                        f"ids use lower-case letters, digits and hyphens, e.g. {slugify(str(key)) or 'kyiv-desk'}",
                    )
                    continue
                entry = validate(model, doc, rel, self.problems, prefix=(key,))
                if entry is None:
                    continue
                if key in parties:
                    other = parties[key]
                    self.problems.error(
                        rel,
                        line,
                        f"id {key!r} is already used at {other.path}:{other.line}",
                        "people and sources share one set of ids; rename one",
                    )
                    continue
                kind = entry.kind
                parties[key] = Party(
                    id=key,
                    name=entry.name,
                    kind=kind,
                    role=getattr(entry, "role", ""),
                    url=entry.url,
                    description=getattr(entry, "description", ""),
                    path=rel,
                    line=line,
                )
        return parties

    # --- topics ----------------------------------------------------------------

    def load_topics(self) -> dict[str, Topic]:
        topics: dict[str, Topic] = {}
        folder = self.project.content_dir / "topics"
        for path in self.files(folder, (".yaml", ".yml")):
            rel = self.rel(path)
            slug = path.stem
            if not _valid_id(slug):
                self.problems.error(
                    rel,
                    None,
                    f"topic file name {path.name!r} is not a valid slug",
                    f"rename it to {slugify(slug) or 'topic'}{path.suffix}",
                )
                continue
            doc = self.yaml_file(path)
            if doc is None:
                self.topics_failed.add(slug)
                continue
            if not isinstance(doc.data, dict):
                self.problems.error(rel, 1, "a topic file must be a mapping", "start with 'title: ...'")
                self.topics_failed.add(slug)
                continue
            meta = validate(schema.TopicIn, doc, rel, self.problems)
            if meta is None:
                self.topics_failed.add(slug)
                continue
            if slug in topics:
                self.problems.error(
                    rel, None, f"topic {slug!r} is also defined in {topics[slug].path}", "keep one file per topic"
                )
                continue
            topic = Topic(slug=slug, path=rel, meta=meta)
            topic._doc = doc  # type: ignore[attr-defined]  # for located reference errors
            topics[slug] = topic
        return topics

    # --- articles ----------------------------------------------------------------

    def load_article(self, path: str | os.PathLike) -> tuple[Article, schema.ArticleIn, YamlDoc] | None:
        path = os.fspath(path)
        name = os.path.basename(path)
        rel = self.rel(path)
        limit = self.config.max_file_size if self.config else ""
        key = (rel, f"{self.tz!r}|{limit}")
        memo = self.articles
        digest = memo.digests.get(rel) if memo is not None else None
        known = memo.entries.get(key) if memo is not None else None
        if known is not None and digest is not None and known[0] == digest and self._inside(path):
            fields, meta, doc = known[1]  # unchanged since it was parsed, read and checked
            return Article(**fields), meta, doc
        stored = self.record_key(rel) if self.memo is not None else None
        record = self.memo.parsed_article(stored) if stored is not None and self._inside(path) else None
        if record is not None:  # what this content parsed to in an earlier build, made into fields now
            found = self._article(rel, name, *record)  # a problem (another time zone) is reported here
            if found is not None:
                memo.keep(key, digest, found)
            return None if found is None else (Article(**found[0]), found[1], found[2])
        text = self.read(path)
        if text is None:
            return None
        if known is not None and known[0] == text:
            fields, meta, doc = known[1]
            return Article(**fields), meta, doc
        reported = len(self.problems.items)
        found = self._parse_article(rel, name, text)
        if found is not None and memo is not None and len(self.problems.items) == reported:  # nothing to say again
            memo.keep(key, digest if digest is not None else text, found)
            if stored is not None:
                fields, meta, doc = found
                self.memo.keep_parsed(stored, meta, doc, fields["body_md"], fields["body_line"])
        return None if found is None else (Article(**found[0]), found[1], found[2])

    def has_record(self, path: str) -> bool:
        """Whether the build database holds what the article file at ``path`` parses to (it is not read)."""
        stored = self.record_key(self.rel(path))
        return stored is not None and self.memo.has_parsed(stored)

    def record_key(self, rel: str) -> str | None:
        """The build database's key for what the article file at ``rel`` parses to: its content digest and the
        file-size limit it was read under (``content.parsed``); None when its digest is not known. The one place
        the key is made: ``load_article`` looks records up by it, ``engine.preparse`` stores them under it."""
        digest = self.articles.digests.get(rel) if self.articles is not None else None
        limit = self.config.max_file_size if self.config else ""
        return f"{limit}|{digest}" if digest is not None else None

    def _parse_article(self, rel: str, name: str, text: str) -> tuple[dict, schema.ArticleIn, YamlDoc] | None:
        """An article file's text -> (Article fields, its validated front matter, the parsed YAML)."""
        try:
            yaml_text, offset, body, body_line = split_front_matter(text)
        except YamlProblem as exc:
            self.problems.error(rel, exc.line, exc.message, exc.hint)
            return None
        doc = self.parse(yaml_text, offset, rel)
        return None if doc is None else self.checked(rel, name, doc, body, body_line)

    def checked(self, rel: str, name: str, doc: YamlDoc, body: str, body_line: int):
        """A parsed front matter and its body -> (Article fields, validated front matter, YAML), or None."""
        if doc.data is None:
            self.problems.error(rel, 2, "front matter is empty", "add at least title, date, topics and summary")
            return None
        if not isinstance(doc.data, dict):
            self.problems.error(
                rel, 2, "front matter must be a mapping of keys to values", "write 'title: ...' on its own line"
            )
            return None
        meta = validate(schema.ArticleIn, doc, rel, self.problems)
        if meta is None:
            return None
        return self._article(rel, name, meta, doc, body, body_line)

    def _article(self, rel: str, name: str, meta, doc: YamlDoc, body: str, body_line: int):
        """Validated front matter and body -> (Article fields, front matter, YAML): dates in the site's zone."""
        date = self.aware_at(meta.date, rel, doc, ("date",))
        updated = self.aware_at(meta.updated, rel, doc, ("updated",)) if meta.updated else None
        if date is None:
            return None
        slug = meta.slug or _slug_from_filename(_stem(name))
        workflow = self._workflow(meta, doc, rel, date)
        if workflow is None:
            return None
        date = workflow.pop("date_shown")
        fields = dict(
            **workflow,
            slug=slug,
            path=rel,
            source_name=name,
            title=meta.title,
            date=date,
            updated=updated,
            summary=meta.summary,
            dateline=meta.dateline,
            author=meta.author,
            body_md=body,
            body_line=body_line,
            confidence=meta.confidence,
            analysis=meta.analysis,
        )
        return fields, meta, doc

    def _workflow(self, meta: schema.ArticleIn, doc: YamlDoc, rel: str, date: dt.datetime) -> dict | None:
        """The desk's keys as Article fields: draft, embargo and expiry times, corrections, bylines."""
        out: dict = {"draft": meta.draft, "author_ids": list(meta.authors), "corrections": []}
        ok = True
        for key in ("publish_at", "expires_at"):
            value = getattr(meta, key)
            out[key] = self.aware_at(value, rel, doc, (key,)) if value is not None else None
            ok = ok and (value is None or out[key] is not None)
        if out["publish_at"] and out["expires_at"] and out["expires_at"] <= out["publish_at"]:
            self.problems.error(
                rel, doc.line(("expires_at",)), "expires_at is not after publish_at", "withdraw it after it goes live"
            )
            ok = False
        shown = max(date, out["publish_at"]) if out["publish_at"] else date  # an embargoed report is new at release
        for i, c in enumerate(meta.corrections):
            line = doc.line(("corrections", i, "date"))
            when = self.aware(c.date, rel, line)
            if when is None:
                ok = False
            elif when < shown:
                self.problems.error(
                    rel,
                    line,
                    f"correction dated {when.isoformat()}, before the article ({shown.isoformat()})",
                    "a correction comes after what it corrects: check the date",
                )
                ok = False
            else:
                out["corrections"].append(Correction(when, c.text, doc.line(("corrections", i))))
        out["date_shown"] = shown
        return out if ok else None


def _valid_id(text: str) -> bool:
    return bool(text) and text[0].isalnum() and all(c in "abcdefghijklmnopqrstuvwxyz0123456789-" for c in text)


def _slug_from_filename(stem: str) -> str:
    if _SLUG.fullmatch(stem):  # already a slug (as most file names are): slugify would return it unchanged
        return stem
    return slugify(unicodedata.normalize("NFC", stem)) or "article"


def _stem(name: str) -> str:
    """``PurePath(name).stem``, for a plain file name."""
    i = name.rfind(".")
    return name[:i] if 0 < i < len(name) - 1 else name
