"""What a rebuild must redo: input hashes, page fingerprints and the state between builds.

A page's *fingerprint* hashes everything its bytes can depend on:

* the hashes of the input files it declared (``Page.deps``, from assemble),
  widened here to what those inputs pull in: an article's topics and the
  files its body links to (as the link resolver recorded them,
  ``Article.links_to``); ``"*"`` means every input;
* the templates it is rendered with, followed through ``extends``,
  ``include`` and ``import`` (any template that cannot be followed, or any
  change to a static file, counts for every page: asset names carry hashes);
* data shown on every page or derived from the whole site (the site config,
  people and sources, each topic's title, status and editorial marks, the
  change history when the page declares it);
* the environment: briefgen's code, the version of every library that shapes
  the output (``cache.environment``) and the build's "now" (``SOURCE_DATE_EPOCH``).

A rebuild renders a page only when its fingerprint differs from the one
recorded for the bytes already in the output (or those bytes are gone or were
touched since), and the write stage compares new bytes with hashes recorded
at the last build instead of reading the old files. The same state serves
``serve`` (kept in memory by its ``Builder``) and the command line (kept in
``.briefgen-cache/state.json``, JSON with a SHA-256, keyed by the environment), where it also lets a rebuild with nothing
changed finish without importing the pipeline at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path

STATE_NAME = "state.json"

LINKED = "linked:"  # a dep on where a file a body links to is (its page's URL), not on its content
# Dependencies that are data rather than input files: name -> how to read it from the site.
# The change history's records are what pages show (its snapshot only feeds the next comparison).
DATA_DEPS = {
    "changes/history.json": lambda site: (getattr(getattr(site, "changes", None), "records", None), _dead_links(site))
}


def _dead_links(site) -> list[str]:
    from briefgen.briefing.changes import dead_links

    return dead_links(site) if getattr(site, "changes", None) is not None else []


def file_digest(path: Path) -> str:
    return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()


def bytes_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass
class InputFile:
    mtime_ns: int
    size: int
    digest: str


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


# --- inputs ------------------------------------------------------------------------------


def input_roots(project) -> list[tuple[str, Path]]:
    """(prefix, folder) of every folder whose files are inputs; the default theme is outside the project."""
    from briefgen.outputs.rootfiles import root_dir
    from briefgen.project import default_theme_dir

    roots = [
        ("", project.content_dir),
        ("", root_dir(project)),
    ]  # root/: copied as they are (briefgen.outputs.rootfiles)
    seen = set()
    for prefix, folder in (("", project.templates_dir), ("theme:", default_theme_dir())):
        key = folder.resolve()
        if folder.is_dir() and key not in seen:
            seen.add(key)
            roots.append((prefix, folder))
    return roots


def scan_inputs(
    project, previous: dict[str, InputFile] | None, changed: set[str] | None = None
) -> dict[str, InputFile]:
    """Every input file with its hash; files whose size and mtime are unchanged keep their old hash.

    ``changed`` (paths relative to the project) are hashed again whatever their
    mtime says: ``serve`` knows what it saw change.
    """
    previous = previous or {}
    changed = changed or set()
    out: dict[str, InputFile] = {}

    def add(key: str, path: str, st: os.stat_result) -> None:
        old = previous.get(key)
        if old is not None and old.mtime_ns == st.st_mtime_ns and old.size == st.st_size and key not in changed:
            out[key] = old
            return
        try:
            out[key] = InputFile(st.st_mtime_ns, st.st_size, file_digest(Path(path)))
        except OSError:
            return

    def walk(folder: str, prefix: str) -> None:  # plain strings and scandir: thousands of files, often
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            if entry.is_dir(follow_symlinks=True):
                walk(entry.path, f"{prefix}{entry.name}/")
            else:
                try:
                    add(prefix + entry.name, entry.path, entry.stat(follow_symlinks=True))
                except OSError:
                    continue

    try:
        add(_rel(project.config_path, project.root, "config:"), str(project.config_path), project.config_path.stat())
    except OSError:
        pass
    for prefix, folder in input_roots(project):
        if folder.is_dir():
            walk(str(folder), prefix or (_rel(folder, project.root, "") + "/"))
    return out


def _rel(path: Path, root: Path, prefix: str) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return prefix + path.as_posix()


# --- fingerprints ------------------------------------------------------------------------


_REFERENCES: dict[str, tuple[str | None, ...]] = {}  # template source -> the templates it names (process-wide)


def template_closure(env, name: str, memo: dict[str, frozenset[str] | None]) -> frozenset[str] | None:
    """Every template ``name`` uses, or None when one is chosen at render time (then: all)."""
    from jinja2 import meta

    if name in memo:
        return memo[name]
    memo[name] = frozenset({name})  # cycles end here
    try:
        source = env.loader.get_source(env, name)[0]
        refs = _REFERENCES.get(source)
        if refs is None:  # parsing every template on every rebuild cost more than rendering the changed pages
            refs = _REFERENCES[source] = tuple(meta.find_referenced_templates(env.parse(source)))
    except Exception:
        memo[name] = None
        return None
    found = {name}
    for ref in refs:
        if ref is None:
            memo[name] = None
            return None
        sub = template_closure(env, ref, memo)
        if sub is None:
            memo[name] = None
            return None
        found |= sub
    memo[name] = frozenset(found)
    return memo[name]


def template_files(env) -> dict[str, str]:
    """Template name -> input key of the file that provides it (the project's own wins)."""
    out: dict[str, str] = {}
    for loader in getattr(env.loader, "loaders", [env.loader]):
        for search in getattr(loader, "searchpath", []):
            base = Path(search)
            for name in loader.list_templates():
                if name not in out and (base / name).is_file():
                    out[name] = str(base / name)
    return out


class Fingerprints:
    """Computes each page's fingerprint from the loaded site and the hashed inputs."""

    def __init__(self, site, project, inputs: dict[str, InputFile], env, code: str):
        self.site = site
        self.project = project
        self.inputs = inputs
        self.env = env
        self.closures: dict[str, frozenset[str] | None] = {}
        self.pulled: dict[str, frozenset[str]] = {}
        self.data: dict[str, str] = {}
        self.article_digests: dict[str, str] = {}
        self.deps_digests: dict[frozenset[str], str] = {}
        self.articles = {a.path: a for a in site.articles}
        self.topics = {t.path: t for t in site.topics.values()}
        self.template_keys = self._template_keys()
        everything = hashlib.blake2b(digest_size=16)
        for key in sorted(inputs):
            everything.update(f"{key}\0{inputs[key].digest}\n".encode())
        self.everything = everything.hexdigest()
        self.global_digest = self._global(code)

    def _template_keys(self) -> dict[str, str]:
        """Template name -> hash of its file's contents."""
        out = {}
        for name, path in template_files(self.env).items():
            key = _rel(Path(path), self.project.root, "")
            info = self.inputs.get(key)
            if info is None:  # the default theme, outside the project: keyed by its own folder
                info = self.inputs.get("theme:" + name)
            out[name] = info.digest if info else "?"
        return out

    def _global(self, code: str) -> str:
        h = hashlib.blake2b(digest_size=16)
        from briefgen.content.clock import content_now

        h.update(code.encode())  # briefgen's code and every output-shaping library's version
        h.update(repr(content_now(self.site)).encode())  # the build's "now" (SOURCE_DATE_EPOCH)
        h.update(repr(self.site.config).encode())  # as loaded, with what the command line changed (--pdf)
        config_key = self.project.rel(self.project.config_path)
        for key, info in sorted(self.inputs.items()):
            # the config, people, sources and every static file count for every page
            if key.startswith("config:") or key == config_key:
                h.update(f"{key}\0{info.digest}\n".encode())
            elif key.endswith(("people.yaml", "sources.yaml")) and "/articles/" not in key:
                h.update(f"{key}\0{info.digest}\n".encode())
            elif "static/" in key and not key.startswith("content/"):
                h.update(f"{key}\0{info.digest}\n".encode())
        schedule = getattr(
            self.site, "schedule", None
        )  # drafts shown or not, embargoes lifted (briefgen.content.schedule)
        h.update((schedule.key() if schedule is not None else "").encode())
        for topic in sorted(self.site.topics.values(), key=lambda t: t.slug):
            facts = (
                topic.slug,
                topic.title,
                str(getattr(topic.meta, "status", "")),
                getattr(topic, "stale", None),
                getattr(getattr(topic, "one_sided", None), "id", None),
            )
            h.update(repr(facts).encode())
        return h.hexdigest()

    def _data(self, name: str) -> str:
        if name not in self.data:
            self.data[name] = _data_digest(DATA_DEPS[name](self.site))
        return self.data[name]

    def _pulls(self, path: str) -> frozenset[str]:
        """What an input pulls into any page that shows it: an article's topics and link targets."""
        found = self.pulled.get(path)
        if found is None:
            article = self.articles.get(path)
            found = set()
            if article is not None:
                found.update(t.path for t in article.topics)
                found.update(getattr(article, "image_inputs", ()))  # feeds and packs show its images
                found.update(LINKED + target for target in article.links_to)  # recorded by the link resolver
            found = self.pulled[path] = frozenset(found)
        return found

    def article_digest(self, article) -> str:
        """Hash of the inputs that make up one article as shown anywhere (its file, topics, link targets)."""
        found = self.article_digests.get(article.path)
        if found is None:
            h = hashlib.blake2b(digest_size=16)
            for dep in sorted({article.path} | self._pulls(article.path)):
                h.update(f"{dep}\0{self._input(dep)}\n".encode())
            found = self.article_digests[article.path] = h.hexdigest()
        return found

    def feed_key(self, url_path: str, title: str, subtitle: str, articles) -> bytes:
        """What one Atom feed shows: the site-wide data, its own title, and each article it lists."""
        h = hashlib.blake2b(digest_size=20)
        h.update(repr(("feed", self.global_digest, url_path, title, subtitle)).encode())
        for article in articles:
            h.update(f"{article.path}\0{self.article_digest(article)}\n".encode())
        return h.digest()

    def of(self, page) -> str:
        h = hashlib.blake2b(digest_size=16)
        h.update(self.global_digest.encode())
        h.update(repr((page.kind, page.url_path, page.template, page.title, page.description)).encode())
        closure = template_closure(self.env, page.template, self.closures)
        if closure is None:
            h.update(repr(sorted(self.template_keys.items())).encode())
        else:
            for name in sorted(closure):
                h.update(f"{name}\0{self.template_keys.get(name, '?')}\n".encode())
        h.update(self._deps_digest(page.deps).encode())
        return h.hexdigest()

    def _deps_digest(self, declared: frozenset[str]) -> str:
        """Hash of the inputs behind ``declared`` (a page's deps); the pages of one topic share theirs."""
        found = self.deps_digests.get(declared)
        if found is not None:
            return found
        h = hashlib.blake2b(digest_size=16)
        # which inputs the page shows, not only what they pull in: an archive page that loses an article
        # its other article links to still has the same widened set
        h.update("\0".join(sorted(declared)).encode() + b"\n")
        deps = set(declared)
        for path in declared:
            deps |= self._pulls(path)
        if "*" in deps:
            h.update(self.everything.encode())
            for name in DATA_DEPS:
                h.update(self._data(name).encode())
        for dep in sorted(deps - {"*"}):
            if dep in DATA_DEPS:
                h.update(f"{dep}\0{self._data(dep)}\n".encode())
                continue
            h.update(f"{dep}\0{self._input(dep)}\n".encode())
        found = self.deps_digests[declared] = h.hexdigest()
        return found

    def _input(self, dep: str) -> str:
        """What of input ``dep`` a page depends on: its content hash, or for a file a body links to
        (``LINKED + path``) only where the link goes: an edit of the linked article's text changes
        no page that merely links to it."""
        if dep.startswith(LINKED):
            path = dep[len(LINKED) :]
            target = self.articles.get(path) or self.topics.get(path)
            return target.url_path if target is not None else "-"
        info = self.inputs.get(dep)
        return info.digest if info else "-"


def _data_digest(value) -> str:
    try:
        return bytes_digest(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # cannot tell: treat as changed every time
        return os.urandom(8).hex()


# --- the state on disk ----------------------------------------------------------------------


def state_path(project) -> Path:
    from briefgen.engine.cache import CACHE_DIR

    return project.root / CACHE_DIR / STATE_NAME


STATE_MAGIC = b"briefgen-state 2\n"


def load_state(project, code: str) -> BuildState | None:
    """The last build's state, or None when absent, damaged, planted or from other code, libraries or output."""
    from briefgen.engine.cachedata import read_checked

    try:
        data = read_checked(state_path(project), STATE_MAGIC, code)
        state = BuildState(
            code,
            data["output"],
            # rows as written; a value of another type only compares unequal (the file is then rebuilt)
            {k: InputFile(*v) for k, v in data["inputs"].items()},
            {k: OutputFile(*v) for k, v in data["outputs"].items()},
            data["summary"],
        )
    except Exception:  # anything wrong with it: a build that reads no state, never a wrong one
        return None
    if not isinstance(state.summary, dict) or state.output != str(project.output):
        return None
    return state


def save_state(project, state: BuildState) -> None:
    from briefgen.engine.cachedata import write_checked

    data = {
        "output": state.output,
        "inputs": {k: [v.mtime_ns, v.size, v.digest] for k, v in state.inputs.items()},
        "outputs": {k: [v.digest, v.size, v.mtime_ns, v.fingerprint] for k, v in state.outputs.items()},
        "summary": state.summary,
    }
    write_checked(state_path(project), STATE_MAGIC, state.code, data)
    with contextlib.suppress(OSError):
        (state_path(project).parent / "state.bin").unlink()  # format 1 (a pickle): never read


def output_intact(output: Path, outputs: dict[str, OutputFile], only: set[str] | None = None) -> set[str]:
    """The recorded output files that are missing or were touched since (size or mtime differ)."""
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
    return bad


def build_environment() -> dict:
    """What a build reads besides its inputs and code that can change a page: the reproducible "now"."""
    return {"SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "")}


def nothing_changed(project) -> BuildState | None:
    """The last state when no input, no output file, no code or library and no environment changed; else None.

    Cheap on purpose (stats, and hashes only of files whose stat changed): the
    command line calls it before importing the pipeline.
    """
    from briefgen.engine.cache import code_fingerprint

    code = code_fingerprint()
    state = load_state(project, code)
    if state is None:
        return None
    if state.summary.get("environment") != build_environment():
        return None  # another SOURCE_DATE_EPOCH: another "now" (stale marks, change dates)
    inputs = scan_inputs(project, state.inputs)
    if {k: v.digest for k, v in inputs.items()} != {k: v.digest for k, v in state.inputs.items()}:
        return None
    if output_intact(project.output, state.outputs):
        return None
    if _extra_files(project.output, state.outputs):
        return None
    return state


def _extra_files(output: Path, outputs: dict[str, OutputFile]) -> bool:
    """True when the output folder holds files the last build did not write."""

    def count(folder: str) -> int:
        n = 0
        with os.scandir(folder) as entries:
            for entry in entries:
                n += count(entry.path) if entry.is_dir(follow_symlinks=False) else 1
        return n

    try:
        return count(str(output)) != len(outputs)
    except OSError:
        return True
