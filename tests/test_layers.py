"""The package layout is the pipeline: imports run one way only, from a stage to the stages before it.

Every module of ``briefgen`` is parsed with ``ast`` (nothing is imported or run), and every import in it is
read, at module level or inside a function, absolute or relative. Each import must go to the same stage or
an earlier one in ``LAYERS``; stages in the same layer do not import each other. A backward import that
cannot be removed by a small change is listed in ``KNOWN_EXCEPTIONS`` with its reason: each entry is a debt,
and any backward import not listed fails this test. Within a stage, no two modules import each other, directly
or round a longer loop (``KNOWN_CYCLES`` would list one being removed; it is empty).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "briefgen"

# Data-flow order, earliest first. A stage is a subpackage, or "base" (the top-level leaves every stage may
# use) or "cli" (the entry point). Stages in one tuple are side by side and must not import each other.
LAYERS: list[tuple[str, ...]] = [
    ("base",),  # problems, project, jsontext, atomicfile, __init__
    ("content",),  # load: files -> a validated, linked Site
    ("briefing",),  # review: what each topic's briefing holds, what changed, editorial notes
    ("pages",),  # assemble: Site -> pages
    ("render",),  # pages -> bytes
    ("outputs",),  # feeds, sitemap, exports, search, manifest, head metadata
    ("checks",),  # link checks over what was rendered
    ("engine",),  # the build: cache, incremental, parallel, write
    ("serve", "publish"),  # what runs a build or ships one
    ("commands",),  # the verbs of the command line
    ("cli",),  # the entry point
]
TOP_LEVEL = {
    "__init__": "base",
    "atomicfile": "base",
    "problems": "base",
    "project": "base",
    "jsontext": "base",
    "cli": "cli",
    "__main__": "cli",
}

# (importing module, imported module): reason. Keep this short; every entry is a debt.
KNOWN_EXCEPTIONS: dict[tuple[str, str], str] = {}

# Import cycles between modules (of one stage: a cycle across stages already fails above), each the set of
# modules that import one another round. Every entry is a debt, and both are being paid on another branch:
KNOWN_CYCLES: dict[frozenset[str], str] = {}  # empty: every cycle is gone; a new one fails

RANK = {stage: i for i, layer in enumerate(LAYERS) for stage in layer}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts)


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def stage_of(module: str) -> str:
    parts = module.split(".")
    assert parts[0] == "briefgen", module
    if len(parts) == 1:
        return "base"
    if (PACKAGE / parts[1]).is_dir():
        return parts[1]
    return TOP_LEVEL[parts[1]]


def imports_of(path: Path) -> set[str]:
    """Every briefgen module ``path`` imports, at any depth of the file (functions included)."""
    module = _module_name(path)
    package = module if _is_package(path) else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "briefgen")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "briefgen":
                continue
            for alias in node.names:  # `from briefgen.x import y`: y may be a module of its own
                sub = f"{target}.{alias.name}"
                sub_path = PACKAGE.parent / sub.replace(".", "/")
                found.add(sub if sub_path.with_suffix(".py").is_file() or sub_path.is_dir() else target)
    return found


def all_imports() -> dict[str, set[str]]:
    return {_module_name(p).removesuffix(".__init__"): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def backward_imports(imports: dict[str, set[str]]) -> list[tuple[str, str]]:
    bad = []
    for module, targets in imports.items():
        here = stage_of(module)
        for target in sorted(targets):
            there = stage_of(target)
            if there == here:
                continue
            if RANK[there] >= RANK[here]:
                bad.append((module, target.removesuffix(".__init__")))
    return bad


def stage_cycles(imports: dict[str, set[str]]) -> list[list[str]]:
    """Cycles in the graph of stages (an edge for every import between two stages), found by depth-first search."""
    edges: dict[str, set[str]] = {}
    for module, targets in imports.items():
        for target in targets:
            a, b = stage_of(module), stage_of(target)
            if a != b and (module, target) not in KNOWN_EXCEPTIONS:
                edges.setdefault(a, set()).add(b)
    cycles, state = [], {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(trail[trail.index(nxt) :] + [node, nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, trail + [node])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [])
    return cycles


def module_cycles(imports: dict[str, set[str]]) -> list[frozenset[str]]:
    """Sets of modules that import one another round (strongly connected components, Tarjan's algorithm).

    Every import counts: at module level, inside a function, under ``TYPE_CHECKING``. A module importing
    itself (``markdown`` hands itself to its fast path) is not a cycle between modules.
    """
    edges = {
        m: sorted(t.removesuffix(".__init__") for t in ts if t.removesuffix(".__init__") != m)
        for m, ts in imports.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while component[-1:] != [node]:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_every_stage_is_in_the_order():
    stages = {stage_of(m) for m in all_imports()}
    assert stages <= set(RANK), f"stages missing from LAYERS: {sorted(stages - set(RANK))}"


def test_imports_run_one_way():
    bad = [pair for pair in backward_imports(all_imports()) if pair not in KNOWN_EXCEPTIONS]
    assert not bad, "imports against the stage order (move the code, or pass the value in):\n" + "\n".join(
        f"  {a} ({stage_of(a)}) imports {b} ({stage_of(b)})" for a, b in bad
    )


def test_no_cycle_between_stages():
    assert stage_cycles(all_imports()) == []


def test_known_exceptions_are_still_needed():
    """An exception that no longer happens is removed from the list, so the list only shrinks."""
    current = set(backward_imports(all_imports()))
    stale = [pair for pair in KNOWN_EXCEPTIONS if pair not in current]
    assert not stale, f"no longer imported, remove from KNOWN_EXCEPTIONS: {stale}"


def test_no_cycle_between_modules():
    cycles = [c for c in module_cycles(all_imports()) if c not in KNOWN_CYCLES]
    assert not cycles, "modules that import one another (move the shared part to a module both import):\n" + "\n".join(
        "  " + " <-> ".join(sorted(c)) for c in cycles
    )


def test_known_cycles_are_still_there():
    """A cycle that is gone is removed from KNOWN_CYCLES, so the list only shrinks."""
    current = set(module_cycles(all_imports()))
    stale = [sorted(c) for c in KNOWN_CYCLES if c not in current]
    assert not stale, f"no longer a cycle, remove from KNOWN_CYCLES: {stale}"


def test_old_flat_modules_are_gone():
    for name in ("build", "load", "render", "feeds", "cache", "publish_s3", "publish_git", "starter"):
        assert not (PACKAGE / f"{name}.py").exists(), name
    assert not (PACKAGE / "publish_s3").exists()


def _write(tmp_path: Path, files: dict[str, str]) -> dict[str, set[str]]:
    global PACKAGE
    saved = PACKAGE
    PACKAGE = tmp_path / "briefgen"
    try:
        for rel, text in files.items():
            p = PACKAGE / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
        return all_imports()
    finally:
        PACKAGE = saved


@pytest.mark.parametrize(
    "text",
    [
        "from briefgen.engine.build import x\n",
        "def f():\n    from briefgen.engine import build\n",
        "from ..engine import build\n",
        "import briefgen.engine.build\n",
    ],
)
def test_a_backward_import_is_found(tmp_path, text):
    """The checker itself can fail: a content module importing the engine, in each way Python allows."""
    imports = _write(
        tmp_path,
        {
            "__init__.py": "",
            "content/__init__.py": "",
            "content/load.py": text,
            "engine/__init__.py": "",
            "engine/build.py": "from briefgen.content.load import x\n",
        },
    )
    assert ("briefgen.content.load", "briefgen.engine.build") in backward_imports(imports)
    assert stage_cycles(imports)


@pytest.mark.parametrize(
    "text",
    [
        "from briefgen.pages.assemble import Page\n",
        "def f():\n    from briefgen.pages import assemble\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .assemble import Page\n",
    ],
)
def test_a_cycle_between_modules_is_found(tmp_path, text):
    """The checker itself can fail: two modules of one stage importing each other, however the import is written."""
    imports = _write(
        tmp_path,
        {
            "__init__.py": "",
            "pages/__init__.py": "",
            "pages/assemble.py": "from briefgen.pages.pack import PackBodies\n",
            "pages/pack.py": text,
            "pages/page.py": "from briefgen.pages import pack\n",  # imports into the cycle, not part of it
        },
    )
    assert module_cycles(imports) == [frozenset({"briefgen.pages.assemble", "briefgen.pages.pack"})]
    assert stage_cycles(imports) == []  # one stage: only the module check sees it
