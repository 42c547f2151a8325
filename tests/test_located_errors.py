"""Every content mistake of the build issue: exact `path:line`, all in one run,
exit status 1, no traceback, and the previous site left exactly as it was."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from conftest import run_cli

ARTICLE = "content/articles/2025-02-23-record-russian-drone-attack.md"


def snapshot(site: Path) -> dict[str, tuple[str, int]]:
    return {
        p.relative_to(site).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(site.rglob("*"))
        if p.is_file()
    }


def replace_line(path: Path, pattern: str, new: str) -> int:
    """Replace the first line matching ``pattern``; return its 1-based number."""
    lines = path.read_text(encoding="utf-8").split("\n")
    for i, line in enumerate(lines):
        if re.search(pattern, line):
            lines[i] = new
            path.write_text("\n".join(lines), encoding="utf-8")
            return i + 1
    raise AssertionError(f"{pattern!r} not in {path}")


def line_of(path: Path, pattern: str) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8").split("\n")):
        if re.search(pattern, line):
            return i + 1
    raise AssertionError(pattern)


@pytest.fixture
def built(example: Path):
    run_cli("build", cwd=example, check=True)
    return example, snapshot(example / "site")


def fails_with(example: Path, before: dict, expected: list[str]) -> str:
    proc = run_cli("build", cwd=example)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    for text in expected:
        assert text in proc.stderr, f"{text!r} not in:\n{proc.stderr}"
    assert snapshot(example / "site") == before, "a failed build must not touch the previous site"
    return proc.stderr


def test_malformed_yaml(built):
    example, before = built
    path = example / ARTICLE
    line = replace_line(path, r"^title:", "title: [unclosed")
    fails_with(example, before, [f"{ARTICLE}:"])
    out = run_cli("build", cwd=example).stderr
    reported = int(re.search(re.escape(ARTICLE) + r":(\d+): invalid YAML", out).group(1))
    assert line <= reported <= line + 1


def test_missing_required_field(built):
    example, before = built
    path = example / ARTICLE
    lines = path.read_text().split("\n")
    lines = [line for line in lines if not line.startswith("summary:")]
    path.write_text("\n".join(lines))
    fails_with(example, before, [f"{ARTICLE}:2: missing required field 'summary'"])


def test_wrong_type(built):
    example, before = built
    path = example / "content/topics/drone-strikes.yaml"
    line = replace_line(path, r"^status:", "status: 12")
    fails_with(example, before, [f"content/topics/drone-strikes.yaml:{line}: status"])


def test_unknown_topic_person_and_source_all_in_one_run(built):
    example, before = built
    path = example / ARTICLE
    t = replace_line(path, r"^topics:", "topics: [drone-strike]")
    p = replace_line(path, r"^people:", "people: [nobody-at-all]")
    s = replace_line(path, r"^  - source:", "  - source: reuterz")
    err = fails_with(
        example,
        before,
        [
            f"{ARTICLE}:{t}: unknown topic 'drone-strike' (did you mean 'drone-strikes'?)",
            f"{ARTICLE}:{p}: unknown person 'nobody-at-all'",
            f"{ARTICLE}:{s}: unknown source 'reuterz'",
        ],
    )
    assert err.count(ARTICLE) >= 3


def test_two_articles_with_the_same_slug(built):
    example, before = built
    src = example / ARTICLE
    dup = example / "content/articles/zz-copy.md"
    text = src.read_text().replace("---\n", "---\nslug: 2025-02-23-record-russian-drone-attack\n", 1)
    text = re.sub(r"(?m)^(\s*- id: )(\S+)", r"\1\2-copy", text)
    dup.write_text(text)
    fails_with(
        example,
        before,
        ["content/articles/zz-copy.md:2: two articles have the slug '2025-02-23-record-russian-drone-attack'"],
    )


def test_date_without_time_zone_when_site_sets_none(built):
    example, before = built
    cfg = example / "briefgen.yaml"
    cfg.write_text(re.sub(r"timezone:.*\n", "", cfg.read_text()))
    line = replace_line(example / ARTICLE, r"^date:", "date: 2025-02-23T09:00:00")
    fails_with(example, before, [f"{ARTICLE}:{line}: 2025-02-23T09:00:00 has no time zone (write it like"])


def test_date_without_zone_takes_the_site_zone(example: Path):
    replace_line(example / ARTICLE, r"^date:", "date: 2025-02-23T09:00:00")
    run_cli("build", cwd=example, check=True)
    html = (example / "site/articles/2025-02-23-record-russian-drone-attack/index.html").read_text()
    assert 'datetime="2025-02-23T09:00:00+02:00"' in html


def test_broken_template_override_is_located(built):
    example, before = built
    (example / "templates").mkdir()
    (example / "templates/404.html").write_text("<p>\n{% if %}\n</p>\n")
    fails_with(example, before, ["templates/404.html:2: template syntax error"])
