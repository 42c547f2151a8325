"""The commit of a build: a complete staged site takes the output folder's place all at once.

Every build writes its whole site into a staging folder beside the output
(``.site.tmp-<pid>-<random>``; unchanged files are hard links to the old
ones). ``swap_in`` then:

1. writes a journal beside the output (``.site.swap``: the staging folder's
   name and inode, the old folder's name, the entries kept from the old
   site) through a temporary name and a rename, so it is whole or absent;
2. moves the entries briefgen keeps (a ``.git`` checkout, the user's other
   dot-entries) from the old site into the staged one;
3. exchanges the two folders in one step (Linux ``renameat2(RENAME_EXCHANGE)``;
   elsewhere, or on a file system that cannot, two renames: output to
   ``.site.old-<pid>-<random>``, staging to output);
4. keeps the old site as the spare tree ``.site.spare`` (``briefgen.engine.spare``: the next build
   stages into it) or, where one is there already, removes it; then removes the journal.

A reader sees the old site or the new one, never a mix: before step 3 the
output folder is the old site, after it the new one. A process killed at any
point leaves the journal; ``recover`` (run under the build lock before
anything reads the output, so also before the change history is read)
decides from the inodes alone: if the output folder is the staged one, the
swap happened and only the removal of the old site is finished; otherwise
it is undone (the old site back in place with the entries moved out of it).
Staging folders of processes that are gone and old folders no journal
mentions (left by earlier versions) are removed, or put back if the output
folder is missing.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
from pathlib import Path

from briefgen.engine import faults

RENAME_EXCHANGE = 2
AT_FDCWD = -100
_renameat2 = None


def _exchange(a: Path, b: Path) -> bool:
    """Swap the names ``a`` and ``b`` atomically; False where the system or file system cannot."""
    global _renameat2
    if faults.no_exchange():
        return False
    import ctypes  # (here: not for a build that finds nothing changed)

    if _renameat2 is None:
        _renameat2 = _libc_renameat2(ctypes)
    if _renameat2 is False:
        return False
    if _renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _libc_renameat2(ctypes):
    """libc's ``renameat2``, or False. Looked up among the process's own symbols first (``CDLL(None)``: CPython
    on Linux has libc loaded); only where they lack it is libc found by name, by ``ctypes.util.find_library``,
    which runs ``ldconfig -p`` in a subprocess (10-60 ms of an edit's wall time, for every rebuild)."""
    for by_name in (False, True):
        try:
            if by_name:
                import ctypes.util

                libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
            else:
                libc = ctypes.CDLL(None, use_errno=True)
            found = libc.renameat2
        except (OSError, AttributeError):
            continue
        found.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        return found
    return False


def journal_path(output: Path) -> Path:
    return output.parent / f".{output.name}.swap"


def spare_path(output: Path) -> Path:
    """Where the site before the current one is kept for the next build to stage into (``briefgen.engine.spare``)."""
    return output.parent / f".{output.name}.spare"


def _inode(path: Path) -> list[int] | None:
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    return [st.st_dev, st.st_ino]


def _write_journal(path: Path, doc: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(doc, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def swap_in(staged: Path, output: Path, keep: list[str]) -> None:
    """Make the complete site in ``staged`` the ``output`` folder, keeping the old site's ``keep`` entries."""
    if not os.path.lexists(output):
        faults.point("rename new")
        os.rename(staged, output)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{output.name}.old-{os.getpid()}-", dir=output.parent))
    os.rmdir(old)
    journal = journal_path(output)
    doc = {"staged": staged.name, "inode": _inode(staged), "old": old.name, "keep": keep}
    faults.point("journal")
    _write_journal(journal, doc)
    try:
        for name in keep:
            faults.point("keep")
            os.rename(output / name, staged / name)
        faults.point("exchange")
        if _exchange(staged, output):
            leftover = staged  # now the old site
        else:
            os.rename(output, old)
            faults.point("between renames")
            os.rename(staged, output)
            leftover = old
    except BaseException:
        recover(output)  # not swapped: the old site back as it was, entries moved out of it included
        raise
    faults.point("swapped")
    _keep_spare(leftover, output)
    faults.point("journal removal")
    os.unlink(journal)


def _keep_spare(leftover: Path, output: Path) -> None:
    """Keep the old site ``leftover`` as the spare tree, or remove it if a spare is there already."""
    spare = spare_path(output)
    if not os.path.lexists(spare):
        faults.point("keep spare")
        try:
            os.rename(leftover, spare)
            return
        except OSError:
            pass
    remove_tree(leftover)


def remove_tree(path: Path) -> None:
    """Remove the folder ``path`` entry by entry (a kill in between leaves part of it, which recovery removes)."""
    try:
        entries = list(os.scandir(path))
    except FileNotFoundError:
        return
    for entry in entries:
        faults.point("remove old")
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
    shutil.rmtree(path, ignore_errors=True)


def recover(output: Path) -> list[str]:
    """Finish or undo a swap that was cut short, and remove what killed builds left beside ``output``.

    Run with the build lock held, before anything reads the output. Returns what was done, in words.
    """
    done = []
    journal = journal_path(output)
    half = journal.with_name(journal.name + ".tmp")
    if os.path.lexists(half):  # (unlink on a read-only file system fails even for a missing file)
        os.unlink(half)
    doc = None
    if os.path.lexists(journal):
        with contextlib.suppress(ValueError):  # a journal is written whole or not at all
            doc = json.loads(journal.read_text(encoding="utf-8"))
    if isinstance(doc, dict):
        done.append(_finish(output, doc))
        os.unlink(journal)
    done.extend(sweep_abandoned(output))
    return done


def _finish(output: Path, doc: dict) -> str:
    parent = output.parent
    staged, old = parent / str(doc.get("staged")), parent / str(doc.get("old"))
    keep = [str(name) for name in doc.get("keep", [])]
    if doc.get("inode") is not None and _inode(output) == doc.get("inode"):
        remove_tree(staged)  # holds the old site after an exchange
        remove_tree(old)  # or, after two renames, here
        return "finished an interrupted swap of the output folder"
    if not os.path.lexists(output):
        if os.path.isdir(old):
            os.rename(old, output)  # killed between the two renames: the old site goes back
        elif os.path.isdir(staged) and _inode(staged) == doc.get("inode"):
            os.rename(staged, output)  # no old site to go back to (it cannot happen; never lose the new one)
            return "finished an interrupted swap of the output folder"
    for name in keep:  # entries moved out of the old site go back into it
        if os.path.lexists(staged / name) and not os.path.lexists(output / name):
            (output / name).parent.mkdir(parents=True, exist_ok=True)
            os.rename(staged / name, output / name)
    remove_tree(staged)
    return "undid an interrupted swap of the output folder; the previous site is in place"


def sweep_abandoned(output: Path) -> list[str]:
    """Remove staging folders beside ``output`` left by builds whose process is gone, and old sites left
    by a swap no journal describes (an earlier version's); an old site is put back if the output is missing.

    A staging folder is named ``.<output>.tmp-<pid>-<random>``; one whose process still runs is left alone.
    """
    removed = []
    tmp_prefix, old_prefix = f".{output.name}.tmp-", f".{output.name}.old-"
    try:
        entries = sorted(os.scandir(output.parent), key=lambda e: e.name)
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not name.startswith((tmp_prefix, old_prefix)) or not entry.is_dir(follow_symlinks=False):
            continue
        if name.startswith(tmp_prefix):
            pid = name[len(tmp_prefix) :].split("-", 1)[0]
            if not pid.isdigit():
                continue  # not a name briefgen gives
        else:
            pid = _old_pid(name, old_prefix)  # None: an earlier version's, which named no process
        if pid is not None and (int(pid) == os.getpid() or _alive(int(pid))):
            continue  # a build still at work
        if name.startswith(old_prefix) and not os.path.lexists(output):
            os.rename(entry.path, output)
            removed.append(f"put {name} back as {output.name}")
            continue
        remove_tree(Path(entry.path))
        removed.append(f"removed {name}")
    return removed


def _old_pid(name: str, prefix: str) -> str | None:
    rest = name[len(prefix) :].split("-", 1)
    return rest[0] if len(rest) == 2 and rest[0].isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, and belongs to someone else
        return True
    return True
