"""The "nothing changed" shortcut (``briefgen.engine.unchanged``) answers only when a build would make the very
site that is there: a file added anywhere in the output, one replaced (even by one of the same size and mtime),
edited or removed, an input added or removed, or a state without the folder table, and it builds.

Real projects in tmp folders and real builds (in this process: the shortcut is asked directly), then the
real command line for what the user reads.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, copy_example, run_cli

from briefgen.engine.build import Builder
from briefgen.engine.cachedata import read_checked, write_checked
from briefgen.engine.environment import Environment, code_fingerprint
from briefgen.engine.state import STATE_MAGIC, load_state, state_path
from briefgen.engine.unchanged import nothing_changed
from briefgen.project import Project


def _build(project: Project) -> None:
    Builder(project, jobs=1, once=True).rebuild()


def _unchanged(project: Project) -> bool:
    return nothing_changed(project, Environment.current()) is not None


@pytest.fixture
def built(tmp_path: Path, monkeypatch) -> Project:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    project = Project.at(str(copy_example(tmp_path / "p")), None, None)
    _build(project)
    assert _unchanged(project)
    return project


def _a_page(project: Project) -> Path:
    return sorted((project.output / "articles").glob("*/index.html"))[0]


@pytest.mark.parametrize("where", ["stray.txt", "PAGE/notes.txt", "topics/new-folder/index.html", ".notes"])
def test_a_file_added_anywhere_in_the_output_is_a_change(built: Project, where: str):
    page_folder = _a_page(built).parent.relative_to(built.output).as_posix()
    added = built.output / where.replace("PAGE", page_folder)
    added.parent.mkdir(parents=True, exist_ok=True)
    added.write_text("not the build's\n")
    assert not _unchanged(built), f"{where}: a build would remove it (or, a dot-entry, keep it): not nothing"
    _build(built)
    assert added.exists() == (added.name == ".notes"), "a build removes what it did not write, keeps dot-entries"
    assert _unchanged(built), "and then nothing changed again"


def test_a_page_replaced_by_other_bytes_of_the_same_size_and_mtime_is_a_change(built: Project):
    page = _a_page(built)
    st = page.stat()
    other = page.with_name("index.html.new")
    other.write_bytes(page.read_bytes().replace(b"<", b"[", 1))
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(other, page)  # the same size and mtime as recorded: only its folder's mtime tells
    assert page.stat().st_size == st.st_size and page.stat().st_mtime_ns == st.st_mtime_ns
    assert not _unchanged(built), "a build runs (which, like the shortcut before, trusts a file's size and mtime)"


def test_an_output_edited_or_removed_is_a_change(built: Project):
    page = _a_page(built)
    page.write_text(page.read_text(encoding="utf-8") + "<!-- edited -->", encoding="utf-8")
    assert not _unchanged(built)
    _build(built)
    assert _unchanged(built)
    page.unlink()
    assert not _unchanged(built)


def test_an_input_added_or_removed_is_a_change(built: Project):
    articles = sorted((built.root / "content" / "articles").rglob("*.md"))
    copy = articles[0].with_name("zz-copy-" + articles[0].name)
    shutil.copy2(articles[0], copy)
    assert not _unchanged(built), "a new input file"
    copy.unlink()
    assert _unchanged(built), "gone again: the inputs are the recorded ones"
    hidden = articles[-1].rename(articles[-1].with_suffix(".bak"))
    assert not _unchanged(built), "an input file gone (renamed away)"
    hidden.rename(articles[-1])


def test_a_state_without_the_folder_table_builds(built: Project):
    code = Environment.current().code
    data = read_checked(state_path(built), STATE_MAGIC, code)
    del data["folders"]
    write_checked(state_path(built), STATE_MAGIC, code, data)
    assert not _unchanged(built), "no way to see a file added to the output: build"


def _built_line(stdout: str) -> tuple[str, str]:
    found = re.search(r"Built (\d+) pages \((.*); \d+ rendered, \d+ reused\) and (\d+) other files", stdout)
    assert found, stdout
    return found.group(1, 2, 3)


def test_the_line_says_what_is_in_the_site_and_a_kept_git_checkout_does_not_stop_the_shortcut(tmp_path: Path):
    project = copy_example(tmp_path / "p")
    first = run_cli("build", "--source", str(project), check=True)
    again = run_cli("build", "--source", str(project), check=True)
    site = project / "site"
    files = sum(1 for p in site.rglob("*") if p.is_file())
    assert f"nothing changed since the last build: 0 written, {files} unchanged, 0 removed" in again.stdout
    assert _built_line(again.stdout) == _built_line(first.stdout), "the pages and files the last build made"
    (site / ".git").mkdir()  # a publish checkout in the output: the build keeps it as it is
    (site / ".git" / "HEAD").write_text("ref: refs/heads/gh-pages\n")
    assert "nothing changed" not in run_cli("build", "--source", str(project), check=True).stdout
    (site / ".git" / "index").write_text("what git writes inside its own folder\n")
    kept = run_cli("build", "--source", str(project), check=True)
    assert "nothing changed since the last build" in kept.stdout, "what is inside .git is not the site's"
    assert (site / ".git" / "HEAD").read_text() == "ref: refs/heads/gh-pages\n"


def test_any_change_to_briefgen_s_own_code_is_another_environment(tmp_path: Path):
    """The code fingerprint hashes every .py file of the package, in every folder: a copy of the package
    fingerprints like the original, an edit in a subpackage or a new module does not."""
    copy = tmp_path / "code"
    shutil.copytree(REPO / "briefgen", copy / "briefgen", ignore=shutil.ignore_patterns("__pycache__"))

    def fingerprint() -> str:
        script = "from briefgen.engine.environment import code_fingerprint; print(code_fingerprint())"
        proc = subprocess.run(
            [sys.executable, "-c", script],
            cwd=tmp_path,  # (not the repository's folder, whose briefgen/ "-c" would import first)
            env=dict(os.environ, PYTHONPATH=str(copy)),
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.strip()

    original = fingerprint()
    assert original == code_fingerprint()
    state = copy / "briefgen" / "engine" / "state.py"
    state.write_text(state.read_text(encoding="utf-8") + "\n# one line more\n", encoding="utf-8")
    edited = fingerprint()
    assert edited != original
    (copy / "briefgen" / "content" / "extra_module.py").write_text("X = 1\n", encoding="utf-8")
    assert fingerprint() not in (original, edited)


def test_the_state_the_shortcut_read_is_handed_on_only_while_it_is_the_file_there(built: Project):
    """``briefgen build`` asks the shortcut, then builds: the state the shortcut parsed goes to the build's
    ``load_state`` (once), unless another build wrote a new state in between: then the new one is read."""
    article = sorted((built.root / "content" / "articles").glob("*.md"))[0]
    key = article.relative_to(built.root).as_posix()
    code = Environment.current().code
    article.write_text(article.read_text(encoding="utf-8") + "\nA paragraph added later.\n", encoding="utf-8")
    assert not _unchanged(built)  # something changed: the rows are handed on
    handed = load_state(built, code)
    assert handed is not None and key in handed.inputs
    assert load_state(built, code).inputs == handed.inputs, "read again, the same"
    old = handed.inputs[key].digest
    assert not _unchanged(built)  # handed on again, then another process's build writes a new state
    run_cli("build", "-q", "-s", str(built.root), check=True)
    now = load_state(built, code)
    assert now is not None and now.inputs[key].digest != old, "the state written since, not the rows handed on"


def test_an_input_changed_again_within_its_mtime_is_built(tmp_path: Path):
    """A file hashed within a tick of the file system's clock of its last change may change again without its
    mtime moving (here: its mtime a second ahead, as a file server's clock may be, and put back after the
    second change). The build does not vouch for such a file's hash: the next one reads it again."""
    project = copy_example(tmp_path / "p")
    out = tmp_path / "site"
    path = sorted((project / "content" / "articles").glob("*.md"))[0]
    text = path.read_text()
    assert "the" in text
    ahead = time.time_ns() + 10**9
    os.utime(path, ns=(ahead, ahead))
    run_cli("build", "-q", "-s", str(project), "-o", str(out), check=True)
    path.write_text(text.replace("the", "THE", 1))  # the same size
    os.utime(path, ns=(ahead, ahead))
    run_cli("build", "-q", "-s", str(project), "-o", str(out), check=True)
    page = next(p for p in (out / "articles").glob("*/index.html") if "THE" in p.read_text())
    assert page.is_file()
