"""The default theme's compiled templates are kept inside briefgen's own package, and nowhere else is read.

``briefgen.render.compiled`` keeps the code Jinja compiles from a template of the default theme in
``briefgen/render/__pycache__/theme/`` and the next process runs it unread by Jinja. These tests build with a
private copy of the package (so its kept code is theirs), check that the kept code gives a clean build's bytes,
that it *is* what the next process runs, and that code planted anywhere else (the project's untrusted
``.briefgen-cache/``, its ``templates/``) never runs, nor is a project's own template ever kept.
"""

from __future__ import annotations

import hashlib
import marshal
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import jinja2
import pytest
from conftest import REPO, copy_example, run_cli

from briefgen.render.codegen import CODE_GENERATOR
from briefgen.render.compiled import MAGIC, CompiledTemplates
from briefgen.render.render import THEME_OPTIONS, ThemeEnvironment

EPOCH = {"SOURCE_DATE_EPOCH": "1741000000"}


def _package(dest: Path) -> Path:
    """A copy of briefgen and its default theme, as an install would have them, with nothing compiled yet."""
    shutil.copytree(REPO / "briefgen", dest / "briefgen", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "templates", dest / "templates")
    return dest


def _kept(package: Path) -> dict[str, bytes]:
    folder = package / "briefgen" / "render" / "__pycache__" / "theme"
    return {p.name: p.read_bytes() for p in folder.iterdir()} if folder.is_dir() else {}


def _build(package: Path, project: Path, output: Path, *extra: str) -> None:
    env = dict(EPOCH, PYTHONPATH=str(package))
    args = ("build", "-s", str(project), "-o", str(output), "-q", "--jobs", "1", *extra)
    run_cli(*args, cwd=package, check=True, env=env)  # not from the checkout: ``-m`` puts the folder first


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _payload(key: bytes, marker: Path) -> bytes:
    """A kept file under ``key`` whose code, if it ever ran, would write ``marker``."""
    code = compile(f"import pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\n", "planted", "exec")
    return _kept_file(key, marshal.dumps(((), code)))


def _kept_file(key: bytes, payload: bytes) -> bytes:
    return MAGIC + key + b" " + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload


def _key(data: bytes) -> bytes:
    assert data.startswith(MAGIC)
    return data[len(MAGIC) :].split(b" ", 1)[0]


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    return _package(tmp_path_factory.mktemp("install"))


def test_kept_code_gives_the_bytes_of_code_compiled_anew(tmp_path: Path, package: Path):
    project = copy_example(tmp_path / "project")
    _build(package, project, tmp_path / "first", "--no-cache")  # compiles, and keeps the theme's code
    kept = _kept(package)
    assert len(kept) >= 10 and all(data.startswith(MAGIC) for data in kept.values())
    _build(package, project, tmp_path / "second", "--no-cache")  # runs the kept code
    assert _kept(package) == kept  # read, not compiled and written again
    first, second = _files(tmp_path / "first"), _files(tmp_path / "second")
    assert first.keys() == second.keys()
    for name in sorted(first):
        assert first[name] == second[name], name


def test_only_the_package_is_read_and_a_project_template_is_never_kept(tmp_path: Path, package: Path):
    project = copy_example(tmp_path / "project")
    (project / "templates").mkdir()
    (project / "templates" / "404.html").write_text('{% extends "base.html" %}{% block content %}gone{% endblock %}')
    _build(package, project, tmp_path / "site")
    kept = _kept(package)
    assert kept, "the theme's code is kept"
    assert not any(str(project).encode() in data for data in kept.values())  # the override's code is not
    assert b"gone" in (tmp_path / "site" / "404.html").read_bytes()

    # code planted in the project, under every name and key the package uses, with the package's copy gone
    marker = tmp_path / "ran"
    planted = {name: _payload(_key(data), marker) for name, data in kept.items()}
    for folder in (
        project / ".briefgen-cache",
        project / ".briefgen-cache" / "theme",
        project / ".briefgen-cache" / "__pycache__" / "theme",
        project / "templates" / "__pycache__" / "theme",
    ):
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in planted.items():
            (folder / name).write_bytes(data)
    shutil.rmtree(package / "briefgen" / "render" / "__pycache__" / "theme")
    article = sorted((project / "content" / "articles").glob("*.md"))[0]
    article.write_text(article.read_text() + "\nCorrection 1: an earlier version gave the wrong figure.\n")
    _build(package, project, tmp_path / "site")
    assert not marker.exists()
    assert b"gone" in (tmp_path / "site" / "404.html").read_bytes()

    # the same files in the package's own folder do run: the plant was live, only its place kept it out
    for name, data in planted.items():
        (package / "briefgen" / "render" / "__pycache__" / "theme" / name).write_bytes(data)
    article.write_text(article.read_text() + "\nCorrection 2: an earlier version gave the wrong date.\n")
    env = dict(EPOCH, PYTHONPATH=str(package))
    run_cli("build", "-s", str(project), "-o", str(tmp_path / "other"), "-q", cwd=package, env=env)
    assert marker.exists()


def _theme_env(theme: Path, folder: Path) -> ThemeEnvironment:
    env = ThemeEnvironment(
        loader=jinja2.FileSystemLoader(str(theme)), bytecode_cache=CompiledTemplates(folder, theme), **THEME_OPTIONS
    )
    env.code_generator_class = CODE_GENERATOR
    return env


def test_a_damaged_or_foreign_kept_file_is_compiled_again(tmp_path: Path):
    theme, folder = tmp_path / "theme", tmp_path / "kept"
    theme.mkdir()
    (theme / "page.html").write_text("{{ a }}-one")
    assert _theme_env(theme, folder).get_template("page.html").render(a="x") == "x-one"
    (path,) = folder.iterdir()
    good = path.read_bytes()
    damaged = [
        good[: len(good) // 2],  # cut short
        good[:-40] + bytes(b ^ 0xFF for b in good[-40:]),  # flipped
        _kept_file(_key(good), marshal.dumps(("not", "code"))),  # the wrong shape
        _kept_file(_key(good), marshal.dumps(((1,), compile("0", "x", "exec")))),  # names that are not names
        _kept_file(b"0" * 64, good.split(b"\n", 2)[2]),  # another key
        b"",
    ]
    for data in damaged:
        path.write_bytes(data)
        assert _theme_env(theme, folder).get_template("page.html").render(a="y") == "y-one"
        assert path.read_bytes() == good  # compiled and kept again
    (theme / "page.html").write_text("{{ a }}-two")  # an edited template: another key
    assert _theme_env(theme, folder).get_template("page.html").render(a="z") == "z-two"


def test_a_template_whose_filters_run_while_compiling_is_not_kept(tmp_path: Path):
    theme, folder = tmp_path / "theme", tmp_path / "kept"
    theme.mkdir()
    (theme / "folded.html").write_text('{{ "a" | upper }}{{ b }}')  # Jinja works "A" out while compiling
    (theme / "plain.html").write_text("{{ b | upper }}")
    env = _theme_env(theme, folder)
    assert env.get_template("folded.html").render(b="b") == "Ab"
    assert not folder.exists()
    assert env.get_template("plain.html").render(b="b") == "B"
    assert len(list(folder.iterdir())) == 1


def test_sitewide_fragments_of_kept_and_new_code_do_not_collide(tmp_path: Path):
    """A fragment's id is the same in every process: one process keeps a.html's code, the next runs it beside
    b.html compiled anew, and each fragment renders its own text (a number per process gave both the first)."""
    theme, folder = tmp_path / "theme", tmp_path / "kept"
    theme.mkdir()
    (theme / "a.html").write_text("{% sitewide %}A{% endsitewide %}")
    (theme / "b.html").write_text("{% sitewide %}B{% endsitewide %}")
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_template_code_kept import _theme_env
        from pathlib import Path
        env = _theme_env(Path({str(theme)!r}), Path({str(folder)!r}))
        print("".join(env.get_template(name).render() for name in sys.argv[1:]))
        """
    )
    run = [sys.executable, "-c", script]
    assert subprocess.run([*run, "a.html"], capture_output=True, text=True, check=True).stdout.strip() == "A"
    out = subprocess.run([*run, "a.html", "b.html"], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "AB"
