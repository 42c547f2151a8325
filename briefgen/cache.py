"""The content-hash build cache: parsed front matter and rendered Markdown.

Two stage functions are pure and account for most of a build's time:
``yamlsource.load_yaml(text, offset)`` (front matter -> a located YAML
document) and ``MarkdownRenderer.render(text, resolve)`` (a body -> HTML).
This module memoises both, from outside: while a build runs,
``BuildCache.installed()`` puts memoising wrappers in their place and takes
them away again afterwards, so the domain modules never know a cache exists.

Keys are content hashes of everything the answer depends on: the exact text,
the YAML offset or the renderer's options, and (for the whole cache file) the
briefgen version and a hash of briefgen's own source. Link resolution is not
in the key: a cached body remembers every question it asked its link resolver
and the answers, and is reused only when the resolver answers them the same
way now. Entries are stored as pickles and unpickled afresh on every hit, so
no build can see an object another build mutated.

On disk (``<project>/.briefgen-cache/``) each store is one file: a header
naming the format, the code hash and the SHA-256 of the payload, then the
payload. A file that is truncated, corrupt, from another briefgen, or
unreadable is ignored with a note (never an error, never a wrong page) and
rewritten at the end of the build. While a build runs, the misses can be
computed on several cores first (``prefetch_*``); the sequential stage then
finds them in the memo.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from briefgen import __version__
from briefgen.parallel import map_chunks

CACHE_DIR = ".briefgen-cache"
FORMAT = 1
MAGIC = b"briefgen-cache\n"
PREFETCH_MIN = 64  # fewer misses than this are cheaper to compute in-line

_code_hash: str | None = None


def code_fingerprint() -> str:
    """Hash of briefgen's version and source: a cache never outlives the code that wrote it."""
    global _code_hash
    if _code_hash is None:
        h = hashlib.sha256(f"{__version__}\n{FORMAT}\n".encode())
        package = Path(__file__).resolve().parent
        for path in sorted(package.rglob("*.py")):
            h.update(path.relative_to(package).as_posix().encode() + b"\0")
            h.update(path.read_bytes())
        _code_hash = h.hexdigest()
    return _code_hash


def digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).digest()


class Store:
    """A key -> pickled answer map on disk, in ``SHARDS`` files so a small change rewrites little.

    Only entries used by the last build are kept: a shard is rewritten when it
    gained an entry or holds one the build did not use (an old version of an
    edited article).
    """

    SHARDS = 16

    def __init__(self, folder: Path | None, name: str, notes: list[str]):
        self.folder = folder
        self.name = name
        self.notes = notes
        self.entries: dict[bytes, bytes] = {}
        self.used: set[bytes] = set()
        self.dirty: set[int] = set()
        self._ignored: dict[str, list[str]] = {}  # why -> file names
        if folder is not None:
            for shard in range(self.SHARDS):
                self._load(shard)
        for why, names in self._ignored.items():  # one note per reason, not one per file
            where = names[0] if len(names) == 1 else f"{self.name}-*.bin ({len(names)} files)"
            self.notes.append(f"{CACHE_DIR}/{where} {why}; ignoring it and rebuilding it")

    def path(self, shard: int) -> Path:
        assert self.folder is not None
        return self.folder / f"{self.name}-{shard:02d}.bin"

    def shard(self, key: bytes) -> int:
        return key[-1] % self.SHARDS

    def _load(self, shard: int) -> None:
        path = self.path(shard)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as exc:
            self._ignore(shard, f"cannot be read ({exc.strerror})")
            return
        try:
            if not raw.startswith(MAGIC):
                raise ValueError("not a briefgen cache file")
            end = raw.index(b"\n", len(MAGIC))
            header = json.loads(raw[len(MAGIC) : end])
            payload = raw[end + 1 :]
            if header.get("format") != FORMAT or header.get("code") != code_fingerprint():
                self._ignore(
                    shard, f"was written by another briefgen (version {header.get('version', '?')}, other code)"
                )
                return
            if hashlib.sha256(payload).hexdigest() != header.get("sha256"):
                raise ValueError("checksum mismatch (truncated or corrupt)")
            entries = pickle.loads(payload)
            if not isinstance(entries, dict) or any(self.shard(k) != shard for k in entries):
                raise ValueError("unexpected contents")
        except Exception as exc:  # anything wrong with the file: start afresh, never trust it
            self._ignore(shard, f"is unusable: {exc}")
            return
        self.entries.update(entries)

    def _ignore(self, shard: int, why: str) -> None:
        self._ignored.setdefault(why, []).append(self.path(shard).name)
        self.dirty.add(shard)

    def __contains__(self, key: bytes) -> bool:
        return key in self.entries

    def get(self, key: bytes) -> bytes | None:
        blob = self.entries.get(key)
        if blob is not None:
            self.used.add(key)
        return blob

    def put(self, key: bytes, blob: bytes) -> None:
        self.add(key, blob)
        self.used.add(key)

    def add(self, key: bytes, blob: bytes) -> None:
        """An answer computed ahead (by a worker); it counts as used once a build asks for it."""
        self.entries[key] = blob
        self.dirty.add(self.shard(key))

    def save(self) -> None:
        if self.folder is None:
            return
        shards: dict[int, dict[bytes, bytes]] = {i: {} for i in range(self.SHARDS)}
        stale = set(self.dirty)
        for key, blob in self.entries.items():
            if key in self.used:
                shards[self.shard(key)][key] = blob
            else:
                stale.add(self.shard(key))
        for shard in sorted(stale):
            payload = pickle.dumps(shards[shard], protocol=pickle.HIGHEST_PROTOCOL)
            header = {"format": FORMAT, "code": code_fingerprint(), "version": __version__}
            header["sha256"] = hashlib.sha256(payload).hexdigest()
            write_atomic(self.path(shard), MAGIC + json.dumps(header).encode() + b"\n" + payload)
        self.entries = {k: v for part in shards.values() for k, v in part.items()}
        self.dirty = set()

    def start_build(self) -> None:
        self.used = set()


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _renderer_key(renderer) -> bytes:
    """A renderer's plain options (allow_html, ...), whatever they are named."""
    options = sorted((k, v) for k, v in vars(renderer).items() if isinstance(v, (bool, int, float, str, type(None))))
    return repr((type(renderer).__qualname__, options)).encode()


class BuildCache:
    """The memo for one project; ``enabled=False`` (``--no-cache``) keeps it in memory only."""

    def __init__(self, root: Path, *, enabled: bool = True, jobs: int = 1, session: bool = False):
        self.dir = root / CACHE_DIR
        self.enabled = enabled
        self.jobs = jobs
        self.notes: list[str] = []
        folder = self.dir if enabled else None
        self.yaml = Store(folder, "front-matter", self.notes)
        self.markdown = Store(folder, "markdown", self.notes)
        self.md_texts = {k[-20:] for k in self.markdown.entries}  # digests of bodies present
        self._body_digests: dict[str, bytes] = {}  # while a build runs
        # serve: entries used by any build of the session are kept on disk, not only the last build's
        # (a rebuild skips the front matter of unchanged articles: briefgen.load remembers them)
        self.session = session
        self._unpickled: dict[bytes, tuple[bytes, object]] = {}  # Markdown key -> (blob, its objects), in memory

    def release(self) -> None:
        """Save what this build used, then forget it: for a build no other follows (``Builder(once=True)``),
        once its content is loaded. The entries (every body rendered, every front matter parsed) are
        otherwise held until the build ends, beside the site made from them."""
        self.save()
        for store in (self.yaml, self.markdown):
            store.entries, store.used = {}, set()
        self._unpickled, self.md_texts = {}, set()

    def body_digest(self, text: str) -> bytes:
        """``digest(text)`` for a Markdown body, hashed once per build (the prefetch asks too)."""
        found = self._body_digests.get(text)
        if found is None:
            found = self._body_digests[text] = digest(text)
        return found

    # --- the memoising wrappers ---------------------------------------------------------

    def load_yaml(self, original: Callable) -> Callable:
        def load_yaml(text: str, offset: int = 0):
            key = b"%d|" % offset + digest(text)
            blob = self.yaml.get(key)
            if blob is not None:
                return pickle.loads(blob)
            doc = original(text, offset)  # a YamlProblem propagates and is not cached
            if not doc.problems:
                self.yaml.put(key, pickle.dumps(doc, protocol=pickle.HIGHEST_PROTOCOL))
            return doc

        load_yaml.__wrapped__ = original  # type: ignore[attr-defined]
        return load_yaml

    def render_markdown(self, original: Callable) -> Callable:
        def render(renderer, text: str, resolve=None):
            text_digest = self.body_digest(text)
            key = _renderer_key(renderer) + b"|" + text_digest
            blob = self.markdown.get(key)
            if blob is not None:
                live = self._unpickled.get(key)
                if live is None or live[0] is not blob:  # serve: most bodies were unpickled last rebuild
                    live = self._unpickled[key] = (blob, pickle.loads(blob))
                rendered, asked = live[1]
                if all((resolve(q) if resolve else None) == a for q, a in asked):
                    return rendered
            asked: list = []

            def recording(target):
                answer = resolve(target)
                asked.append((target, answer))
                return answer

            rendered = original(renderer, text, recording if resolve else None)
            try:
                self.markdown.put(key, pickle.dumps((rendered, asked), protocol=pickle.HIGHEST_PROTOCOL))
                self.md_texts.add(text_digest)
            except (pickle.PicklingError, TypeError, AttributeError):
                pass
            return rendered

        render.__wrapped__ = original  # type: ignore[attr-defined]
        return render

    # --- filling the memo on several cores first ----------------------------------------

    def prefetch_front_matter(self, project, original: Callable) -> None:
        """Parse every article's front matter that is not cached yet, over ``jobs`` cores."""
        from briefgen import load
        from briefgen.yamlsource import YamlProblem, normalise_text, split_front_matter

        if self.jobs < 2 or (self.session and self.yaml.entries):
            return  # serve after its first build: a save changes a file or two, parsed in-line
        find = getattr(load, "article_files", None)
        if find is None:
            return
        paths = find(project)
        if len(self.yaml.entries) >= len(paths) - PREFETCH_MIN:
            return  # a rebuild: at most a few misses, cheaper to parse in-line than to read every file twice
        wanted: list[tuple[bytes, str, int]] = []
        for path in paths:
            try:
                yaml_text, offset, _body, _line = split_front_matter(normalise_text(path.read_bytes()))
            except (OSError, UnicodeDecodeError, YamlProblem):
                continue  # load reports it
            key = b"%d|" % offset + digest(yaml_text)
            if key not in self.yaml:
                wanted.append((key, yaml_text, offset))
        if len(wanted) < PREFETCH_MIN:
            return

        def work(start: int, stop: int) -> list:
            out = []
            for key, text, offset in wanted[start:stop]:
                try:
                    doc = original(text, offset)
                except YamlProblem:
                    continue
                if not doc.problems:
                    out.append((key, pickle.dumps(doc, protocol=pickle.HIGHEST_PROTOCOL)))
            return out

        for key, blob in map_chunks(work, len(wanted), self.jobs):
            self.yaml.add(key, blob)

    def prefetch_bodies(self, render_bodies: Callable, site, args: tuple) -> None:
        """Render the bodies not cached yet over ``jobs`` cores, by running the stage's own loop.

        Each worker runs ``render_bodies`` as it is, but renders only its share
        of the missing bodies (the rest get a blank answer, and the worker's
        problems are thrown away); the parent then runs the loop for real and
        finds every body in the memo, its link answers checked as on any hit.
        """
        from briefgen import markdown

        if self.jobs < 2:
            return
        missing = [a.body_md for a in site.articles if self.body_digest(a.body_md) not in self.md_texts]
        if len(missing) < PREFETCH_MIN:
            return
        memo_render = markdown.MarkdownRenderer.render  # the wrapper installed by installed()
        store = self.markdown

        def work(start: int, stop: int) -> list:
            mine = set(missing[start:stop])
            before = set(store.entries)

            def render(renderer, text, resolve=None):
                if text in mine:
                    return memo_render(renderer, text, resolve)
                return markdown.Rendered("")

            markdown.MarkdownRenderer.render = render
            from briefgen.problems import Problems

            render_bodies(site, args[0], Problems())
            return [(k, v) for k, v in store.entries.items() if k not in before]

        for key, blob in map_chunks(work, len(missing), self.jobs):
            store.add(key, blob)
            self.md_texts.add(key[-20:])

    # --- installing -----------------------------------------------------------------------

    @contextlib.contextmanager
    def installed(self, project) -> Iterator[BuildCache]:
        """Wrap the stage functions for the duration of one build."""
        from briefgen import link, load, markdown

        if not self.session:
            self.yaml.start_build()
            self.markdown.start_build()
        saved = (load.load_yaml, markdown.MarkdownRenderer.render, link.render_bodies, load.load_site)
        orig_yaml, orig_render, orig_bodies, orig_site = saved
        cache = self

        def load_site(project_, problems, *args, **kwargs):
            cache.prefetch_front_matter(project_, orig_yaml)
            return orig_site(project_, problems, *args, **kwargs)

        def render_bodies(site, *args, **kwargs):
            cache.prefetch_bodies(orig_bodies, site, args)
            return orig_bodies(site, *args, **kwargs)

        load.load_yaml = self.load_yaml(orig_yaml)
        markdown.MarkdownRenderer.render = self.render_markdown(orig_render)
        link.render_bodies = render_bodies
        load.load_site = load_site
        try:
            yield self
        finally:
            load.load_yaml, markdown.MarkdownRenderer.render, link.render_bodies, load.load_site = saved
            self._body_digests = {}

    def save(self) -> None:
        if not self.enabled:
            return
        try:
            self.yaml.save()
            self.markdown.save()
        except OSError as exc:
            self.notes.append(f"could not write {CACHE_DIR}/ ({exc.strerror}); the next build will be slower")
