"""One file replaced all at once: a reader sees the old bytes or the new ones, never half a file.

A leaf every stage may use: the writer, the search index that serve finishes after a build, serve itself.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

TMP_SUFFIX = ".briefgen-tmp"  # replace_in_place's temporary names; the writer never counts them as the site's


def replace_in_place(dest: Path, write, *, make_parent: bool = False) -> None:
    """Give ``dest`` new contents so that no reader sees half a file: ``write(tmp)`` (or the bytes
    ``write``) goes to a temporary name beside it, which is then renamed over it."""
    if make_parent:
        dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}{TMP_SUFFIX}")
    try:
        if isinstance(write, bytes):
            tmp.write_bytes(write)
        else:
            write(tmp)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
