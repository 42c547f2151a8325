"""Full-text search with Pagefind, built at build time and served by the site itself.

Pagefind (the ``pagefind[bin]`` package on PyPI ships its binary, so nothing
is downloaded at run time) indexes the rendered pages and writes a
``pagefind/`` bundle: a WebAssembly search engine, the index in small
fragments and the Default UI that ``templates/search.html`` loads. No request
leaves the site. Only the content inside ``data-pagefind-body`` is indexed, so
navigation and footers do not pollute results.

Why the command line and not Pagefind's Python API: the API's service polls
its pipe every 0.1 s per message, i.e. 0.1 s per page (5 s for the example,
minutes for a large desk), while the command line indexes the same pages in a
fraction of a second. The rendered pages go to a private temporary folder,
the binary indexes them there, and the bundle is read back as bytes that join
the build's other files. The bundle therefore goes through the same atomic
write as everything else: a Pagefind failure fails the build and leaves the
previous site as it was, unchanged index files keep their mtime, and the
output is byte-for-byte reproducible (Pagefind's own output is deterministic
for the same pages; checked by tests/test_reproducible.py).

Pagefind is a core dependency (``pip install briefgen`` brings its binary).
If it is nevertheless missing (a broken install, ``PAGEFIND_BINARY_PATH``
naming no file), ``available`` turns ``search`` off in the loaded config
before anything is rendered: the pages then carry no header search box and
no reference to ``pagefind/``, the search page lists the topics, and the
build prints a note (not a warning, so ``--strict`` judges the content, not
the machine). No page ever links to a file the build did not write. A
Pagefind that is there but fails is an error: the build stops and the
previous site stays as it was.

``briefgen serve`` indexes *after* the reload: inside ``deferred(output)`` a
build takes the bundle it indexed last time (so the write stage keeps those
files) and leaves the new pages with ``deferred``; once the open pages have
been told to reload, ``DeferredIndex.run`` indexes them and updates the
bundle and the manifest in place, each file through a rename. The search
index of a preview therefore lags a save by one Pagefind run (a fraction of a
second) instead of every save waiting for it. ``briefgen build`` never defers.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from briefgen.atomicfile import replace_in_place
from briefgen.pages.assemble import Page
from briefgen.problems import Problems

BUNDLE_DIR = "pagefind"
NOT_INDEXED = frozenset({"notfound", "search", "withdrawn"})
_cache: dict[str, dict[str, bytes]] = {}  # one entry: the last index, keyed by the pages it indexed (for serve)
_deferring: DeferredIndex | None = None  # set by ``deferred`` while serve rebuilds


def pagefind_binary() -> Path | None:
    try:
        from pagefind.service import get_executable
    except ImportError:
        return None
    try:
        binary = get_executable()
    except Exception:  # a broken install is the same as none: search is optional
        return None
    return binary if binary is not None and binary.is_file() else None


MISSING_NOTE = (
    "Pagefind is not installed, so the site has no search index and its pages no search box "
    "(reinstall briefgen with pip, or set search: false in briefgen.yaml)"
)


def available(config):
    """(``config``, None) when Pagefind can index it; else (a copy with ``search: false``, why: a note)."""
    if not config.search or pagefind_binary() is not None:
        return config, None
    return config.model_copy(update={"search": False}), MISSING_NOTE


def _key(binary: Path, pages: dict[str, bytes]) -> str:
    digest = hashlib.sha256(str(binary).encode())
    for rel in sorted(pages):
        digest.update(rel.encode() + b"\0" + hashlib.sha256(pages[rel]).digest())
    return digest.hexdigest()


def _read_tree(root: Path) -> dict[str, bytes]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            out[f"{BUNDLE_DIR}/{path.relative_to(root).as_posix()}"] = path.read_bytes()
    return out


class Interrupted(Exception):
    """``run_pagefind`` stopped because its caller no longer needs the result."""


def run_pagefind(binary: Path, pages: dict[str, bytes], interrupted=None) -> dict[str, bytes]:
    """Index ``pages`` (output path -> HTML) and return the bundle (site path -> bytes).

    ``interrupted()``, when given, is asked every few milliseconds; once it is
    true Pagefind is stopped and ``Interrupted`` raised (serve: a new save waits).
    """
    with tempfile.TemporaryDirectory(prefix="briefgen-search-") as tmp:
        site_dir, bundle_dir = Path(tmp, "site"), Path(tmp, "bundle")
        for rel, data in pages.items():
            dest = site_dir / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
        with subprocess.Popen(
            [str(binary), "--site", str(site_dir), "--output-path", str(bundle_dir), "--silent"],
            cwd=tmp,  # so that no pagefind.yml of the user's working folder applies
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as proc:
            deadline = time.monotonic() + 600
            while True:
                try:
                    out, err = proc.communicate(timeout=0.01 if interrupted else 600)
                    break
                except subprocess.TimeoutExpired:
                    if (interrupted and interrupted()) or time.monotonic() > deadline:
                        proc.kill()
                        proc.communicate()
                        if interrupted and interrupted():
                            raise Interrupted() from None
                        raise
        if proc.returncode != 0 or not (bundle_dir / "pagefind.js").is_file():
            detail = (err or out).strip().splitlines()
            raise RuntimeError(detail[-1] if detail else f"pagefind exited with status {proc.returncode}")
        return _read_tree(bundle_dir)


def search_bundle(
    pages: list[Page], files: dict[str, bytes], problems: Problems, enabled: bool = True
) -> dict[str, bytes]:
    """The ``pagefind/`` bundle for the rendered pages, or {} (with a warning) when it cannot be built."""
    if not enabled:
        return {}
    binary = pagefind_binary()
    if binary is None:  # gone since ``available`` looked: the pages link to the bundle, so this is an error
        problems.error("briefgen.yaml", None, "Pagefind is not installed any more", "reinstall briefgen with pip")
        return {}
    indexed = {p.output: files[p.output] for p in pages if p.kind not in NOT_INDEXED and p.output in files}
    key = _key(binary, indexed)
    if key in _cache:
        return _cache[key]
    if _deferring is not None and _deferring.bundle is not None:
        _deferring.pending = (binary, key, indexed)
        return _deferring.bundle
    try:
        bundle = run_pagefind(binary, indexed)
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        problems.error(
            "briefgen.yaml",
            None,
            f"Pagefind failed to build the search index: {exc}",
            "reinstall briefgen with pip, or set search: false in briefgen.yaml",
        )
        return {}
    _cache.clear()
    _cache[key] = bundle
    if _deferring is not None:
        _deferring.bundle = bundle
    return bundle


@dataclass
class DeferredIndex:
    """The search bundle of a preview's output folder, indexed after each reload (see the module docstring)."""

    output: Path
    bundle: dict[str, bytes] | None = None  # what the output folder holds now
    pending: tuple[Path, str, dict[str, bytes]] | None = None  # (binary, key, pages) still to index
    written: list[str] = field(default_factory=list)

    def discard(self) -> None:
        """Forget the pages of a build that was not written (it failed)."""
        self.pending = None

    def run(self, interrupted=None) -> list[str]:
        """Index the pending pages; write what changed into the output folder. Returns the paths written.

        Stops early, leaving the pages pending, when ``interrupted()`` turns true.
        """
        if self.pending is None or self.bundle is None:
            return []
        binary, key, pages = self.pending
        try:
            bundle = run_pagefind(binary, pages, interrupted)
        except Interrupted:
            return []
        except (OSError, RuntimeError, subprocess.SubprocessError):
            self.pending = None
            return []  # the next build reports it; the old index stays usable meanwhile
        self.pending = None
        _cache.clear()
        _cache[key] = bundle
        old, self.bundle = self.bundle, bundle
        changed = sorted(rel for rel, data in bundle.items() if old.get(rel) != data)
        for rel in changed:
            replace_in_place(self.output / rel, bundle[rel], make_parent=True)
        for rel in sorted(set(old) - set(bundle)):
            with contextlib.suppress(OSError):
                (self.output / rel).unlink()
        if changed or set(old) - set(bundle):
            self._patch_manifest(old)
        return changed

    def _patch_manifest(self, old: dict[str, bytes]) -> None:
        from briefgen.outputs.manifest import MANIFEST_NAME, encode

        path = self.output / MANIFEST_NAME
        try:
            doc = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return
        files = {rel: h for rel, h in doc.get("files", {}).items() if rel not in old}
        files.update({rel: hashlib.sha256(data).hexdigest() for rel, data in self.bundle.items()})
        replace_in_place(path, encode({**doc, "files": files}), make_parent=True)


@contextlib.contextmanager
def deferred(index: DeferredIndex):
    """Within: builds reuse ``index.bundle`` and leave their pages for ``index.run``."""
    global _deferring
    _deferring = index
    try:
        yield index
    finally:
        _deferring = None
