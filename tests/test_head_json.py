"""A page's <head> JSON-LD, written by msgspec: the text ``json.dumps`` wrote, and safe inside <script>.

``metadata.compact_json`` must write what ``json.dumps(ensure_ascii=False, separators=(",", ":"))`` writes,
character for character, for what JSON-LD holds (no floats: see its docstring), including what it hands back
to ``json`` (a ``str`` subclass, a lone surrogate); ``json_for_script`` must leave nothing a browser would
read as the end of the script or the start of a comment.
"""

from __future__ import annotations

import enum
import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from briefgen.engine.build import load_and_assemble
from briefgen.jsontext import compact as compact_json
from briefgen.outputs.metadata import json_for_script, structured_data
from briefgen.outputs.search import available
from briefgen.problems import Problems
from briefgen.project import Project
from briefgen.render.render import Renderer

# every code point, surrogates included, and the ones that matter inside <script> more often than chance
texts = st.text(st.characters(blacklist_categories=())) | st.sampled_from(
    ["</script>", "</SCRIPT >", "<!--", "-->", "<script>", "a & b", "\u2028\u2029", "\x00\x1f\x7f", '"\\/', "Київ"]
)
scalars = st.none() | st.booleans() | st.integers() | texts
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=30,
)


def plain(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@given(values)
def test_compact_json_is_what_json_dumps_writes(value):
    assert compact_json(value) == plain(value)


class Rating(enum.IntEnum):
    BEST = 5


def test_compact_json_hands_what_msgspec_refuses_to_json():
    for value in (
        {"name": Markup("<b>x</b>"), "rating": Rating.BEST},
        {"lone": "\ud800", "big": [2**64, -(2**63) - 1]},
        {"nested": [[[[{"a": []}]]]], "empty": {}},
    ):
        assert compact_json(value) == plain(value)


@given(values)
def test_json_for_script_cannot_end_the_script(value):
    text = str(json_for_script(value))
    assert not any(c in text for c in "<>&\u2028\u2029")  # so no "</script", "<!--" nor "-->" either
    assert json.loads(text) == json.loads(plain(value))  # and still JSON for the same value


def _kinds(value, seen: set) -> None:
    seen.add(type(value))
    if isinstance(value, dict):
        for key, item in value.items():
            seen.add(type(key))
            _kinds(item, seen)
    elif isinstance(value, list):
        for item in value:
            _kinds(item, seen)


def test_json_ld_holds_no_float(example: Path):
    """Where msgspec and ``json`` differ (a float with an exponent, NaN) cannot occur: no page's JSON-LD has a
    float, nor anything but the plain JSON types."""
    project = Project.at(example)
    site, pages = load_and_assemble(project, Problems(), drafts=True)
    site.config, _ = available(site.config)
    renderer = Renderer(site, project)
    seen: set = set()
    for page in pages:
        _kinds(structured_data(site, page, renderer), seen)
    assert seen <= {dict, list, str, int, bool, type(None)}
    assert {dict, list, str, int} <= seen
