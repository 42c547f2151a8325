"""``contexts.ThemeTemplate`` makes the contexts Jinja's own ``Template`` makes, from plain dicts.

The same parent (keys, order, values), the same ``globals_keys``, for a page's context and an include's;
a template's own globals over the environment's; a global changed after loading seen as Jinja sees it.
"""

from __future__ import annotations

import jinja2

from briefgen.render.contexts import ThemeTemplate, flat_globals

TEMPLATES = {
    "page.html": "{% set here = 1 %}{% for i in [1] %}{% include '_part.html' %}{% endfor %}",
    "_part.html": "{{ here }} {{ shared }} {{ own }} {{ i }} {{ range(2)|list }} {{ page_only }}",
}


def environments() -> tuple[jinja2.Environment, jinja2.Environment]:
    plain = jinja2.Environment(loader=jinja2.DictLoader(TEMPLATES), undefined=jinja2.StrictUndefined)
    ours = jinja2.Environment(loader=jinja2.DictLoader(TEMPLATES), undefined=jinja2.StrictUndefined)
    ours.template_class = ThemeTemplate
    for env in (plain, ours):
        env.globals.update(shared="env", own="env's")
    return plain, ours


def test_contexts_are_jinjas():
    plain, ours = environments()
    for env in (plain, ours):
        env.get_template("page.html").globals["own"] = "the template's"  # a template's own over the env's
    a = plain.get_template("page.html")
    b = ours.get_template("page.html")
    assert type(b) is ThemeTemplate
    for shared, locals in ((False, None), (True, {"i": 3}), (True, None)):
        ca = a.new_context({"page_only": 1, "shared": "page"}, shared, locals)
        cb = b.new_context({"page_only": 1, "shared": "page"}, shared, locals)
        assert list(ca.parent.items()) == list(cb.parent.items())
        assert ca.globals_keys == cb.globals_keys
        assert ca.blocks.keys() == cb.blocks.keys() and ca.name == cb.name


def test_pages_and_includes_render_as_with_jinjas_template():
    plain, ours = environments()
    for env in (plain, ours):
        env.globals["shared"] = "changed after loading"
        env.get_template("_part.html")
        env.globals["own"] = "changed after loading too"
    page = {"page_only": "x"}
    assert ours.get_template("page.html").render(page) == plain.get_template("page.html").render(page)
    assert "changed after loading too" in ours.get_template("page.html").render(page)


def test_flat_globals_keeps_chainmap_order_and_priority():
    from collections import ChainMap

    chain = ChainMap({"b": 1, "z": 2}, {"a": 0, "b": 0, "c": 0})
    flat = flat_globals(chain)
    assert type(flat) is dict and list(flat.items()) == [(k, chain[k]) for k in chain]
    plain = {"x": 1}
    assert flat_globals(plain) is plain
