"""The build state between builds: what the last build read (the input table) and wrote (the outputs), and
the templates each template names (by the hash of its source, for the page fingerprints).

The same state serves ``serve`` (kept in memory by the build database) and the command line (kept in
``.briefgen-cache/state.json``, JSON with a SHA-256, keyed by the code environment), where it also lets a
rebuild with nothing changed finish without importing the pipeline at all (``briefgen.engine.unchanged``).
On disk the state also keeps the mtime of every folder of the output as it was when the state was saved
(``folder_times``): that is how the shortcut sees a file added to the output folder, by one stat a folder.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from briefgen.engine.cachedata import CACHE_DIR, read_checked, write_checked
from briefgen.engine.inputs import InputFile, bytes_digest

STATE_NAME = "state.json"


@dataclass
class OutputFile:
    digest: str
    size: int
    mtime_ns: int
    fingerprint: str | None = None  # None for files that are not pages (feeds, statics, ...)


@dataclass
class BuildState:
    """What the last successful build read and wrote."""

    code: str
    output: str
    inputs: dict[str, InputFile] = field(default_factory=dict)
    outputs: dict[str, OutputFile] = field(default_factory=dict)
    summary: dict = field(default_factory=dict)  # page counts etc., for the "nothing changed" line
    # hash of a template's source -> the templates it names (fingerprints.template_closure): parsing them
    # again in every build cost more than fingerprinting every page
    template_refs: dict[str, tuple[str | None, ...]] = field(default_factory=dict)
    # each article's part of the fingerprints, carried to the next build (fingerprints.CarriedElements)
    elements: dict = field(default_factory=dict)
    # each article file's front-matter hash, by its hash: what a topic's exports are kept by (engine.exportkey)
    heads: str = ""


def state_path(project) -> Path:
    return project.root / CACHE_DIR / STATE_NAME


STATE_MAGIC = b"briefgen-state 2\n"


_handed: tuple[tuple, object] | None = None  # (which file, its rows) as the "nothing changed" shortcut read them


def _identity(path: Path, code: str) -> tuple:
    st = os.stat(path)
    return (str(path), code, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def read_rows(project, code: str, *, hand_on: bool = False):
    """The rows of ``state.json`` as written (``read_checked``: raises if it is not this code's state).

    ``hand_on``: keep them for the ``load_state`` this process runs next, which takes them if the file is still
    the very one read (same inode, size and times; a build in between renames a new one into place). ``briefgen
    build`` asks the "nothing changed" shortcut first and then, when something changed, builds: parsing the
    state twice cost an edit 0.01-0.02 s at 4,000 articles."""
    global _handed
    path = state_path(project)
    identity = _identity(path, code) if hand_on else None
    rows = read_checked(path, STATE_MAGIC, code)
    if hand_on:
        _handed = (identity, rows)
    return rows


def _take_rows(project, code: str):
    """The rows handed on by ``read_rows``, if they are of the file there now; else read again."""
    global _handed
    handed, _handed = _handed, None
    if handed is not None and handed[0] == _identity(state_path(project), code):
        return handed[1]
    return read_checked(state_path(project), STATE_MAGIC, code)


def load_state(project, code: str) -> BuildState | None:
    """The last build's state, or None when absent, damaged, planted or from other code, libraries or output."""
    try:
        data = _take_rows(project, code)
        state = BuildState(
            code,
            data["output"],
            # rows as written; a value of another type only compares unequal (the file is then rebuilt)
            {k: InputFile(*v) for k, v in data["inputs"].items()},
            {k: OutputFile(*v) for k, v in data["outputs"].items()},
            data["summary"],
            _template_refs(data.get("template_refs", {})),
            data.get("elements", {}),  # (checked by fingerprints.CarriedElements)
            data.get("heads", ""),  # (checked by exportkey.heads_from_text)
        )
    except Exception:  # anything wrong with it: a build that reads no state, never a wrong one
        return None
    if not isinstance(state.summary, dict) or state.output != str(project.output):
        return None
    return state


def _template_refs(rows) -> dict[str, tuple[str | None, ...]]:
    """The recorded template references, each row checked to be names (or None: chosen at render time)."""
    out = {}
    for key, refs in rows.items() if isinstance(rows, dict) else ():
        if isinstance(key, str) and isinstance(refs, list) and all(r is None or isinstance(r, str) for r in refs):
            out[key] = tuple(refs)
    return out


def save_state(project, state: BuildState) -> None:
    data = {
        "output": state.output,
        "inputs": {k: [v.mtime_ns, v.size, v.digest] for k, v in state.inputs.items()},
        "outputs": {k: [v.digest, v.size, v.mtime_ns, v.fingerprint] for k, v in state.outputs.items()},
        "summary": state.summary,
        "template_refs": {k: list(v) for k, v in state.template_refs.items()},
        "elements": state.elements,
        "heads": state.heads,
        # each folder's mtime: an entry added anywhere in the output changes its folder's (briefgen.engine.unchanged)
        "folders": folder_times(project.output, state.outputs),
    }
    write_checked(state_path(project), STATE_MAGIC, state.code, data, _json_bytes(data))
    with contextlib.suppress(OSError):
        (state_path(project).parent / "state.bin").unlink()  # format 1 (a pickle): never read


def _json_bytes(data: dict) -> bytes:
    """``data`` as ``cachedata.to_text`` writes it, by msgspec (``jsontext.compact``): 1 ms for the state of 4,000
    articles where ``json.dumps`` took 9-13. A path msgspec cannot encode (a lone surrogate: an undecodable file
    name) goes through ``json.dumps``, and is kept by the ``surrogatepass`` encoding, as ``write_checked`` keeps it."""
    from briefgen.jsontext import compact  # here: the no-change shortcut imports this module, and not msgspec

    return compact(data).encode("utf-8", "surrogatepass")


def output_intact(
    output: Path, outputs: dict[str, OutputFile], only: set[str] | None = None, seen: dict | None = None
) -> set[str]:
    """The recorded output files that are missing or were touched since (size or mtime differ); ``seen`` gets
    the ``stat`` of each of the others (the write stage stages it by that, ``write.Staging.link``)."""
    bad = set()
    base = str(output) + os.sep
    for rel, info in outputs.items():
        if only is not None and rel not in only:
            continue
        try:
            st = os.stat(base + rel)
        except OSError:
            bad.add(rel)
            continue
        if st.st_size != info.size or st.st_mtime_ns != info.mtime_ns:
            bad.add(rel)
        elif seen is not None:
            seen[rel] = st
    return bad


def recorded_bytes(output: Path, outputs: dict[str, OutputFile], held: dict | None = None):
    """A function of an output path: its file's bytes when they are the ones recorded in ``outputs`` (by their hash),
    else None. ``held``: the bytes a session (serve) holds, looked at before the output folder."""

    def read(rel: str) -> bytes | None:
        old = outputs.get(rel)
        if old is None:
            return None
        data = held.get(rel) if held else None
        if data is None:
            try:
                with open(str(output) + os.sep + rel, "rb") as f:
                    data = f.read()
            except OSError:
                return None
        return data if bytes_digest(data) == old.digest else None

    return read


def folder_times(output: Path, outputs) -> dict[str, int]:
    """The mtime of every folder that holds one of ``outputs`` (paths in ``output``), "" for ``output`` itself;
    -1 for one that cannot be read."""
    folders = {""}
    for rel in outputs:
        head = rel.rpartition("/")[0]
        while head not in folders:
            folders.add(head)
            head = head.rpartition("/")[0]
    base = str(output) + os.sep
    times = {}
    for rel in sorted(folders):
        try:
            times[rel] = os.stat(base + rel).st_mtime_ns
        except OSError:
            times[rel] = -1
    return times


def last_manifest(output: Path, previous: dict) -> dict[str, str]:
    """path -> SHA-256 from the manifest the last build wrote, if it is still as written; else {}."""
    from briefgen.outputs.manifest import MANIFEST_NAME, read_manifest  # (not for the "nothing changed" shortcut)

    if MANIFEST_NAME not in previous or output_intact(output, {MANIFEST_NAME: previous[MANIFEST_NAME]}):
        return {}
    try:
        return read_manifest((output / MANIFEST_NAME).read_bytes())
    except OSError:
        return {}
