"""An explicit YAML tag on any value is read or refused with a located problem, never a traceback.

PyYAML's constructors assume their own resolver picked the tag; a tag written out by hand
(``date: !!timestamp x``, ``flag: !!bool x``) reached them with values they do not expect and
raised AttributeError or KeyError out of the build."""

from __future__ import annotations

import json

import pytest
from conftest import copy_example, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefgen.content.yamlsource import YamlProblem, load_yaml

TAGS = ["str", "int", "float", "bool", "null", "timestamp", "seq", "map"]


@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    tag=st.sampled_from(TAGS),
    value=st.one_of(
        st.text(st.characters(blacklist_categories=["Cs", "Cc"]), max_size=12),
        st.sampled_from(["x", "2025-13-01", "2025-02-23T25:00", "0x", ".", "yes", "~", "1e999", "-.inf", "0o9"]),
    ),
)
def test_every_allowed_tag_with_any_value_is_read_or_located(tag: str, value: str):
    text = f"title: plain\nvalue: !!{tag} {json.dumps(value, ensure_ascii=False)}\n"
    try:
        load_yaml(text, offset=1)
    except YamlProblem as problem:
        assert problem.line in (2, 3), (text, problem.line)  # the file's line of the value, or the document's


@pytest.mark.parametrize("value", ["!!timestamp x", "!!bool x"])
def test_a_build_reports_a_bad_tagged_value_at_its_line(tmp_path, value: str):
    project = copy_example(tmp_path)
    article = sorted((project / "content/articles").glob("*.md"))[0]
    lines = article.read_text("utf-8").split("\n")
    line = next(i for i, text in enumerate(lines, 1) if text.startswith("date:"))
    lines[line - 1] = f"date: {value}"
    article.write_text("\n".join(lines), "utf-8")
    done = run_cli("build", cwd=project)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"{article.relative_to(project).as_posix()}:{line}: " in done.stderr, done.stderr
