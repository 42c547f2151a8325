"""The "nothing changed" shortcut: whether building again would make the very site the last build made.

``briefgen build`` and ``briefgen check`` ask this before they import anything of the pipeline, so it
reads the build state's rows as they are in ``state.json`` (no objects made of them) and looks at the
disk with stats only:

* the state must be this code's and libraries' (``read_checked``), for this output folder, recorded with
  this clock and these flags (``Environment.same_as``);
* every input file (``briefgen.engine.inputs.input_stats``) must be in the recorded input table, none may
  be gone, and one whose size or mtime differs must still have the recorded hash (it is read and hashed;
  a file touched but not changed is no change, as in a build);
* every output file the last build wrote must have the recorded size and mtime (none edited or deleted);
* every folder of the output must have the mtime it had when the state was saved (``state.folder_times``):
  adding, removing or renaming an entry changes its folder's mtime, so a file put into the output folder
  since, which a build would remove, is seen by one stat a folder instead of a listing of each.

Like the build's own input table, it trusts a size and mtime that match: a file rewritten with the same
size within the same mtime tick is not seen, here or by a build.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from briefgen.engine.environment import Environment
from briefgen.engine.inputs import file_digest, input_stats
from briefgen.engine.state import read_rows


@dataclass
class LastBuild:
    """What the "nothing changed" line says about the last build."""

    summary: dict  # page counts, warnings, schedule... (``briefgen.engine.rebuild.Rebuild.record``)
    outputs: int  # files it wrote


def nothing_changed(project, environment: Environment, listed: list | None = None) -> LastBuild | None:
    """The last build when no input, no output file and nothing of the ``environment`` (code and libraries,
    clock, flags) changed since; else None (also for a state that is missing, damaged or of another shape).
    ``listed`` gets every input file's ``input_stats`` row, in order, when the inputs are compared: the build that
    follows in this command takes them instead of listing the files again."""
    try:
        data = read_rows(project, environment.code, hand_on=True)  # the build that may follow takes them
        summary, outputs = data["summary"], data["outputs"]
        if data["output"] != str(project.output) or not isinstance(summary, dict):
            return None
        if not environment.same_as(summary.get("environment")):
            return None  # another SOURCE_DATE_EPOCH (another "now": stale marks, change dates) or other flags
        if not (
            _inputs_same(project, data["inputs"], listed) and _outputs_same(project.output, outputs, data["folders"])
        ):
            return None
    except Exception:  # anything unexpected in the state: build
        return None
    return LastBuild(summary, len(outputs))


def _inputs_same(project, rows: dict, listed: list | None = None) -> bool:
    """Whether the input files are the ones in ``rows`` (key -> [mtime_ns, size, digest]), by content; ``listed``
    gets them all, in order (else they are listed in any order, and only until one differs)."""
    seen = set()  # (a key met twice, as a config kept in content/ is, counts once, as in the table)
    stats = input_stats(project, ordered=listed is not None)
    if listed is not None:
        listed.extend(list(stats))  # whole or not at all
        stats = listed
    for key, path, st in stats:
        row = rows.get(key)
        if row is None:
            return False  # a new file
        if row[0] != st.st_mtime_ns or row[1] != st.st_size:
            try:
                if file_digest(Path(path)) != row[2]:
                    return False
            except OSError:
                return False
        seen.add(key)
    return len(seen) == len(rows)  # else one is gone


def _outputs_same(output: Path, rows: dict, folders: dict) -> bool:
    """Whether each output file (rel -> [digest, size, mtime_ns, ...]) and each folder (rel -> mtime_ns, ""
    for ``output``) is as recorded. Paths are looked up from the output folder's descriptor where the system
    can: some 10,000 stats, each then a name or two to look up, not the whole path."""
    if not folders:
        return False
    by_fd = os.stat in os.supports_dir_fd
    try:
        fd = os.open(output, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)) if by_fd else -1
    except OSError:
        return False
    stat, at, base = os.stat, (fd if by_fd else None), ("" if by_fd else str(output) + os.sep)
    try:
        for rel, row in rows.items():
            st = stat(base + rel, dir_fd=at)
            if st.st_size != row[1] or st.st_mtime_ns != row[2]:
                return False
        for rel, mtime_ns in folders.items():
            if stat(base + rel or ".", dir_fd=at).st_mtime_ns != mtime_ns:
                return False
    except OSError:
        return False
    finally:
        if fd >= 0:
            os.close(fd)
    return True
