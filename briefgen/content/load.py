"""Load: files on disk -> a validated, linked ``Site``.

Every problem is collected (never raised one at a time) so that a run lists
all of them; the caller decides whether errors stop the build.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import re
import stat
import unicodedata
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slugify import slugify

from briefgen.content import schema
from briefgen.content.model import Article, Correction, Party, Site, Topic
from briefgen.content.validate import validate
from briefgen.content.yamlsource import (
    CONTROL_CHARACTER,
    YamlDoc,
    YamlProblem,
    load_yaml,
    normalise_text,
    split_front_matter,
)
from briefgen.problems import Problems
from briefgen.project import Project

ARTICLE_SUFFIXES = (".md", ".markdown")
_TZ_HINT = "write it like 2025-02-23T11:30:00+02:00, or set timezone: in briefgen.yaml"
# Every byte but the C0 controls CONTROL_CHARACTER refuses (tab, newline and carriage return are fine) and DEL.
_NOT_CONTROL = bytes(b for b in range(256) if not (b < 0x20 and b not in (0x09, 0x0A, 0x0D) or b == 0x7F))
# What Path.is_file() treats as "no such file" rather than an error (pathlib's _IGNORED_ERRNOS, _WINERRORS).
_NOT_FOUND = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)
_NOT_FOUND_WINDOWS = (21, 123, 1921)
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


# (path, time zone) -> (stamp, what the article file parsed to), for the process: a serve rebuild parses
# and validates only the files that changed. The stamp is the file's content hash when the build knows it
# (``known_digests``: the same hashes the incremental build trusts, re-hashed for every file serve saw
# change or whose size or mtime moved), and the text otherwise. Each build gets a fresh Article from the
# fields: linking fills in its lists.
_ARTICLES: dict[tuple[str, str], tuple[str, tuple[dict, schema.ArticleIn, YamlDoc]]] = {}
_ARTICLES_MAX = 50_000
_DIGESTS: dict[str, str] = {}  # input path -> content hash, while a build that knows them runs


_REMEMBER = [True]  # False while a build no other follows loads: nothing would ask for them again


@contextlib.contextmanager
def known_digests(digests: dict[str, str], remember: bool = True):
    """Within: an unchanged article file (same hash as when it was parsed) is not even read again.

    ``remember=False`` (a build no other follows in this process): what the files parsed to is not kept
    for the next build; at 4,000 articles their YAML trees and validated front matter are 50 MB.
    """
    _DIGESTS.update(digests)
    _REMEMBER[0] = remember
    if not remember:
        _ARTICLES.clear()
    try:
        yield
    finally:
        _DIGESTS.clear()
        _REMEMBER[0] = True


class Loader:
    def __init__(self, project: Project, problems: Problems, memo=None):
        self.project = project
        self.problems = problems
        self.memo = memo  # briefgen.engine.cache.BuildCache (or None): memoised YAML parsing and Markdown
        self.tz: dt.tzinfo | None = None
        self.config: schema.SiteConfig | None = None
        self.article_paths: list[str] = []  # every article file found, loaded or not
        self._rel_dirs: dict[str, str] = {}
        self._content = str(project.content_dir)
        self._content_real = project.content_dir.resolve()
        self._dirs_inside: dict[str, bool] = {}  # folder in content/ -> whether it resolves inside content/
        # ids whose file did not load: a reference to them is not "unknown", the file's own error says why
        self.parties_failed = False
        self.topics_failed: set[str] = set()

    # --- reading files ---------------------------------------------------

    def rel(self, path: str | os.PathLike) -> str:
        """``path`` as shown to the user, without following a symbolic link at its end."""
        folder, name = os.path.split(os.fspath(path))
        parent = self._rel_dirs.get(folder)
        if parent is None:  # resolving is slow, and thousands of articles share one folder
            parent = self._rel_dirs[folder] = self.project.rel(folder)
        return name if parent in (".", "") else f"{parent}/{name}"

    def read(self, path: str | os.PathLike) -> str | None:
        path = os.fspath(path)  # plain strings and os calls: thousands of files, pathlib's overhead showed
        rel = self.rel(path)
        if not self.inside_content(path, rel):
            return None
        limit = self.config.max_file_size if self.config else 2_000_000
        try:
            st = _stat_or_none(path)  # follows a link, as Path.is_file() does
            if st is None or not stat.S_ISREG(st.st_mode):
                self.problems.error(rel, None, "not a regular file", "content files must be plain text files")
                return None
            size = st.st_size
            if size > limit:
                self.problems.error(
                    rel,
                    None,
                    f"file is {size:,} bytes, more than the limit of {limit:,}",
                    "split it, or raise max_file_size in briefgen.yaml",
                )
                return None
            with open(path, "rb") as f:
                raw = f.read()
            text = normalise_text(raw)
            # bytes below 0x80 never occur inside a UTF-8 sequence, so a control character is in the text
            # exactly when its byte is in the file (U+FFFE/U+FFFF: when their encodings are): a cheap test first
            bad = None
            if raw.translate(None, _NOT_CONTROL) or b"\xef\xbf\xbe" in raw or b"\xef\xbf\xbf" in raw:
                bad = CONTROL_CHARACTER.search(text)
            if bad:
                line = text.count("\n", 0, bad.start()) + 1
                column = bad.start() - text.rfind("\n", 0, bad.start())
                self.problems.error(
                    rel,
                    line,
                    f"control character U+{ord(bad.group()):04X} at column {column}",
                    "remove it: web pages and feeds cannot carry it",
                )
                return None
            return text
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            self.problems.error(
                rel, line, f"not UTF-8 text: {exc.reason} at byte {exc.start}", "save the file as UTF-8"
            )
        except OSError as exc:
            self.problems.error(rel, None, f"cannot read file: {exc.strerror or exc}")
        return None

    def inside_content(self, path: str | os.PathLike, rel: str) -> bool:
        """Refuse a file or folder in content/ that is a symbolic link to somewhere outside it.

        Content may come from many hands; a link to ``~/.ssh/id_rsa`` named
        ``notes.md`` must not end up on a public web site.
        """
        if self._inside(os.fspath(path)):
            return True
        self.problems.error(
            rel, None, "symbolic link points outside content/", "copy what it points to into content/ instead"
        )
        return False

    def _inside(self, path: str) -> bool:
        """Whether ``path`` is outside content/ as written, or inside it once every link is followed.

        Resolving every file (a realpath, an lstat per component) was most of
        the cost of reading an article. A file whose name is not itself a
        link resolves to its folder's resolved path plus its name, so each
        folder is resolved once and each file costs one lstat; a link, or a
        path not written as ``<content>/.../name``, takes the full check.
        """
        content = self._content
        folder, sep, name = path.rpartition(os.sep)
        if path.startswith(content) and path[len(content) : len(content) + 1] == os.sep and name not in ("", ".", ".."):
            inside = self._dirs_inside.get(folder)
            if inside is None:
                inside = self._dirs_inside[folder] = Path(folder).resolve().is_relative_to(self._content_real)
            if inside and not os.path.islink(path):
                return True
        full = Path(path)
        content_dir = self.project.content_dir
        if not full.absolute().is_relative_to(content_dir.absolute()):
            return True  # briefgen.yaml lives outside content/
        return full.resolve().is_relative_to(self._content_real)

    def yaml_file(self, path: Path) -> YamlDoc | None:
        text = self.read(path)
        if text is None:
            return None
        rel = self.rel(path)
        if not text.strip():
            self.problems.error(rel, 1, "the file is empty", "write the YAML keys, starting with 'title: ...'")
            return None
        return self.parse(text, 0, rel)

    def parse(self, text: str, offset: int, rel: str) -> YamlDoc | None:
        try:
            doc = self.memo.load_yaml(text, offset) if self.memo is not None else load_yaml(text, offset)
        except YamlProblem as exc:
            self.problems.error(rel, exc.line, exc.message, exc.hint)
            self.problems.causes.add(rel)
            return None
        for p in doc.problems:
            self.problems.error(rel, p.line, p.message, p.hint)
        return doc

    def files(self, folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
        return [Path(p) for p in self.file_names(folder, suffixes)]

    def file_names(self, folder: Path, suffixes: tuple[str, ...]) -> list[str]:
        linked: list[Path] = []
        found = _file_names(str(folder), suffixes, linked)
        for path in linked:
            self.inside_content(path, self.rel(path))  # reports links out of content/; others are skipped
        return found

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
        key = (rel, f"{self.tz!r}|{self.config.max_file_size if self.config else ''}")
        digest = _DIGESTS.get(rel)
        known = _ARTICLES.get(key)
        if known is not None and digest is not None and known[0] == digest and self._inside(path):
            fields, meta, doc = known[1]  # unchanged since it was parsed, read and checked
            return Article(**fields), meta, doc
        text = self.read(path)
        if text is None:
            return None
        if known is not None and known[0] == text:
            fields, meta, doc = known[1]
            return Article(**fields), meta, doc
        reported = len(self.problems.items)
        found = self._parse_article(rel, name, text)
        if found is not None and _REMEMBER[0] and len(self.problems.items) == reported:  # nothing to say again
            if len(_ARTICLES) >= _ARTICLES_MAX:
                _ARTICLES.clear()
            _ARTICLES[key] = (digest if digest is not None else text, found)
        return None if found is None else (Article(**found[0]), found[1], found[2])

    def _parse_article(self, rel: str, name: str, text: str) -> tuple[dict, schema.ArticleIn, YamlDoc] | None:
        """An article file's text -> (Article fields, its validated front matter, the parsed YAML)."""
        try:
            yaml_text, offset, body, body_line = split_front_matter(text)
        except YamlProblem as exc:
            self.problems.error(rel, exc.line, exc.message, exc.hint)
            return None
        doc = self.parse(yaml_text, offset, rel)
        if doc is None:
            return None
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
        date = self.aware(meta.date, rel, doc.line(("date",)))
        updated = self.aware(meta.updated, rel, doc.line(("updated",))) if meta.updated else None
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
            out[key] = self.aware(value, rel, doc.line((key,))) if value is not None else None
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


def _stat_or_none(path: str) -> os.stat_result | None:
    """``os.stat(path)``, or None where ``Path.is_file()`` would say False rather than raise."""
    try:
        return os.stat(path)
    except OSError as exc:
        if exc.errno in _NOT_FOUND or getattr(exc, "winerror", None) in _NOT_FOUND_WINDOWS:
            return None
        raise


def _file_names(folder: str, suffixes: tuple[str, ...], linked_dirs: list[Path] | None = None) -> list[str]:
    """``_files`` as plain strings, in the same order (component by component, as paths sort)."""
    if not os.path.isdir(folder):
        return []
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        for d in dirnames:
            if linked_dirs is not None and os.path.islink(os.path.join(dirpath, d)):
                linked_dirs.append(Path(dirpath) / d)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.endswith(suffixes) and not name.startswith((".", "_", "#")) and not name.endswith("~"):
                out.append(os.path.join(dirpath, name))
    if os.name == "nt":  # Windows paths compare case-insensitively
        return [str(p) for p in sorted(map(Path, out))]
    return sorted(out, key=lambda path: path.split(os.sep))


def _files(folder: Path, suffixes: tuple[str, ...], linked_dirs: list[Path] | None = None) -> list[Path]:
    """Content files under ``folder``; symbolic links to folders are not followed but listed in ``linked_dirs``."""
    return [Path(p) for p in _file_names(str(folder), suffixes, linked_dirs)]


def load_site(
    project: Project, problems: Problems, memo=None, *, drafts: bool = False, base_url: str | None = None
) -> Site | None:
    """Read and link the whole project. Returns None when the config is unusable.

    ``memo`` (a ``briefgen.engine.cache.BuildCache``) memoises front matter and Markdown bodies; ``drafts``: a
    preview that shows drafts and scheduled reports; ``base_url``: the command line's ``--base-url``, in place
    of the config's (a preview deploy under another address).
    """
    loader = Loader(project, problems, memo)
    config = loader.load_config()
    if config is None:
        return None
    if base_url is not None:
        if not base_url.startswith(("http://", "https://")) or " " in base_url:
            problems.error(
                "--base-url", None, f"{base_url!r} is not an absolute http(s) URL", "e.g. https://example.org/"
            )
            return None
        config = loader.config = config.model_copy(update={"base_url": base_url.rstrip("/") + "/"})
    if not project.content_dir.is_dir():
        problems.error(
            project.rel(project.content_dir),
            None,
            "content folder not found",
            "create content/ with topics/ and articles/, or run 'briefgen new DIR'",
        )
        return None
    parties = loader.load_parties()
    topics = loader.load_topics()
    paths = loader.file_names(project.content_dir / "articles", ARTICLE_SUFFIXES)
    if memo is not None:
        memo.prefetch_front_matter(paths)
    loader.article_paths = [loader.rel(p) for p in paths]
    loaded = [x for x in (loader.load_article(p) for p in paths) if x is not None]
    from briefgen.content.link import link_site  # the second half of loading: references
    from briefgen.content.schedule import sort_out

    loaded, schedule = sort_out(loaded, topics, drafts=drafts)  # drafts, embargoes, withdrawals
    site = Site(config=config, root=str(project.root), topics=topics, articles=[], parties=parties)
    site.schedule = schedule
    link_site(site, loaded, loader, problems)
    return site
