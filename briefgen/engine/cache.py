"""The content-hash build cache: parsed front matter and rendered Markdown, stored as plain data.

Two stage functions are pure and account for most of a build's time:
``yamlsource.load_yaml(text, offset)`` (front matter -> a located YAML
document) and ``MarkdownRenderer.render(text, resolve)`` (a body -> HTML).
A ``BuildCache`` memoises both. The stages ask it explicitly: the build
passes it to ``site.load_site`` (``memo=``), which hands it to the loader and
to ``bodies.render_bodies``; nothing here replaces another module's functions.

A third store, ``articles``, keeps what each article's content parsed to (its validated front matter,
lines and body, ``content.parsed``) so that a command-line rebuild neither parses nor validates the
articles that did not change; the loader asks it (``parsed_article``) by the file's hash from the input
table.

Keys are content hashes of everything the answer depends on: the exact text,
the YAML offset or the renderer's options, and (for the whole cache file) the
*environment*: briefgen's version and source, the Python version and the
version of every library that shapes the output (``environment.code_fingerprint``). Link
resolution is not in the key: a cached body remembers every question it asked
its link resolver and the answers, and is reused only when the resolver
answers them the same way now.

On disk (``<project>/.briefgen-cache/``) each store is a few JSON files: a
header line naming the format, the environment hash and the SHA-256 of the
payload, then the payload: one ``key JSON`` line per entry (dates tagged),
kept as bytes and parsed only when used (``briefgen.engine.cachedata``). Nothing read from there
is unpickled, unmarshalled or executed: a file that is truncated, corrupt,
planted, from another environment or unreadable is ignored with a note (never
an error, never a wrong page) and rewritten at the end of the build; an entry
that does not decode to the expected shape is a miss. While a build runs, the
misses can be computed on several cores first (``prefetch_*``); the sequential
stage then finds them in the memo.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path

import msgspec

from briefgen.content.images import ImageStore
from briefgen.content.parsed import ParsedArticles, decode_record, encode_record
from briefgen.engine.cachedata import (
    CACHE_DIR,
    decode_doc,
    decode_rendered,
    encode_doc,
    encode_rendered,
    to_text,
)
from briefgen.engine.environment import code_fingerprint
from briefgen.engine.memostore import MAGIC, Store
from briefgen.engine.parallel import can_fork, map_chunks

__all__ = ["CACHE_DIR", "MAGIC", "BuildCache", "Store", "code_fingerprint", "digest"]

PREFETCH_MIN = 64  # fewer misses than this are cheaper to compute in-line
# Chunks a job of a prefetch (``map_chunks``): 500 articles a chunk at 4,000 on two cores took 0.17-0.22 s, and the
# process that ran out of chunks first waited for the other's last one; a chunk's hand-over costs a few ms.
PREFETCH_PIECES = 8


def digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


def _renderer_key(renderer) -> str:
    """A renderer's plain options (allow_html, ...), whatever they are named."""
    options = sorted((k, v) for k, v in vars(renderer).items() if isinstance(v, (bool, int, float, str, type(None))))
    return hashlib.blake2b(repr((type(renderer).__qualname__, options)).encode(), digest_size=8).hexdigest()


class BuildCache:
    """The memo for one project; ``enabled=False`` (``--no-cache``) keeps it in memory only.

    The stages call ``load_yaml`` and ``render`` on it where they would call the plain functions.
    """

    def __init__(
        self,
        root: Path,
        *,
        enabled: bool = True,
        jobs: int = 1,
        session: bool = False,
        keep: bool = True,
        once: bool = False,
    ) -> None:
        self.dir = root / CACHE_DIR
        self.enabled = enabled
        # keep=False: what a stage works out in-line is not stored (a one-off build without the cache: no
        # one would read it); the prefetches still hand their answers over through the memo
        self.keep = keep
        self.once = once  # a build no other follows: each store is saved and let go of once loading is done with it
        self.jobs = jobs
        self.notes: list[str] = []
        folder = self.dir if enabled else None
        self.yaml = Store(folder, "front-matter", self.notes)
        self.site_yaml = Store(folder, "site-files", self.notes, shards=1)  # the config, topics, people, sources
        self.markdown = Store(folder, "markdown", self.notes)
        self.parsed = Store(folder, "articles", self.notes)  # what each article's content parsed to
        self._md_texts: set[str] | None = None  # digests of the bodies present (made when first asked)
        self._body_digests: dict[str, str] = {}  # while a build runs
        self._renderer: tuple | None = None  # (the renderer of this build, _renderer_key of it)
        # serve: entries used by any build of the session are kept on disk, not only the last build's
        # (a rebuild skips the front matter of unchanged articles: briefgen.content.load remembers them)
        self.session = session
        self._decoded: dict[str, tuple[str, object]] = {}  # Markdown key -> (stored text, decoded), in memory
        self._fronts: dict[str, str] = {}  # record key -> front-matter key, of the records the prefetch made
        self.articles = ParsedArticles()  # what each article file parsed to (briefgen.content.load)
        self.images = ImageStore(self.dir / "images" if enabled else None)  # resized copies, by content hash

    def start(self) -> None:
        """A build begins: count which entries it uses (serve keeps those of every build of the session)."""
        if not self.session:
            for store in (self.yaml, self.site_yaml, self.markdown, self.parsed):
                store.start_build()

    def finish(self) -> None:
        self._body_digests, self._renderer, self._fronts = {}, None, {}

    @property
    def md_texts(self) -> set[str]:
        if self._md_texts is None:
            self._md_texts = {k.rpartition("|")[2] for k in self.markdown.entries}
        return self._md_texts

    def keep_unused(self) -> None:
        """This build did not ask for most entries (its site came from the stored model): keep them all."""
        for store in (self.yaml, self.site_yaml, self.markdown, self.parsed):
            store.keep = True

    def release(self) -> None:
        """Save what this build used, then forget it: for a build no other follows (``Builder(once=True)``),
        once its content is loaded."""
        self.save()
        for store in (self.yaml, self.site_yaml, self.markdown, self.parsed):
            store.entries, store.used = {}, set()
        self._decoded, self._md_texts = {}, set()

    def done_with(self, problems, *names: str) -> None:
        """Loading will not ask the stores ``names`` again: a build no other follows (``once``) saves them now and
        lets go of their entries, if nothing is wrong so far (``release`` saves the rest once the content loaded
        without errors). Held to the end of loading, the articles' front matter and parsed records and the
        rendered bodies were some 80 MB at 4,000 articles, alive while the bodies were rendered on every core."""
        if not self.once or problems.errors:
            return
        stores = [getattr(self, name) for name in names]
        try:
            for store in stores:
                store.save()
        except OSError:  # kept in memory: release tries again, and notes it if it fails again
            return
        for store in stores:
            store.entries, store.used = {}, set()
        if self.markdown in stores:
            self._decoded, self._md_texts = {}, set()

    def body_digest(self, text: str) -> str:
        """``digest(text)`` for a Markdown body, hashed once per build (the prefetch asks too)."""
        found = self._body_digests.get(text)
        if found is None:
            found = self._body_digests[text] = digest(text)
        return found

    # --- the memoised stage functions ---------------------------------------------------------

    def load_yaml(self, text: str, offset: int = 0, whole_file: bool = False):
        """``yamlsource.load_yaml``, memoised; ``whole_file``: a YAML file (the config, a topic, the people or
        sources), kept apart from the articles' front matter (a build from the stored model reads just these)."""
        from briefgen.content.yamlsource import load_yaml

        store = self.site_yaml if whole_file else self.yaml
        key = f"{offset}|{digest(text)}"
        stored = store.get(key)
        if stored is not None:
            try:
                return decode_doc(json.loads(stored))
            except (ValueError, TypeError, KeyError, AttributeError):
                store.drop(key)
        doc = load_yaml(text, offset)  # a YamlProblem propagates and is not cached
        if not doc.problems and self.keep:
            with contextlib.suppress(TypeError, ValueError):
                store.put(key, to_text(encode_doc(doc)))
        return doc

    def has_parsed(self, key: str) -> bool:
        return key in self.parsed

    def parsed_article(self, key: str):
        """What an article file with this content parsed to (``content.parsed.decode_record``), or None."""
        stored = self.parsed.get(key)
        if stored is None:
            return None
        front = self._fronts.pop(key, None)
        if front is not None:  # made by the prefetch: its front matter counts as used, as if parsed here
            self.yaml.get(front)
        try:
            return decode_record(stored)
        except Exception:  # a record of any other shape: a miss, never half used
            self.parsed.drop(key)
            return None

    def keep_parsed(self, key: str, meta, doc, body: str, body_line: int) -> None:
        """Record what an article file parsed to, for the next build (on disk only: serve keeps its own)."""
        if self.enabled:
            data = encode_record(meta, doc, body, body_line)
            if data is not None:
                self.parsed.put(key, data)

    def render(self, renderer, text: str, resolve=None):
        """``renderer.render(text, resolve)``, memoised; a hit is reused only if ``resolve`` answers as it did."""
        text_digest = self.body_digest(text)
        if self._renderer is None or self._renderer[0] is not renderer:
            self._renderer = (renderer, _renderer_key(renderer))  # one renderer renders every body of a build
        key = self._renderer[1] + "|" + text_digest
        stored = self.markdown.get(key)
        if stored is not None:
            live = self._decoded.get(key)
            if live is None or live[0] is not stored:  # serve: most bodies were decoded last rebuild
                try:
                    live = self._decoded[key] = (stored, decode_rendered(stored))
                except (ValueError, TypeError, msgspec.MsgspecError):
                    self.markdown.drop(key)
                    live = None
            if live is not None:
                rendered, asked = live[1]
                if all((resolve(q) if resolve else None) == a for q, a in asked):
                    return rendered
        asked: list = []

        def recording(target):
            answer = resolve(target)
            asked.append((target, answer))
            return answer

        if not self.keep:
            return renderer.render(text, resolve)
        rendered = renderer.render(text, recording if resolve else None)
        self.markdown.put(key, to_text(encode_rendered(rendered, asked)))
        if self._md_texts is not None:  # else made from the entries, this one included, when first asked
            self._md_texts.add(text_digest)
        return rendered

    # --- filling the memo on several cores first ----------------------------------------

    def _parallel(self) -> bool:
        return self.jobs >= 2 and can_fork()  # in-line, a prefetch would only do the same work twice

    def prefetch_front_matter(self, paths: list[str], loader) -> None:
        """Read and parse every article file whose front matter is not cached yet, over ``jobs`` cores, and
        make the record of each that loads without a problem (``engine.preparse``): ``loader`` (the
        ``content.load.Loader`` with the config loaded) then takes those from their records."""
        if not self._parallel() or (self.session and self.yaml.entries):
            return  # serve after its first build: a save changes a file or two, parsed in-line
        if len(self.yaml.entries) >= len(paths) - PREFETCH_MIN:
            return  # a rebuild: at most a few misses, cheaper to parse in-line than to read every file twice
        from briefgen.engine.preparse import preparser

        def work(start: int, stop: int) -> list:
            preparse = preparser(loader, self.yaml, digest, self.keep)
            return [found for found in map(preparse, paths[start:stop]) if found is not None]

        for key, entry, stored, record in map_chunks(work, len(paths), self.jobs, pieces=PREFETCH_PIECES):
            if entry is not None and key not in self.yaml:
                self.yaml.add(key, entry)
            if record is not None:
                self.parsed.add(stored, record)
                self._fronts[stored] = key

    def prefetch_bodies(self, renderer, articles: list, resolver) -> None:
        """Render the bodies not cached yet over ``jobs`` cores; ``resolver(article)`` is the link resolver
        ``render_bodies`` gives that article. The parent then finds each in the memo, its link answers
        checked as on any hit."""
        if not self._parallel():
            return
        missing = [a for a in articles if self.body_digest(a.body_md) not in self.md_texts]
        if len(missing) < PREFETCH_MIN:
            return
        prefix = _renderer_key(renderer) + "|"
        keep = self.keep

        def work(start: int, stop: int) -> list:
            out = []
            for article in missing[start:stop]:
                resolve = resolver(article)
                asked: list = []

                def recording(target, resolve=resolve, asked=asked):
                    answer = resolve(target)
                    asked.append((target, answer))
                    return answer

                rendered = renderer.render(article.body_md, recording)
                key = prefix + digest(article.body_md)
                out.append((key, to_text(encode_rendered(rendered, asked)) if keep else (rendered, asked)))
            return out

        for key, value in map_chunks(work, len(missing), self.jobs, pieces=PREFETCH_PIECES):
            if keep:
                self.markdown.add(key, value)
            else:  # stored nowhere: the answer as it is, no JSON made and parsed (the key stands in for the text)
                self.markdown.add(key, key)
                self._decoded[key] = (key, value)
            self.md_texts.add(key.rpartition("|")[2])

    def save(self) -> None:
        if not self.enabled:
            return
        try:
            for store in (self.yaml, self.site_yaml, self.markdown, self.parsed):
                store.save()
        except OSError as exc:
            self.notes.append(f"could not write {CACHE_DIR}/ ({exc.strerror}); the next build will be slower")
