"""The build's environment: everything besides the input files that can change a byte of the output.

One tuple, ``Environment``: the *code* (briefgen's version and source hash, the Python version and the
version of every library that shapes the output, ``code_fingerprint``), the *clock* (``SOURCE_DATE_EPOCH``:
the build's "now") and the *flags* of the run (``--pdf``, ``--file-links``, ``--drafts``, ``--base-url`` and
whether the change history is recorded). The code keys every file of the build database on disk (another
code ignores the whole cache and state); the clock is in every page's fingerprint; the clock and the flags
are recorded with the state, and the "nothing changed" shortcut of ``briefgen build`` compares them.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from briefgen import __version__

FORMAT = 5  # of the memo stores on disk (4: a rendered body's warnings are stored too; 5: what each article parsed to)
# Libraries whose version can change a byte of the output (parsing, Markdown, sanitising, templates, feeds,
# slugs, validation, search). A missing one counts as "-".
OUTPUT_LIBRARIES = (
    "markdown-it-py",
    "markdown-it-pyrs",
    "mdit-py-plugins",
    "nh3",
    "Jinja2",
    "MarkupSafe",
    "PyYAML",
    "pydantic",
    "pydantic-core",
    "python-slugify",
    "text-unidecode",
    "feedgenerator",
    "pagefind",
    "weasyprint",
    "pillow",
    "msgspec",  # the JSON files (briefgen.jsontext)
)
ENV_SALT = "BRIEFGEN_TEST_ENVIRONMENT"  # tests only: stands for a library upgrade without installing one
# The flags of a run that shape its output, with their values for a plain ``briefgen build``.
FLAGS = (("pdf", False), ("file_links", False), ("drafts", False), ("base_url", None), ("record_changes", True))

_code: tuple | None = None  # computed once per process: the source and the installed libraries do not change


def code_environment() -> tuple:
    """What a cached answer was made with: briefgen's version and source hash, Python's and each library's version."""
    global _code
    if _code is None:
        h = hashlib.sha256()
        package = str(Path(__file__).resolve().parents[1])  # all of briefgen/, not just engine/
        for name in _sources(package):
            h.update(name.encode() + b"\0")
            with open(os.path.join(package, name), "rb") as source:
                h.update(source.read())
        installed = _installed_versions()
        libraries = []
        for name in OUTPUT_LIBRARIES:
            version = installed.get(_normalise(name))
            if version is None:  # not found by its folder's name (an egg, a zip): ask importlib.metadata
                from importlib import metadata  # importing it alone costs a no-change build 15 ms

                try:
                    version = metadata.version(name)
                except metadata.PackageNotFoundError:
                    version = "-"
            libraries.append((name, version))
        python = (sys.implementation.name, *sys.version_info[:3])
        _code = (__version__, FORMAT, h.hexdigest(), python, tuple(libraries))
    return _code + (os.environ.get(ENV_SALT, ""),)


def _sources(package: str) -> list[str]:
    """Every ``.py`` file under ``package``, as sorted relative POSIX paths (os.walk and plain strings: this
    runs in every no-change build, where pathlib's rglob took a few milliseconds more)."""
    names = []
    for folder, _dirs, files in os.walk(package):
        prefix = os.path.relpath(folder, package).replace(os.sep, "/")
        names.extend(name if prefix == "." else f"{prefix}/{name}" for name in files if name.endswith(".py"))
    return sorted(names)


def _normalise(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def _installed_versions() -> dict[str, str]:
    """Distribution name -> version, from the ``name-version.dist-info`` folders on ``sys.path``: one listing
    per folder, where ``importlib.metadata.version`` took 25 ms for these libraries (the no-change build's
    budget is 200 ms). The first folder to name a distribution wins, as it does for imports."""
    found: dict[str, str] = {}
    for folder in sys.path:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for entry in names:
            if entry.endswith(".dist-info"):
                name, _, version = entry[: -len(".dist-info")].partition("-")
                found.setdefault(_normalise(name), version)
    return found


def code_fingerprint() -> str:
    """Hash of ``code_environment()``: a cache or build state never outlives the code and libraries that wrote it."""
    return hashlib.sha256(repr(code_environment()).encode()).hexdigest()


def clock() -> str:
    """The reproducible "now" a build was asked for (``SOURCE_DATE_EPOCH``), "" for the real clock."""
    return os.environ.get("SOURCE_DATE_EPOCH", "")


@dataclass(frozen=True)
class Environment:
    """The one environment tuple of a build: its code, its clock and its flags."""

    code: str
    clock: str
    flags: tuple[tuple[str, object], ...]

    @classmethod
    def current(cls, **flags) -> Environment:
        """This process's environment for a run with ``flags`` (any of ``FLAGS``; the others at their default)."""
        unknown = set(flags) - {name for name, _ in FLAGS}
        if unknown:
            raise TypeError(f"unknown build flags: {sorted(unknown)}")
        return cls(code_fingerprint(), clock(), tuple((name, flags.get(name, default)) for name, default in FLAGS))

    @classmethod
    def of(cls, builder) -> Environment:
        """The environment of a ``build.Builder``'s runs."""
        return cls.current(**{name: getattr(builder, name, default) for name, default in FLAGS})

    def record(self) -> dict:
        """What the state on disk keeps of it (the code keys the whole file instead)."""
        return {"SOURCE_DATE_EPOCH": self.clock, **dict(self.flags)}

    def same_as(self, recorded) -> bool:
        """Whether a build recorded with ``recorded`` (``record()``) ran with this clock and these flags."""
        return recorded == self.record()
