"""A content file whose name is written decomposed (NFD, as macOS writes names) is found by a link that spells it
composed, by its path or its bare name, in a whole build and in an edit's reload (``bodies.ContentTargets``, whose
maps of the articles normalise every path once), and the edit's site is the clean build's."""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path

from conftest import run_cli

BASE = Path(__file__).resolve().parent / "broken" / "_base"
NFD_NAME = "cafe\u0301 talks.md"  # decomposed: "e" and a combining acute accent


def _project(root: Path) -> Path:
    project = root / "project"
    shutil.copytree(BASE, project)
    folder = project / "content/articles/2025"
    folder.mkdir()
    text = (BASE / "content/articles/base.md").read_text(encoding="utf-8")
    (folder / NFD_NAME).write_text(
        text.replace("drones-base", "drones-cafe").split("---\n## The count")[0] + "---\n## Next steps\n\nSoon.\n",
        encoding="utf-8",
    )
    (project / "content/articles/base.md").write_text(
        text + "\nSee [the caf\u00e9 piece](2025/caf\u00e9%20talks.md#next-steps) "  # composed (NFC) spellings
        "and [again](caf\u00e9%20talks.md).\n",
        encoding="utf-8",
    )
    return project


def _same_trees(a: Path, b: Path) -> bool:
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
    return not mismatch and not errors and all(_same_trees(a / d, b / d) for d in cmp.common_dirs)


def test_a_decomposed_file_name_is_linked_by_its_composed_spelling(tmp_path: Path):
    project = _project(tmp_path)
    assert (project / "content/articles/2025" / NFD_NAME).is_file()
    run_cli("build", "--source", str(project), check=True)
    page = (project / "site/articles/base/index.html").read_text(encoding="utf-8")
    assert 'href="../cafe-talks/#sec-next-steps"' in page
    assert 'href="../cafe-talks/">again</a>' in page
    with open(project / "content/articles/base.md", "a", encoding="utf-8") as f:  # an edit: the reload's path
        f.write("\nCorrection: one more line.\n")
    run_cli("build", "--source", str(project), check=True)
    clean = tmp_path / "clean"
    shutil.copytree(project, clean, ignore=shutil.ignore_patterns("site", ".briefgen-cache", ".*.spare"))
    run_cli("build", "--source", str(clean), "--no-cache", check=True)
    assert "one more line" in (project / "site/articles/base/index.html").read_text(encoding="utf-8")
    assert _same_trees(project / "site", clean / "site")
