"""Where a project's files are, and the checks on the output folder."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

CONFIG_NAME = "briefgen.yaml"
MANIFEST_NAME = ".briefgen-manifest.json"  # what every build writes: the sign that a folder is briefgen's


def default_theme_dir() -> Path:
    """The default theme: inside the installed package, or the repo's templates/."""
    here = Path(__file__).resolve().parent
    packaged = here / "theme"
    if packaged.is_dir():
        return packaged
    return here.parent / "templates"


@dataclass(frozen=True)
class Project:
    root: Path
    config_path: Path
    content_dir: Path
    templates_dir: Path
    output: Path
    # where the change history is read from, when not from ``output``: a dry run builds into a scratch folder
    # but records against the real site's history (briefgen.briefing.changes), which it leaves as it was
    history_from: Path | None = None

    @classmethod
    def at(
        cls,
        source: str | os.PathLike | None = None,
        output: str | os.PathLike | None = None,
        config: str | os.PathLike | None = None,
    ) -> Project:
        root = Path(source or ".").resolve()
        return cls(
            root=root,
            config_path=Path(config).resolve() if config else root / CONFIG_NAME,
            content_dir=root / "content",
            templates_dir=root / "templates",
            output=Path(output).resolve() if output else root / "site",
        )

    def rel(self, path: str | os.PathLike) -> str:
        """A path as shown to the user: relative to the project when inside it."""
        fast = _rel_below(os.fspath(path), str(self.root))
        if fast is not None:
            return fast
        path = Path(path).resolve()
        for base in (self.root, Path.cwd().resolve()):
            if path.is_relative_to(base):
                return path.relative_to(base).as_posix() or "."
        return path.as_posix()

    def output_problem(self, force: bool = False, doing: str = "build") -> tuple[str, str] | None:
        """Why replacing the output folder could destroy someone's files, as (message, hint); None if it is safe.

        Never: the project, its content or templates, home, ``/``, a ``.git`` folder, or a file. Not without
        ``force``: a folder that has entries other than dot-entries and is not a briefgen site (no manifest).
        """
        why = self._dangerous_output()
        if why:
            return f"refusing to {doing}: {why}", "choose an empty or dedicated folder with --output"
        out = self.output
        if os.path.lexists(out) and not out.is_dir():
            return f"refusing to {doing}: it is a file, not a folder", "choose a folder with --output"
        if force or not out.is_dir() or (out / MANIFEST_NAME).is_file():
            return None
        try:
            theirs = sorted(entry.name for entry in os.scandir(out) if not entry.name.startswith("."))
        except OSError:
            return None  # the build says what is wrong with it when it gets there
        if not theirs:
            return None  # empty, or only dot-entries, which are kept
        shown = ", ".join(theirs[:3]) + (f" and {len(theirs) - 3} more" if len(theirs) > 3 else "")
        return (
            f"refusing to {doing}: this folder was not made by briefgen (no {MANIFEST_NAME}) and holds {shown}",
            "choose another folder with --output, or pass --force to replace what is in it; "
            "its .git and other dot-entries are kept either way",
        )

    def _dangerous_output(self) -> str | None:
        out = self.output.resolve()
        protected = {
            "the project folder": self.root,
            "the content folder": self.content_dir.resolve(),
            "the templates folder": self.templates_dir.resolve(),
            "your home folder": Path.home().resolve(),
            "the file system root": Path(out.anchor),
        }
        for what, path in protected.items():
            if out == path:
                return f"the output folder is {what}"
            if what in ("the project folder", "the content folder", "the templates folder") and _is_parent(out, path):
                return f"the output folder contains {what}"
        if _is_parent(out, Path.home().resolve()):
            return "the output folder contains your home folder"
        if _is_parent(out, default_theme_dir().resolve()):
            return "the output folder contains the default theme"
        if ".git" in out.parts:
            return "the output folder is a git repository's own folder (.git)"
        return None


_REAL_ROOTS: dict[str, bool] = {}  # project root -> whether it is its own resolved path


def _rel_below(path: str, root: str) -> str | None:
    """``Project.rel`` for a path written as ``<root>/a/b`` with no link below the root; None for any other.

    ``Path.resolve()`` checks every component from ``/`` down (a few hundred
    microseconds with pathlib's overhead, and callers ask thousands of
    times); when the root is already resolved only the components below it
    can be links, and one ``lstat`` each says they are not.
    """
    if path == root:
        parts: list[str] = []
    elif path.startswith(root) and path[len(root) : len(root) + 1] == os.sep:
        parts = path[len(root) + 1 :].split(os.sep)
        if any(part in ("", ".", "..") for part in parts) or (os.altsep and os.altsep in path):
            return None
    else:
        return None
    real = _REAL_ROOTS.get(root)
    if real is None:
        real = _REAL_ROOTS[root] = os.path.isabs(root) and str(Path(root).resolve()) == root
    if not real:
        return None
    below = root
    for part in parts:
        below = below + os.sep + part
        try:
            if stat.S_ISLNK(os.lstat(below).st_mode):
                return None
        except OSError:
            return None
    return "/".join(parts) or "."


def _is_parent(parent: Path, child: Path) -> bool:
    try:
        child.relative_to(parent)
        return True
    except ValueError:
        return False
