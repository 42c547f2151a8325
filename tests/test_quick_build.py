"""`briefgen build` with nothing to build, answered before click is imported (``briefgen.commands.nochange``).

The command line runs in a subprocess, as a user runs it: the answer must be the one click's path gives
(the same lines), click must not be imported for it, every kind of change must still build, and every
option the quick path does not take must reach click and behave as it always did.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import copy_example, run_cli

from briefgen.commands.nochange import options

NOTHING = "nothing changed since the last build"


def _timeless(text: str) -> str:
    return re.sub(r" in \d+\.\d\d s;", " in _ s;", text)


@pytest.fixture
def built(tmp_path: Path) -> Path:
    project = copy_example(tmp_path / "project")
    run_cli("build", "-s", str(project), check=True)
    return project


def test_nothing_to_build_is_answered_without_click_and_says_what_clicks_path_says(built: Path):
    site = str(built / "site")
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "briefgen", "build", "-s", str(built), "-o", site],
        capture_output=True,
        text=True,
        env=dict(os.environ, NO_COLOR="1"),
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert NOTHING in proc.stdout
    imported = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "briefgen.engine.unchanged" in imported
    assert not {name for name in imported if name == "click" or name.startswith("click.")}
    quick = run_cli("build", "-s", str(built), "-o", site)
    through_click = run_cli("build", "-s", str(built), "-o", site, "-j1")  # "-j1": an option only click reads
    assert quick.returncode == through_click.returncode == 0
    assert NOTHING in through_click.stdout
    assert _timeless(quick.stdout) == _timeless(through_click.stdout)
    assert quick.stderr == through_click.stderr


def test_every_kind_of_change_still_builds(built: Path):
    site = built / "site"
    article = sorted((built / "content" / "articles").glob("*.md"))[0]
    os.utime(article, ns=(article.stat().st_atime_ns, article.stat().st_mtime_ns + 10**9))  # touched, not changed
    assert NOTHING in run_cli("build", "-s", str(built), check=True).stdout
    article.write_text(article.read_text() + "\nA line more.\n")
    assert NOTHING not in run_cli("build", "-s", str(built), check=True).stdout
    assert run_cli("build", "-s", str(built), "-q", check=True).stdout == ""  # nothing changed; -q: nothing said
    assert NOTHING in run_cli("build", "-s", str(built), check=True).stdout
    page = next(site.rglob("index.html"))
    page.unlink()
    rebuilt = run_cli("build", "--source", str(built), check=True)
    assert NOTHING not in rebuilt.stdout and page.is_file()
    stray = site / "stray.html"
    stray.write_text("not the site's")
    assert NOTHING not in run_cli("build", f"--source={built}", check=True).stdout
    assert not stray.exists()
    later = run_cli("build", "-s", str(built), check=True, env={"SOURCE_DATE_EPOCH": "1800000000"})
    assert NOTHING not in later.stdout  # another "now"
    assert NOTHING not in run_cli("build", "-s", str(built), "--drafts", check=True).stdout  # other flags
    for flag in ("--no-cache", "--file-links"):  # options the quick path leaves to click: they always build
        assert NOTHING not in run_cli("build", "-s", str(built), flag, check=True).stdout


def test_options_it_does_not_take_reach_click_as_before(built: Path):
    bogus = run_cli("build", "-s", str(built), "--bogus")
    assert bogus.returncode == 2 and "No such option" in bogus.stderr
    zero = run_cli("build", "-s", str(built), "-j", "0")
    assert zero.returncode == 2 and "--jobs" in zero.stderr
    a_file = built / "briefgen.yaml"
    refused = run_cli("build", "-s", str(a_file))
    assert refused.returncode == 2 and "is a file" in refused.stderr
    assert run_cli("build", "--help").stdout.startswith("Usage:")
    assert run_cli("build", "-s", str(built), "-j", "2", check=True).stdout.count(NOTHING) == 1


def test_the_quick_path_takes_only_the_plain_options(tmp_path: Path):
    assert options([]) == {}
    assert options(["-s", "p", "--output=o", "-q", "--jobs", "3", "--strict", "--drafts", "--base-url", "u"]) == {
        "source": "p",
        "output": "o",
        "quiet": True,
        "jobs": "3",
        "strict": True,
        "drafts": True,
        "base_url": "u",
    }
    # the forms click takes too, with the same meaning: clustered flags, a value attached, a flag twice
    assert options(["-qs", "p"]) == {"quiet": True, "source": "p"} == options(["-q", "-q", "-sp"])
    (tmp_path / "f").write_text("")
    for declined in (
        ["--sour", "p"],  # click takes no abbreviation
        ["p"],  # build takes no argument
        ["--pdf"],
        ["--no-cache"],
        ["--file-links"],
        ["-s"],
        ["-s", ""],
        ["-s", "-q"],
        ["-j", "0"],
        ["-j", "x"],
        ["--quiet=yes"],
        ["--", "x"],
        ["-h"],
        ["-s", str(tmp_path / "f")],  # a file where a folder goes
        ["-c", str(tmp_path)],  # a folder where the config file goes
    ):
        assert options(declined) is None, declined


COUNTING = """
import sys
from briefgen.engine import inputs
listing, log = inputs._listing, sys.argv[1]
def counting(folder, ordered):
    if folder.endswith("articles"):
        with open(log, "a") as f:
            f.write(folder + "\\n")
    return listing(folder, ordered)
inputs._listing = counting
sys.argv = ["briefgen", "build", "-s", sys.argv[2]]
from briefgen.cli import main
main()
"""


def test_a_build_after_the_shortcut_lists_the_input_files_once(built: Path, tmp_path: Path):
    """The shortcut lists every input file to compare it; when the answer is "build", the build that follows in
    the same command takes that listing (``nochange.listed``) instead of listing the 4,000 files again."""
    article = sorted((built / "content" / "articles").glob("*.md"))[0]
    article.write_text(article.read_text() + "\nOne more line.\n")
    log = tmp_path / "listed.txt"
    proc = subprocess.run(
        [sys.executable, "-c", COUNTING, str(log), str(built)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    rendered, reused = map(int, re.search(r"(\d+) rendered, (\d+) reused", proc.stdout).groups())
    assert 0 < rendered < reused  # a rebuild: the edit, not the whole site
    assert len(log.read_text().splitlines()) == 1
    again = run_cli("build", "-s", str(built))  # nothing changed since: the listing was the build's own
    assert NOTHING in again.stdout


def test_the_shortcuts_listing_goes_to_the_next_build_of_that_project_only(built: Path, tmp_path: Path):
    from briefgen.commands import nochange
    from briefgen.project import Project

    other = copy_example(tmp_path / "other")
    article = sorted((built / "content" / "articles").glob("*.md"))[0]
    assert nochange.quick_build(["-s", str(built), "-q"])  # nothing changed: nothing handed on
    assert nochange.listed(Project.at(built)) is None
    article.write_text(article.read_text() + "\nOne more line.\n")
    assert not nochange.quick_build(["-s", str(built), "-q"])
    assert nochange.listed(Project.at(other)) is None  # another project's build lists its own files
    assert not nochange.quick_build(["-s", str(built), "-q"])
    keys = [key for key, _path, _st in nochange.listed(Project.at(built))]
    assert f"content/articles/{article.name}" in keys
    assert nochange.listed(Project.at(built)) is None  # taken once
