"""The stored model: the linked site of the last load, kept in ``.briefgen-cache/`` for the next build.

A command-line build is a new process: without this it would load, validate and link every article again
after a one-line edit. After a whole load without errors the build keeps what ``site.load_site`` returned
(before the review or the change history touch it: ``content.stored.store_site``) with the hash of every
input file it was made from, the project's folder, the clock and the build's flags. The next build asks
``load``: when the only inputs whose hashes differ are article files, its site is rebuilt from the store
with just those files read again (``content.reload.reload_site``); anything else (a topic, a person or
source, the config, a template, a static file, a new, removed or renamed file, other flags or another
clock setting, another code fingerprint, another folder), or anything ``reload_site`` refuses, loads the
whole site as before. Either way the pipeline after loading is the same and gives the same bytes.

A one-off build (``once``: no other build follows in this process) turns the cyclic garbage collector off from
the moment the site is rebuilt from the store until ``Rebuild._freeze_loaded`` has frozen it and turned the
collector on again: that site (a million objects at 4,000 articles) stays alive to the end of the process, so
each pass over it found nothing, and the passes cost an edit 0.02-0.04 s. Reference counting frees what the
load drops all the same; a store that is given up turns the collector on again before the whole load.

On disk it is one file behind ``cachedata``'s checked header (the code fingerprint, a SHA-256 of the
payload), written atomically; the payload is msgpack decoded by msgspec into the structs of
``content.stored``: nothing in it can run code. A file that is missing, unreadable, truncated, corrupt, of
another format or version, or does not decode is no store: the whole load, with a note at most.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import mmap
import os

import msgspec

from briefgen.content.reload import reload_site
from briefgen.content.site import load_site
from briefgen.content.storedsite import SiteR, article_record, store_site
from briefgen.engine.cachedata import CACHE_DIR, read_checked, write_atomic, write_checked
from briefgen.engine.environment import code_fingerprint
from briefgen.engine.topicstates import TopicStates

MAGIC = b"briefgen-model 1\n"
NAME = "model.msgpack"
SHARDS = 16  # the records are in this many files: an edit rewrites one (and the index)


class ModelR(msgspec.Struct, array_like=True):
    root: str  # the project's folder: records hold absolute paths of images
    environment: dict[str, str | bool | None]  # ``Environment.record()``: the clock and the flags
    inputs: dict[str, str]  # every input file -> its hash, as the input table had them
    site: SiteR  # its ``articles`` empty: they are in the shards
    order: list[str]  # the path of each record, in the site's order
    shards: list[str]  # the SHA-256 of each shard file, which holds {path: record}
    # each shard file's identity as written (``_identity``): a shard that still has it is not hashed again
    written: list[tuple[int, ...]] = []
    token: str = ""  # new each time the index is written: what ``topicstates`` ties its states to


_decoder = msgspec.msgpack.Decoder(ModelR)
_shard = msgspec.msgpack.Decoder(dict[str, msgspec.Raw])
_encoder = msgspec.msgpack.Encoder()


def _identity(st: os.stat_result) -> tuple[int, ...]:
    """What changes whenever a file is written or replaced: its device, inode, size, mtime and ctime. The
    ctime (the inode's last change) cannot be set back by a program, so a shard written or replaced since
    the index recorded it, by a build stopped half-way or by hand, has another identity and is hashed."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _contents(f, size: int):
    """The bytes of the open shard ``f``: mapped read-only where the system allows replacing a mapped file
    (each shard is only ever replaced, by ``write_atomic``, never rewritten in place), else read. Mapped, the
    records (``msgspec.Raw`` views of it) cost no copy and the bodies in them, skipped by the decoders, are
    not even paged in: reading the 16 shards (50 MB at 4,000 articles) cost an edit 0.03-0.04 s."""
    if os.name == "nt" or size == 0:  # Windows cannot replace a mapped file; an empty file cannot be mapped
        return f.read()
    return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


def shard_of(path: str) -> int:
    return hashlib.blake2b(path.encode("utf-8", "surrogatepass"), digest_size=1).digest()[0] % SHARDS


class StoredModel:
    """The stored model of one project; ``enabled=False``: never read or written (``--no-cache``, serve)."""

    def __init__(self, project, *, enabled: bool, notes: list[str], once: bool = False):
        self.project = project
        self.once = once  # no other build follows in this process: see ``loader``
        self.folder = project.root / CACHE_DIR
        self.path = self.folder / NAME
        self.enabled = enabled
        self.notes = notes
        self.reread: list[str] | None = None  # the last load's article files read again; None: a whole load
        self.used: str | None = None  # the token of the index the last load's site came from; None: a whole load
        self.token: str | None = None  # the token of the index on disk now, if it is of the last load

    def loader(self, inputs: dict, environment):
        """The load function for ``pipeline.load_and_assemble``: from the store when it can, else whole."""

        def load(project, problems, memo, *, drafts: bool, base_url: str | None):
            self.reread = self.used = self.token = None
            found = self._read(environment, inputs) if self.enabled else None
            if found is not None:
                model, changed = found
                collecting = gc.isenabled()
                if self.once:  # on again once the site is frozen (see the module's docstring)
                    gc.disable()
                again = reload_site(project, problems, memo, model.site, changed, drafts=drafts, base_url=base_url)
                if again is None and collecting:
                    gc.enable()  # the whole load below makes garbage of its own: collected as ever
                if again is not None:
                    self.reread = changed
                    self.used = self.token = model.token or None
                    if memo is not None:
                        memo.keep_unused()  # the other articles' memo entries were not asked for, and stay
                    if changed:
                        order = [a.path for a in again.site.articles]
                        kept = dict(zip(order, again.records, strict=True))
                        shards = {shard_of(path) for path in changed}
                        make = kept.__getitem__
                        self._write(environment, inputs, again.stored, order, model.shards, shards, make, model.written)
                    return again.site
            record = {} if self.enabled else None
            site = load_site(project, problems, memo, drafts=drafts, base_url=base_url, record=record)
            if site is not None and record and not problems.errors:
                try:
                    stored = store_site(site, record, problems)
                except TypeError:  # a value it cannot keep exactly: no store, the next build loads it all
                    self._remove()
                else:
                    shown = {a.path: a for a in site.articles}
                    make = lambda path: article_record(shown[path], record)  # noqa: E731
                    self._write(environment, inputs, stored, list(shown), None, range(SHARDS), make)
            return site

        if self.enabled:
            load.carried = TopicStates(self)  # for ``pipeline.load_and_assemble``'s review and change history
        return load

    def _read(self, environment, inputs: dict) -> tuple[ModelR, list[str]] | None:
        """The stored model (its site's records in place) and the input files changed since it was made, if
        it is this project's, with these flags and this clock setting, and no file was added or removed."""
        try:
            model = read_checked(self.path, MAGIC, code_fingerprint(), _decoder.decode)
            if model.root != str(self.project.root) or model.environment != environment.record():
                return None
            if model.inputs.keys() != inputs.keys():
                return None  # a file added or removed
            records: dict[str, msgspec.Raw] = {}
            written = model.written if len(model.written) == len(model.shards) else [()] * len(model.shards)
            for i, digest in enumerate(model.shards):
                with open(self.folder / f"model-{i:02d}.msgpack", "rb") as f:
                    st = os.fstat(f.fileno())
                    same = _identity(st) == tuple(written[i])
                    data = _contents(f, st.st_size)
                if not same and hashlib.sha256(data).hexdigest() != digest:
                    raise ValueError("a shard is not the one its index was written with")
                records.update(_shard.decode(data))
            model.site.articles = [records[path] for path in model.order]
        except FileNotFoundError:
            return None
        except OSError as exc:
            return self._ignore(f"cannot be read ({exc.strerror})")
        except LookupError as exc:
            return self._ignore(str(exc))
        except Exception as exc:  # truncated, corrupt, planted, of another shape: no store, never half used
            return self._ignore(f"is unusable: {type(exc).__name__}")
        return model, [rel for rel, info in inputs.items() if model.inputs[rel] != info.digest]

    def _ignore(self, why: str) -> None:
        self.notes.append(f"{CACHE_DIR}/{NAME} {why}; ignoring it and loading every file")

    def _write(
        self, environment, inputs: dict, site: SiteR, order: list[str], digests, shards, record, written=None
    ) -> None:
        """Write ``shards`` (each made when it is written: ``record(path)`` gives a record) and then the index
        naming every shard's hash and identity (``digests``, ``written``: the other shards', as read): a build
        stopped between the two leaves an index whose shards do not match."""
        paths: list[list[str]] = [[] for _ in range(SHARDS)]
        for path in order:
            paths[shard_of(path)].append(path)
        digests = list(digests) if digests is not None else [""] * SHARDS
        written = list(written) if written is not None and len(written) == SHARDS else [()] * SHARDS
        token = os.urandom(16).hex()
        self.token = None
        try:
            for i in shards:
                data = _encoder.encode({path: record(path) for path in paths[i]})
                digests[i] = hashlib.sha256(data).hexdigest()
                shard = self.folder / f"model-{i:02d}.msgpack"
                write_atomic(shard, data)
                written[i] = _identity(os.stat(shard))
                data = None
            index = ModelR(
                str(self.project.root),
                environment.record(),
                {rel: info.digest for rel, info in inputs.items()},
                msgspec.structs.replace(site, articles=[]),
                order,
                digests,
                written,
                token,
            )
            write_checked(self.path, MAGIC, code_fingerprint(), None, _encoder.encode(index))
            self.token = token
        except TypeError:  # a value a record cannot keep exactly: no store, the next build loads it all
            self._remove()
        except OSError as exc:
            self.notes.append(f"could not save {CACHE_DIR}/{NAME} ({exc.strerror}); the next build loads every file")
            self._remove()

    def _remove(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()
