"""Reading content files: safely (nothing through a link out of content/), within the size limit, as UTF-8
text without control characters, and every problem reported at its file."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from briefgen.content.yamlsource import CONTROL_CHARACTER, normalise_text
from briefgen.problems import Problems
from briefgen.project import Project

# Every byte but the C0 controls CONTROL_CHARACTER refuses (tab, newline and carriage return are fine) and DEL.
_NOT_CONTROL = bytes(b for b in range(256) if not (b < 0x20 and b not in (0x09, 0x0A, 0x0D) or b == 0x7F))
# What Path.is_file() treats as "no such file" rather than an error (pathlib's _IGNORED_ERRNOS, _WINERRORS).
_NOT_FOUND = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)
_NOT_FOUND_WINDOWS = (21, 123, 1921)


class ContentFiles:
    """The files of one project's content folder, as the loader reads them."""

    config = None  # the site config once loaded (its max_file_size); set by the Loader

    def __init__(self, project: Project, problems: Problems):
        self.project = project
        self.problems = problems
        self._rel_dirs: dict[str, str] = {}
        self._rels: dict[str, str] = {}
        self._content = str(project.content_dir)
        self._content_real = project.content_dir.resolve()
        self._dirs_inside: dict[str, bool] = {}  # folder in content/ -> whether it resolves inside content/

    def rel(self, path: str | os.PathLike) -> str:
        """``path`` as shown to the user, without following a symbolic link at its end."""
        path = os.fspath(path)
        found = self._rels.get(path)  # an article's is asked for three times a build
        if found is None:
            folder, name = os.path.split(path)
            parent = self._rel_dirs.get(folder)
            if parent is None:  # resolving is slow, and thousands of articles share one folder
                parent = self._rel_dirs[folder] = self.project.rel(folder)
            found = self._rels[path] = name if parent in (".", "") else f"{parent}/{name}"
        return found

    def read(self, path: str | os.PathLike) -> str | None:
        path = os.fspath(path)  # plain strings and os calls: thousands of files, pathlib's overhead showed
        rel = self.rel(path)
        if not self.inside_content(path, rel):
            return None
        limit = self.config.max_file_size if self.config else 2_000_000
        try:
            st = _stat_or_none(path)  # follows a link, as Path.is_file() does
            if st is None or not stat.S_ISREG(st.st_mode):
                self.problems.error(rel, None, "not a regular file", "content files must be plain text files")
                return None
            size = st.st_size
            if size > limit:
                self.problems.error(
                    rel,
                    None,
                    f"file is {size:,} bytes, more than the limit of {limit:,}",
                    "split it, or raise max_file_size in briefgen.yaml",
                )
                return None
            with open(path, "rb") as f:
                raw = f.read()
            text = normalise_text(raw)
            # bytes below 0x80 never occur inside a UTF-8 sequence, so a control character is in the text
            # exactly when its byte is in the file (U+FFFE/U+FFFF: when their encodings are): a cheap test first
            bad = None
            if raw.translate(None, _NOT_CONTROL) or b"\xef\xbf\xbe" in raw or b"\xef\xbf\xbf" in raw:
                bad = CONTROL_CHARACTER.search(text)
            if bad:
                line = text.count("\n", 0, bad.start()) + 1
                column = bad.start() - text.rfind("\n", 0, bad.start())
                self.problems.error(
                    rel,
                    line,
                    f"control character U+{ord(bad.group()):04X} at column {column}",
                    "remove it: web pages and feeds cannot carry it",
                )
                return None
            return text
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            self.problems.error(
                rel, line, f"not UTF-8 text: {exc.reason} at byte {exc.start}", "save the file as UTF-8"
            )
        except OSError as exc:
            self.problems.error(rel, None, f"cannot read file: {exc.strerror or exc}")
        return None

    def inside_content(self, path: str | os.PathLike, rel: str) -> bool:
        """Refuse a file or folder in content/ that is a symbolic link to somewhere outside it.

        Content may come from many hands; a link to ``~/.ssh/id_rsa`` named
        ``notes.md`` must not end up on a public web site.
        """
        if self._inside(os.fspath(path)):
            return True
        self.problems.error(
            rel, None, "symbolic link points outside content/", "copy what it points to into content/ instead"
        )
        return False

    def _inside(self, path: str) -> bool:
        """Whether ``path`` is outside content/ as written, or inside it once every link is followed.

        Resolving every file (a realpath, an lstat per component) was most of
        the cost of reading an article. A file whose name is not itself a
        link resolves to its folder's resolved path plus its name, so each
        folder is resolved once and each file costs one lstat; a link, or a
        path not written as ``<content>/.../name``, takes the full check.
        """
        content = self._content
        folder, sep, name = path.rpartition(os.sep)
        if path.startswith(content) and path[len(content) : len(content) + 1] == os.sep and name not in ("", ".", ".."):
            inside = self._dirs_inside.get(folder)
            if inside is None:
                inside = self._dirs_inside[folder] = Path(folder).resolve().is_relative_to(self._content_real)
            if inside and not os.path.islink(path):
                return True
        full = Path(path)
        content_dir = self.project.content_dir
        if not full.absolute().is_relative_to(content_dir.absolute()):
            return True  # briefgen.yaml lives outside content/
        return full.resolve().is_relative_to(self._content_real)

    def files(self, folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
        return [Path(p) for p in self.file_names(folder, suffixes)]

    def file_names(self, folder: Path, suffixes: tuple[str, ...]) -> list[str]:
        linked: list[Path] = []
        found = _file_names(str(folder), suffixes, linked)
        for path in linked:
            self.inside_content(path, self.rel(path))  # reports links out of content/; others are skipped
        return found


def _stat_or_none(path: str) -> os.stat_result | None:
    """``os.stat(path)``, or None where ``Path.is_file()`` would say False rather than raise."""
    try:
        return os.stat(path)
    except OSError as exc:
        if exc.errno in _NOT_FOUND or getattr(exc, "winerror", None) in _NOT_FOUND_WINDOWS:
            return None
        raise


def _file_names(folder: str, suffixes: tuple[str, ...], linked_dirs: list[Path] | None = None) -> list[str]:
    """``_files`` as plain strings, in the same order (component by component, as paths sort)."""
    if not os.path.isdir(folder):
        return []
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        for d in dirnames:
            if linked_dirs is not None and os.path.islink(os.path.join(dirpath, d)):
                linked_dirs.append(Path(dirpath) / d)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.endswith(suffixes) and not name.startswith((".", "_", "#")) and not name.endswith("~"):
                out.append(os.path.join(dirpath, name))
    if os.name == "nt":  # Windows paths compare case-insensitively
        return [str(p) for p in sorted(map(Path, out))]
    return sorted(out, key=lambda path: path.split(os.sep))


def _files(folder: Path, suffixes: tuple[str, ...], linked_dirs: list[Path] | None = None) -> list[Path]:
    """Content files under ``folder``; symbolic links to folders are not followed but listed in ``linked_dirs``."""
    return [Path(p) for p in _file_names(str(folder), suffixes, linked_dirs)]
