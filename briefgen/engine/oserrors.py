"""An error from the operating system (full disk, read-only folder...) as one located problem.

``os_problem(exc, project)`` gives ``path: what happened (hint)`` for an
``OSError``: the path it names (relative to the project when inside it), in
words a user acts on, never a traceback.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from briefgen.problems import Problem

_SAYS = {
    errno.ENOSPC: ("no space left on the device", "free some space, or build to another disk with --output"),
    errno.EDQUOT: ("disk quota exceeded", "free some space, or build to another disk with --output"),
    errno.EROFS: ("the file system is read-only", "build to a writable folder with --output"),
    errno.EACCES: ("permission denied", "check who owns the folder and its permissions, or choose another --output"),
    errno.EPERM: ("operation not permitted", "check the folder's permissions and attributes (chattr, chflags)"),
    errno.ENOTDIR: ("a file is in the way where a folder should be", "move or remove that file"),
    errno.EEXIST: ("a file is in the way where a folder should be", "move or remove that file"),
    errno.EISDIR: ("a folder is in the way where a file should be", "move or remove that folder"),
    errno.EXDEV: (
        "the output folder is on another file system than the folder it is in (a mount point?)",
        "briefgen swaps the whole folder in at once: build into a folder inside the mount with --output",
    ),
    errno.EBUSY: (
        "the folder is busy (a mount point?)",
        "briefgen swaps the whole folder in at once: build into a folder inside the mount with --output",
    ),
    errno.ENAMETOOLONG: ("the file name is too long", "use shorter slugs or a shorter --output path"),
    errno.EMFILE: ("too many open files", "raise the limit (ulimit -n) and build again"),
}


def os_problem(exc: OSError, project=None) -> Problem:
    path = exc.filename2 if exc.errno == errno.EXDEV and exc.filename2 else exc.filename
    where = str(path) if path is not None else (str(project.output) if project is not None else "briefgen")
    if project is not None and path is not None:
        try:
            where = project.rel(_as_output(Path(os.fsdecode(path)), project.output))
        except (OSError, ValueError):
            pass
    what, hint = _SAYS.get(exc.errno, (exc.strerror or str(exc), "check the disk and the folder, then build again"))
    if project is not None and exc.errno in (errno.EACCES, errno.EPERM) and path is not None:
        if _as_output(Path(os.fsdecode(path)), project.output) == project.output:
            hint = (
                f"a build writes the new site beside {project.output.name}/ and swaps it in, so the folder that "
                "holds it must be writable too; or choose another --output"
            )
    return Problem(where, None, what, hint)


def _as_output(path: Path, output: Path) -> Path:
    """A path in a staging folder beside ``output`` (``.site.tmp-<pid>-<random>/a/b``) as the output's ``a/b``."""
    try:
        rest = path.relative_to(output.parent)
    except ValueError:
        return path
    if rest.parts and rest.parts[0].startswith(f".{output.name}.tmp-"):
        return output.joinpath(*rest.parts[1:])
    return path
