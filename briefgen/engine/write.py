"""Write: bytes -> the output folder, never half a site.

Every build stages the complete new site in a folder beside the output
(``Staging``): files whose bytes did not change are hard-linked from the
previous output (same inode, so the same mtime: rsync and publish see no
change), the others are written new. That folder is the spare tree the last
swap left when there is one (``briefgen.engine.spare``: the site before the
current one, mostly hard links to the current one), brought up to date: an
entry is left alone only if it is the output's very file, every other one is
replaced or removed, so a one-article rebuild touches a few dozen entries
instead of linking thousands. Only when everything has rendered and been
checked is the staged folder swapped in for the output in one step
(``briefgen.engine.swap``, which also finishes or undoes a swap a killed build
cut short, and keeps the folder that comes out as the next spare); what
briefgen keeps for the user in the old output (a ``.git`` checkout and other
dot-entries it did not write, see ``listing.kept_entries``) moves into the new
one. ``write_site`` does it in one call; a build that streams its files as they
are made uses ``Staging`` itself, so the site is never in memory whole.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from briefgen.engine import faults, spare, streamed
from briefgen.engine.fileops import copy_new, fresh, link_or_copy, make_dirs, same_bytes, stat_or_none, write_new
from briefgen.engine.inputs import bytes_digest, bytes_hash, digest_of_sha256
from briefgen.engine.listing import existing_files, kept_entries
from briefgen.engine.swap import swap_in


@dataclass
class WriteStats:
    changed_paths: list[str] = field(default_factory=list)  # written with new bytes
    unchanged: int = 0
    removed_paths: list[str] = field(default_factory=list)
    # (size, mtime_ns) of each file staged unread as the old output's very file (the same inode, so the same
    # stat once swapped in): the build records them without a stat of its own (``rebuild.record``)
    linked: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return len(self.changed_paths)

    @property
    def removed(self) -> int:
        return len(self.removed_paths)


def output_digest(memo, data: bytes) -> str:
    """``inputs.bytes_digest(data)``: from the SHA-256 ``manifest.manifest_bytes`` took of these very bytes (its
    ``memo``, a ``manifest.ManifestHashes``), if it did, instead of a second pass over them (a rebuild records
    the digest of each file it writes)."""
    entry = memo.by_id.get(id(data)) if memo is not None else None
    if entry is not None and entry[0] is data:
        return digest_of_sha256(entry[1])
    return bytes_digest(data)


def _recorded_same(st: os.stat_result | None, rel: str, known: dict | None, digest: str | None) -> bool | None:
    """Compare by the hash the last build recorded, without reading the file ``st`` describes; None: cannot tell."""
    if not known or digest is None or rel not in known:
        return None
    if st is None:
        return False
    recorded, size, mtime_ns = known[rel][:3]
    if st.st_size != size or st.st_mtime_ns != mtime_ns:
        return None  # touched since: read it
    return recorded == digest


class Staging:
    """A new site written file by file into a temporary folder beside ``output``, then swapped in.

    What ``write_site`` does in one call, for a build that streams its files
    as they are made instead of holding them all in memory: ``put`` each
    generated file and ``copy`` each static one (a file whose bytes did not
    change is hard-linked from the old output, so it keeps its inode and
    mtime), then ``commit`` swaps the folder in, or ``discard`` (a failed
    build) removes it and the old site is as it was. ``write`` may run in
    forked workers: it touches only the file system and answers (the file's
    digest, whether it changed); the parent records that with ``note``.
    Nothing is ever written through an existing file in the staging folder
    (it may be a hard link into the old site): a path staged twice is
    unlinked first.

    ``files`` maps each generated path to its bytes, read back from the disk
    when asked (from the staging folder, and from ``output`` once committed);
    setting an item stages it. ``digests`` holds the digest of each: the first
    half (``inputs.digest_of_sha256``) of the hex digest by ``hasher`` (a hashlib
    constructor; ``inputs.bytes_hash``, whose SHA-256 is taken once for both) and, with
    ``sha256=True``, ``sha256`` its SHA-256 (what the manifest lists).
    """

    def __init__(
        self,
        output: Path,
        known: dict[str, tuple[str, int, int]] | None = None,
        hasher: Callable[[bytes], object] | None = None,
        sha256: bool = False,
        seen: dict[str, os.stat_result] | None = None,
        listing: tuple[set[str], set[str]] | None = None,
    ):
        self.output = output
        self.known = known or {}
        self.seen = seen if seen is not None else {}  # ``state.output_intact``'s stats of the output's files
        self.hasher = hasher
        self.with_sha256 = sha256
        self.digests: dict[str, str | None] = {}
        self.sha256: dict[str, str] = {}
        output.parent.mkdir(parents=True, exist_ok=True)
        # what the output holds (``listing.existing_files``; ``listing``: as the build's ``probe`` found it)
        self.before, self.dots = listing if listing is not None else existing_files(output)
        self.folder = Path(tempfile.mkdtemp(prefix=f".{output.name}.tmp-{os.getpid()}-", dir=output.parent))
        self.spare = spare.take(output, self.folder)  # the site before last, to bring up to date; or None
        self._old, self._staged = str(output) + os.sep, str(self.folder) + os.sep
        self.stats = WriteStats()
        self.names: dict[str, None] = {}  # generated files, in the order they were noted
        self.copied: dict[str, None] = {}
        self.files = StagedFiles(self)
        self.placed = 0  # entries written or linked in this process (not those the spare had in place)
        self._dirs: set[str] = set()  # folders made (relative)

    def _dest(self, rel: str) -> str:
        """Where ``rel`` is staged, its folders made; a string (Path objects cost a rebuild that links 5,000 files
        0.05 s, and a cold build's workers as much)."""
        folder = rel.rpartition("/")[0]
        if folder and folder not in self._dirs:
            try:
                make_dirs(self._staged + folder)
            except (FileExistsError, NotADirectoryError):
                if self.spare is None:
                    raise
                spare.clear_way(self.folder, rel)  # the spare has a file where the new site has a folder
                make_dirs(self._staged + folder)
            self._dirs.add(folder)
        self.placed += 1
        return self._staged + rel

    def _was_there(self, rel: str) -> bool:
        """Whether the old output has the file ``rel`` (files in dot-folders are not listed: look)."""
        return rel in self.before or ("/." in "/" + rel and os.path.isfile(self.output / rel))

    def _unchanged(self, rel: str, digest: str | None, read, compare=None) -> tuple[bool, os.stat_result | None]:
        """Whether the old output's file at ``rel`` has these bytes (``read()``; or ``compare(old path)``
        says so), and its ``stat``."""
        if not self._was_there(rel):
            return False, None
        st = stat_or_none(self._old + rel)
        same = _recorded_same(st, rel, self.known, digest)
        if same is None:
            old = self.output / rel
            same = st is not None and (compare(old) if compare is not None else same_bytes(old, read()))
        return same, st

    def _stage_old(self, rel: str, st: os.stat_result | None) -> bool:
        """Stage the old output's file at ``rel``: the spare's entry if it is that very file, else a new link;
        whether the staged entry is that very file (not a copy)."""
        if self.spare is not None and rel in self.spare.files and spare.in_place(self._staged, rel, st):
            return True
        dest = self._dest(rel)
        return fresh(dest, lambda: link_or_copy(self._old + rel, dest), self.spare is not None)

    def _stage_new(self, rel: str, make: Callable[[str], None]) -> None:
        dest = self._dest(rel)
        fresh(dest, lambda: make(dest), self.spare is not None)

    def write(self, rel: str, data: bytes, digest: str | None = None) -> tuple[str | None, str | None, bool]:
        """Stage generated ``data`` at ``rel``; (its digest, its SHA-256, whether it differs from the old file)."""
        sha256 = hashlib.sha256(data).hexdigest() if self.with_sha256 else None
        if digest is None and self.hasher is not None:
            # one pass over the bytes where the digest is the SHA-256's first half
            digest = digest_of_sha256(sha256 if sha256 and self.hasher is bytes_hash else self.hasher(data).hexdigest())
        same, st = self._unchanged(rel, digest, lambda: data)
        if same:
            self._stage_old(rel, st)
            return digest, sha256, False
        self._stage_new(rel, lambda dest: write_new(dest, data))
        return digest, sha256, True

    def write_text(self, rel: str, pieces: Iterable[str]) -> tuple[str | None, str | None, bool]:
        """Stage the UTF-8 encoding of the text ``pieces`` make, joined, at ``rel``; what ``write`` answers.

        A text under ``streamed.STREAM_AFTER`` characters is joined and handed to ``write``; a larger one (a
        topic's briefing pack: 181 MB at 64,000 articles) is encoded, hashed and written a few pieces at a
        time, never in memory whole (as text, then as bytes), and compared with the old output's file on the
        disk. The bytes are the same either way (tests/test_streamed_pages.py)."""
        head, rest = streamed.start(pieces)
        if rest is None:
            return self.write(rel, head.encode("utf-8"))
        one_pass = self.hasher is bytes_hash and self.with_sha256  # the digest is the SHA-256's first half
        hashes = streamed.Hashes(None if one_pass else self.hasher, self.with_sha256)
        dest = self._dest(rel)
        try:
            fresh(dest, lambda: streamed.write_pieces(dest, head, rest, hashes), self.spare is not None)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(dest)  # half a page is never left staged (the build fails; the staging folder goes)
            raise
        digest, sha256 = hashes.digests()
        if self.hasher is not None:
            digest = digest_of_sha256(sha256 if one_pass else digest)
        same, st = self._unchanged(rel, digest, None, lambda old: streamed.same_file(old, dest))
        if same:
            self._stage_old(rel, st)  # the old output's very file replaces the new copy, as ``write`` stages it
        return digest, sha256, not same

    def note(self, rel: str, answer: tuple[str | None, str | None, bool]) -> None:
        """Record what ``write`` answered for ``rel`` (possibly in another process)."""
        self.names[rel] = None
        self.digests[rel], sha256, changed = answer
        if sha256 is not None:
            self.sha256[rel] = sha256
        self._count(rel, changed)

    def put(self, rel: str, data: bytes, digest: str | None = None) -> None:
        self.note(rel, self.write(rel, data, digest))

    def copy(self, rel: str, source: Path, digest: str | None = None) -> bool:
        """Stage the static file ``source`` at ``rel``."""
        same, st = self._unchanged(rel, digest, source.read_bytes)
        if same:
            self._stage_old(rel, st)
        else:
            self._stage_new(rel, lambda dest: copy_new(source, dest))
        self.copied[rel] = None
        self._count(rel, not same)
        return not same

    def _count(self, rel: str, changed: bool) -> None:
        if changed:
            self.stats.changed_paths.append(rel)
        else:
            self.stats.unchanged += 1

    def link(self, rel: str, digest: str | None = None) -> bool:
        """Stage ``rel`` as the old output's file, unread, and note it, if the last build recorded writing these
        very bytes (``digest``) and the file is as written; False (nothing staged) when that cannot be told.

        What ``_recorded_same`` and ``note`` do, in one call: a one-article rebuild runs it for each of
        thousands of unchanged files."""
        known = self.known.get(rel)
        if known is None or digest is None or known[0] != digest or not self._was_there(rel):
            return False
        # the stat taken earlier in this build, if it was (see ``write_site``)
        st = self.seen.pop(rel, None) or stat_or_none(self._old + rel)
        if st is None or st.st_size != known[1] or st.st_mtime_ns != known[2]:
            return False
        if self._stage_old(rel, st):
            self.stats.linked[rel] = (st.st_size, st.st_mtime_ns)
        self.digests[rel] = digest
        self.names[rel] = None
        self.stats.unchanged += 1
        return True

    def commit(self) -> WriteStats:
        """Swap the staged site in for ``output``; files it does not have are gone with the old folder,
        except the entries briefgen keeps (``kept_entries``), which move into the new one."""
        try:
            produced = self.names.keys() | self.copied.keys()
            if self.spare is not None:
                spare.tidy(self.folder, self.spare, produced)  # what the site before last had, and this one not
            self.stats.removed_paths = sorted(self.before - produced)
            keep = kept_entries(self.output, self.dots, produced, set(self.known))
            for rel in keep:
                if "/" in rel:
                    (self.folder / rel).parent.mkdir(parents=True, exist_ok=True)
            gone = {
                rel for rel in self.dots - produced - set(keep) if not any(p.startswith(rel + "/") for p in produced)
            }
            self.stats.removed_paths.extend(sorted(gone))
            os.chmod(self.folder, 0o755)
            swap_in(self.folder, self.output, keep)
        except BaseException:
            self.discard()
            raise
        self.folder = self.output
        return self.stats

    def discard(self) -> None:
        if self.folder != self.output:
            shutil.rmtree(self.folder, ignore_errors=True)


class StagedFiles(Mapping):
    """Path -> bytes of the files a ``Staging`` wrote, read from the disk when asked (not held in memory)."""

    def __init__(self, staging: Staging):
        self._staging = staging

    def __getitem__(self, rel: str) -> bytes:
        if rel not in self._staging.names:
            raise KeyError(rel)
        return (self._staging.folder / rel).read_bytes()

    def __contains__(self, rel: object) -> bool:
        return rel in self._staging.names

    def __iter__(self) -> Iterator[str]:
        return iter(self._staging.names)

    def __len__(self) -> int:
        return len(self._staging.names)

    def __setitem__(self, rel: str, data: bytes) -> None:
        self._staging.put(rel, data)

    def update(self, other: Mapping[str, bytes]) -> None:
        for rel, data in other.items():
            self._staging.put(rel, data)


def write_site(
    output: Path,
    files: Mapping[str, bytes],
    copies: dict[str, Path] | None = None,
    *,
    known: dict[str, tuple[str, int, int]] | None = None,
    digests: dict[str, str] | None = None,
    seen: dict[str, os.stat_result] | None = None,
    listing: tuple[set[str], set[str]] | None = None,
) -> WriteStats:
    """Replace ``output`` with exactly ``files`` (generated) plus ``copies`` (static sources).

    ``known`` (path -> (hash, size, mtime_ns) recorded by the last build) and
    ``digests`` (path -> hash of the new bytes) let unchanged files be
    recognised without reading them back. ``seen`` (path -> ``stat`` of the
    output's file, taken earlier in this build, ``state.output_intact``) spares
    a second ``stat`` of each: a file changed in between is still staged as the
    very file of the output (its bytes, whatever they are now: the same as a
    ``stat`` taken here would stage, a moment before the link), and recorded
    with the size and mtime it had when seen, so the next build sees it touched
    and makes it again. ``listing``: ``existing_files(output)``, taken earlier in this build (``probe``).
    """
    digests = digests or {}
    staging = Staging(output, known, seen=seen, listing=listing)
    try:
        for rel in files:  # a file's bytes only when they must be compared or written (see ``SiteFiles``)
            digest, placed = digests.get(rel), staging.placed
            if not staging.link(rel, digest):
                staging.put(rel, files[rel], digest)
            if staging.placed != placed:  # (an entry the spare tree has in place already is no step)
                faults.point("stage")
        for rel, source in (copies or {}).items():
            staging.copy(rel, source, digests.get(rel))
    except BaseException:
        staging.discard()
        raise
    return staging.commit()
