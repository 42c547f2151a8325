"""What each article parsed to, kept on disk: a rebuild parses only what changed, and says the same.

The record (``briefgen.content.parsed``) must give back exactly what parsing gives, for every article of
the example and of a generated corpus (else the fast path is silently never taken); a rebuild after one
edit must parse that one article and no other; problems found at a line of an unchanged article must be
reported at the same line as a build without the cache reports them.
"""

from __future__ import annotations

import importlib.util
import re
import typing
from pathlib import Path

import pytest
from conftest import REPO, copy_example, run_cli
from engine_support import clean_reference, differing, tree
from pydantic import BaseModel

from briefgen.content import parsed, schema
from briefgen.content.load import Loader
from briefgen.content.validate import validate
from briefgen.content.yamlsource import load_yaml, split_front_matter
from briefgen.engine.build import build
from briefgen.problems import Problems
from briefgen.project import Project


def _make_corpus(n: int, dest: Path) -> Path:
    spec = importlib.util.spec_from_file_location("make_corpus", REPO / "bench" / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.make_corpus(n, dest)
    return dest


def _parse(path: Path):
    yaml_text, offset, body, body_line = split_front_matter(path.read_text(encoding="utf-8"))
    doc = load_yaml(yaml_text, offset)
    meta = validate(schema.ArticleIn, doc, path.name, Problems())
    assert meta is not None, path
    return meta, doc, body, body_line


def _plain(value, model):
    """``value`` (the pydantic model or its record) as nested dicts of (type name, repr) leaves."""
    if isinstance(value, list):
        return [_plain(v, model) for v in value]
    if model is not None and value is not None:
        return {
            name: _plain(getattr(value, name), _inner(info.annotation)) for name, info in model.model_fields.items()
        }
    return (type(value).__name__, repr(value))


def _inner(annotation):
    """The model a field holds (itself, in a list or optional), or None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    found = [_inner(arg) for arg in typing.get_args(annotation)]
    return next((m for m in found if m is not None), None)


@pytest.mark.parametrize("corpus", ["example", "generated"])
def test_every_article_has_a_record_that_decodes_to_what_was_validated(tmp_path: Path, corpus: str):
    root = REPO if corpus == "example" else _make_corpus(60, tmp_path / "corpus")
    paths = sorted((root / "content" / "articles").rglob("*.md"))
    assert len(paths) >= 10
    for path in paths:
        meta, doc, body, body_line = _parse(path)
        data = parsed.encode_record(meta, doc, body, body_line)
        assert data is not None, f"{path.name}: no record, so every rebuild parses it again"
        back, lines, body_back, line_back = parsed.decode_record(data)
        assert parsed._same(meta, back) and (body_back, line_back) == (body, body_line)
        assert _plain(back, schema.ArticleIn) == _plain(meta, schema.ArticleIn)  # read by attribute, as loaded
        for loc in list(doc.lines) + [("quotes", 99, "speaker"), ("nothing",), ()]:
            assert lines.line(loc) == doc.line(loc), loc


def test_a_record_refuses_a_slug_the_schema_refuses():
    meta, doc, body, body_line = _parse(next((REPO / "content" / "articles").glob("*.md")))
    data = parsed.encode_record(meta.model_copy(update={"slug": "ok-slug"}), doc, body, body_line)
    assert parsed.decode_record(data)[0].slug == "ok-slug"
    with pytest.raises(ValueError):  # msgspec.ValidationError
        parsed.decode_record(data.replace(b'"ok-slug"', b'"../../out"'))


def test_a_rebuild_after_one_edit_parses_that_article_only(tmp_path: Path, monkeypatch):
    project = copy_example(tmp_path / "project")
    build(Project.at(str(project), None, None), jobs=1)
    before = tmp_path / "before"
    clean_reference(project, project / "site", before)  # the site as it was, for the change history
    edited = sorted((project / "content" / "articles").glob("*.md"))[3]
    with edited.open("a", encoding="utf-8") as f:
        f.write("\nA paragraph added later, with a [link](2025-02-21-kellogg-kyiv-talks.md).\n")
    seen: list[str] = []
    real = Loader._parse_article

    def counting(self, rel, name, text):
        seen.append(rel)
        return real(self, rel, name, text)

    monkeypatch.setattr(Loader, "_parse_article", counting)
    build(Project.at(str(project), None, None), jobs=1)  # a new build database, read from disk
    assert seen == [f"content/articles/{edited.name}"]
    monkeypatch.undo()
    expected = tree(clean_reference(project, before, tmp_path / "reference"))
    assert differing(tree(project / "site"), expected) == []


def _messages(stderr: str) -> list[str]:
    return sorted(line for line in stderr.splitlines() if re.match(r"(warning: )?content/", line))


def test_problems_at_lines_of_unchanged_articles_are_reported_as_without_the_cache(tmp_path: Path):
    project = copy_example(tmp_path / "project")
    run_cli("build", "-q", "--jobs", "1", "-s", str(project), check=True)
    assert any((project / ".briefgen-cache").glob("articles-*.json"))
    people = project / "content" / "people.yaml"  # no article changes; those naming her now fail to link
    text = people.read_text(encoding="utf-8")
    people.write_text(re.sub(r"\nzelensky:\n(  .*\n)+", "\n", text), encoding="utf-8")
    cached = run_cli("build", "--jobs", "1", "-s", str(project))
    fresh = run_cli("build", "--no-cache", "--jobs", "1", "-s", str(project), "-o", str(tmp_path / "fresh"))
    assert cached.returncode == fresh.returncode == 1
    found = _messages(cached.stderr)
    assert any(
        "unknown person 'zelensky'" in line and re.match(r"content/articles/[^:]+:\d+: ", line) for line in found
    )
    assert found == _messages(fresh.stderr)
