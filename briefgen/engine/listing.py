"""What an output folder holds: the files of briefgen's site, and the dot-entries it keeps for the user.

``existing_files`` lists a folder (each dot-entry, such as a ``.git`` checkout, as one entry, never walked
into); ``kept_entries`` picks the dot-entries a new site keeps: those briefgen did not write. The writer
(``briefgen.engine.write``) and ``briefgen clean --site`` both decide with these.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from briefgen.atomicfile import TMP_SUFFIX
from briefgen.outputs.manifest import MANIFEST_NAME


def existing_files(root: Path, times: dict[str, int] | None = None) -> tuple[set[str], set[str]]:
    """(files, dot-entries) under ``root``: a dot-entry (``.git``, ``.well-known``...) is listed as one
    entry, folder or file, and never walked into; the manifest briefgen writes is a file like the others.
    A link to a folder is neither (it is not walked into); an unreadable folder is skipped. ``times`` gets the
    mtime of each folder walked, as it was before it was read (by its prefix: "" for ``root``, "a/b/")."""
    if not root.is_dir():
        return set(), set()
    out, dots = set(), set()
    stack = [("", str(root))]
    while stack:  # os.scandir with string paths, not os.walk or a Path per file: 5,000 files in a few ms
        prefix, folder = stack.pop()
        try:
            if times is not None:
                times[prefix] = os.stat(folder).st_mtime_ns
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if name.startswith("."):
                    dots.add(prefix + name)
                elif not entry.is_symlink():
                    stack.append((prefix + name + "/", entry.path))
            elif name.startswith(".") and name != MANIFEST_NAME:
                dots.add(prefix + name)
            else:
                out.add(prefix + name)
    return out, dots


def kept_entries(output: Path, dots: set[str], produced: set[str], written: set[str]) -> list[str]:
    """The dot-entries of the old site that the new one keeps: those briefgen did not write.

    ``written`` lists what the last build recorded writing (its state, else its manifest); a dot-file
    briefgen wrote and no longer produces goes, as does a temporary file a killed write left.
    """
    if not dots - produced:
        return []
    if not written:
        from briefgen.outputs.manifest import read_manifest

        with contextlib.suppress(OSError):
            written = set(read_manifest((output / MANIFEST_NAME).read_bytes()))
    return sorted(
        rel
        for rel in dots - produced
        if rel not in written and not rel.endswith(TMP_SUFFIX) and not any(p.startswith(rel + "/") for p in produced)
    )


# How close to the walk a folder's mtime may be before it is not trusted: a file system stamps times from a
# coarse clock (a kernel tick, a few ms; two seconds on FAT), so a folder changed in the same tick as it was read
# keeps the mtime the walk saw ("racy git" has the same rule for its index).
RACY_NS = 3_000_000_000


def folders_as_listed(root: Path, times: dict[str, int], since: int) -> bool:
    """Whether every folder ``existing_files(root, times)`` walked still has the mtime it had then: nothing was
    added to, removed from or renamed in any of them since (a new dot-entry the user made included). ``since``:
    ``time.time_ns()`` when the walk began; a folder whose mtime was within ``RACY_NS`` of it could have changed
    again without its mtime moving, so the answer is then False too."""
    base = str(root) + os.sep
    for prefix, mtime in times.items():
        if mtime >= since - RACY_NS:
            return False
        try:
            if os.stat(base + prefix).st_mtime_ns != mtime:
                return False
        except OSError:
            return False
    return True
