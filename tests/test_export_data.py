"""``briefing.json`` made without the pydantic models is what the models dump, byte for byte.

``exportdata.BriefingData.briefing`` builds the export's dictionaries straight from the briefing;
``exports.Exporter.briefing(b).model_dump(mode="json")`` is the reference. Compared on every topic of the
example and of a generated corpus, and on values the models convert or refuse (those must take the models'
path, and give what they give or fail as they fail).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pydantic
import pytest

from briefgen.jsontext import file_bytes
from briefgen.outputs import exportdata, exports

ROOT = Path(__file__).resolve().parents[1]


def _loaded(project_dir: Path):
    from briefgen.engine.build import load_and_assemble
    from briefgen.problems import Problems
    from briefgen.project import Project
    from briefgen.render.render import Renderer, static_files

    project = Project.at(project_dir)
    site, pages = load_and_assemble(project, Problems())
    return site, pages, Renderer(site, project, static_files(project))


def _every_topic_compared(project_dir: Path) -> tuple[int, list[str]]:
    """How many topics were compared, and where each that differs first does. Nothing large is passed to or
    returned from here: pytest's long traceback prints a failing frame's arguments, and a site's take minutes."""
    site, pages, renderer = _loaded(project_dir)
    exporter = exports.Exporter(site, renderer)
    data = exportdata.BriefingData(site.config.title, renderer.absolute)
    compared, differ = 0, []
    for page in pages:
        if page.kind == "pack":
            b = page.context["b"]
            mine, reference = file_bytes(data.briefing(b)), file_bytes(exporter.briefing(b).model_dump(mode="json"))
            if mine != reference:
                differ.append(f"{b.topic.slug}: first difference at byte {_first_difference(mine, reference)}")
            compared += 1
    return compared, differ


def _first_difference(a: bytes, b: bytes) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


def test_every_topic_of_the_example_exports_what_the_models_dump(example):
    compared, differ = _every_topic_compared(example)
    assert differ == []
    assert compared == 3  # the example's three topics


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("corpus") / "c"
    subprocess.run([sys.executable, str(ROOT / "bench/make_corpus.py"), "200", str(dest)], check=True)
    return dest


def test_every_topic_of_a_generated_corpus_exports_what_the_models_dump(corpus):
    compared, differ = _every_topic_compared(corpus)
    assert differ == []
    assert compared == 30  # the corpus's topics


@pytest.mark.parametrize(
    "when",
    [
        dt.datetime(2025, 2, 23, 8, 30, tzinfo=dt.UTC),
        dt.datetime(2025, 2, 23, 8, 30, 0, 120, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30, seconds=15))),
        dt.datetime(2025, 2, 23, 8, 30),
        dt.date(2025, 2, 23),
    ],
)
def test_dates_and_times_are_written_as_pydantic_writes_them(when):
    assert exportdata._when(when) == exports.EventOut.model_construct(date=when).model_dump(mode="json")["date"]


def _a_figure_group(site, pages):
    for page in pages:
        if page.kind == "pack" and page.context["b"].figures:
            return page.context["b"]
    raise AssertionError("the example has figures")


class _Text(str):
    pass


def test_values_the_models_convert_or_refuse_take_the_models_path(example):
    site, pages, renderer = _loaded(example)
    b = _a_figure_group(site, pages)
    figure = b.figures[0].figures[0]
    data = exportdata.BriefingData(site.config.title, renderer.absolute)
    out = exports.topic_exports(site, [p for p in pages if p.kind == "pack" and p.context["b"] is b], renderer)
    briefing_path = exports.topic_paths(b.topic)[0]

    for field, value in (("label", _Text("a str subclass")), ("value", True)):
        original = getattr(figure, field)
        object.__setattr__(figure, field, value)
        try:
            with pytest.raises(exportdata.Unusual):
                data.briefing(b)
            pack = [p for p in pages if p.kind == "pack" and p.context["b"] is b]
            reference = file_bytes(exports.Exporter(site, renderer).briefing(b).model_dump(mode="json"))
            same = exports.topic_exports(site, pack, renderer)[briefing_path] == reference
            assert same
        finally:
            object.__setattr__(figure, field, original)
    same = exports.topic_exports(site, pack, renderer) == out
    assert same

    original = figure.as_of
    object.__setattr__(figure, "as_of", "yesterday")  # neither a date nor a time: the models refuse it
    try:
        with pytest.raises(pydantic.ValidationError):
            exports.topic_exports(site, pack, renderer)
    finally:
        object.__setattr__(figure, "as_of", original)
