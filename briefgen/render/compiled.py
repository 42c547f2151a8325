"""Compiled templates: kept in memory for the process, and the default theme's on disk inside briefgen itself.

Jinja compiles a template to Python code (parse, generate, ``compile``): about 0.2 s of CPU for the
eighteen templates a one-article edit renders, in every new process. Compiled code read back from disk
*runs*, so where it is kept decides who could make a build run what they like:

* the project's ``.briefgen-cache/`` and anything under the project (its ``templates/`` overrides
  included) are untrusted: a checked-out pull request, a restored CI cache or a shared folder can hold
  anything. No compiled code is ever read from there, nor written there;
* briefgen's own package is trusted already: it *is* the code that runs. Whoever can write a file in
  it can change its ``.py`` files, as Python itself assumes when it loads ``__pycache__/*.pyc`` from
  the same folders. So the code compiled from a template of the *default theme* (a file whose real
  path is inside ``project.default_theme_dir()``, which ships with the package) is kept in
  ``briefgen/render/__pycache__/theme/``, one file per template, and read back by the next process.
  A template of the project (an override, even one of the same name) never is, either way.

Each kept file holds the marshalled code and the templates it names (``referenced``), with its SHA-256 (a
damaged file is a miss), under a key of
everything the code depends on: the template's name, path and source, Jinja's version, Python's version
and bytecode magic, and the source of every module of ``briefgen.render`` (the code generator, the
``{% sitewide %}`` extension, the environment's options). Another key, a short or unreadable file, or
one of the wrong shape is a miss: the template is compiled and the file written again (atomically; not
at all where the package folder is read-only). A template in which Jinja's optimiser could call a filter
or test while compiling (on a constant: ``{{ "2025-01-01" | date }}``) is not kept, since the value would
then depend on the site that filter was made for (its time zone), not only on the template.
"""

from __future__ import annotations

import hashlib
import importlib.util
import marshal
import os
import sys
import tempfile
from pathlib import Path
from types import CodeType

import jinja2
from jinja2 import meta, nodes
from jinja2.bccache import Bucket

from briefgen.project import default_theme_dir

MAGIC = b"briefgen-template-code 1\n"
PACKAGE_CACHE = Path(__file__).resolve().parent / "__pycache__" / "theme"

# Template source -> (the templates it names, whether compiling it may call a filter), noted when the source is
# parsed to be compiled, so ``referenced`` does not parse it a second time (None in the names: one chosen at
# render time; ``jinja2.meta.find_referenced_templates``).
_PARSED: dict[str, tuple[tuple[str | None, ...], bool]] = {}
_PARSED_KEPT = 256  # sources; a preview whose templates are edited all day starts the memo again past this
_compiler: bytes | None = None


def note_parse(source: str, ast: nodes.Template) -> tuple[str | None, ...]:
    """Note what ``ast`` (parsed from ``source``) names and whether compiling it may call a filter."""
    if len(_PARSED) >= _PARSED_KEPT:
        _PARSED.clear()
    refs = tuple(meta.find_referenced_templates(ast))
    _PARSED[source] = (refs, folds_at_compile(ast))
    return refs


def referenced(env: jinja2.Environment, name: str) -> tuple[str | None, ...]:
    """The templates template ``name`` names (``extends``, ``include``, ``import``; None: one chosen at render
    time), from the parse that compiled it, or the file it was read from. Raises what loading or parsing it
    raises."""
    source = env.loader.get_source(env, name)[0]
    found = _PARSED.get(source)
    return found[0] if found is not None else note_parse(source, env.parse(source, name))


def folds_at_compile(ast: nodes.Template) -> bool:
    """Whether Jinja's optimiser may call a filter or test while compiling ``ast``: one applied to an input with
    no variable in it (its value is then worked out at compile time, with this environment's filters)."""
    for node in ast.find_all((nodes.Filter, nodes.Test)):
        given = node.node
        if given is not None and not isinstance(given, nodes.Name) and next(given.find_all(nodes.Name), None) is None:
            return True
    return False


def compiler_key() -> bytes:
    """What compiled code depends on besides the template: Python, Jinja and briefgen's render package."""
    global _compiler
    if _compiler is None:
        h = hashlib.sha256(MAGIC)
        h.update(f"{sys.version}\0{importlib.util.MAGIC_NUMBER.hex()}\0{jinja2.__version__}\0".encode())
        here = Path(__file__).resolve().parent
        for path in sorted(here.glob("*.py")):
            h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        _compiler = h.digest()
    return _compiler


class CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates (Jinja's bytecode cache API): every one in memory for the life of the process, and the
    default theme's in ``folder`` (briefgen's own package) for the next process; None: memory only.

    Every build makes a new Environment (the site data in its globals changes); each entry is the code object
    Jinja compiled, with the checksum of the source it was compiled from, so an edited template is compiled
    again. Code objects are immutable, and each Environment runs its own module from one.
    """

    def __init__(self, folder: Path | None = PACKAGE_CACHE, theme: Path | None = None) -> None:
        self._code: dict[str, tuple[str, CodeType]] = {}
        self.folder = folder
        self._theme = theme

    def get_bucket(self, environment, name: str, filename: str | None, source: str) -> Bucket:
        bucket = Bucket(environment, self.get_cache_key(name, filename), self.get_source_checksum(source))
        bucket.source = source
        bucket.kept_at = self._kept_at(filename)
        if bucket.kept_at is not None:
            bucket.kept_key = (
                hashlib.sha256(compiler_key() + f"\0{name}\0{filename}\0{source}".encode("utf-8", "surrogatepass"))
                .hexdigest()
                .encode()
            )
        self.load_bytecode(bucket)
        return bucket

    def _kept_at(self, filename: str | None) -> Path | None:
        """Where the compiled code of the template at ``filename`` is kept: only for a file of the default theme."""
        if self.folder is None or filename is None:
            return None
        theme = os.path.realpath(self._theme or default_theme_dir()) + os.sep
        if not os.path.realpath(filename).startswith(theme):
            return None  # the project's own template: compiled in each process, kept in memory only
        return self.folder / (hashlib.sha256(filename.encode("utf-8", "surrogatepass")).hexdigest()[:32] + ".code")

    def load_bytecode(self, bucket: Bucket) -> None:
        found = self._code.get(bucket.key)
        if found is not None and found[0] == bucket.checksum:  # compiled by this process from this very source
            bucket.code = found[1]
            return
        kept_at = getattr(bucket, "kept_at", None)
        if kept_at is not None:
            loaded = _read(kept_at, bucket.kept_key)
            if loaded is not None:
                refs, bucket.code = loaded
                _PARSED.setdefault(bucket.source, (refs, False))
                self._code[bucket.key] = (bucket.checksum, bucket.code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = (bucket.checksum, bucket.code)
        kept_at = getattr(bucket, "kept_at", None)
        parsed = _PARSED.get(getattr(bucket, "source", None))
        if kept_at is not None and parsed is not None and not parsed[1]:
            _write(kept_at, bucket.kept_key, parsed[0], bucket.code)

    def clear(self) -> None:
        self._code.clear()


def _read(path: Path, key: bytes) -> tuple[tuple[str | None, ...], CodeType] | None:
    """(names, code) kept at ``path`` under ``key``; None if absent, another key, damaged or of the wrong shape."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    head = MAGIC + key + b" "
    payload = data[len(head) + 65 :]
    if not data.startswith(head) or data[len(head) : len(head) + 65] != _digest(payload) + b"\n":
        return None
    try:
        found = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None
    if not (isinstance(found, tuple) and len(found) == 2 and isinstance(found[1], CodeType)):
        return None
    refs = found[0]
    if not (isinstance(refs, tuple) and all(r is None or isinstance(r, str) for r in refs)):
        return None
    return refs, found[1]


def _digest(payload: bytes) -> bytes:
    return hashlib.sha256(payload).hexdigest().encode()


def _write(path: Path, key: bytes, refs: tuple[str | None, ...], code: CodeType) -> None:
    """Keep ``code`` at ``path``, whole or not at all (a file of its own renamed over it); nothing if the
    package folder cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as f:
            payload = marshal.dumps((refs, code))
            f.write(MAGIC + key + b" " + _digest(payload) + b"\n" + payload)
        os.replace(temp, path)
    except OSError:
        try:
            os.unlink(temp)
        except OSError:
            pass
