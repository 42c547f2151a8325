"""Each template's context made from plain dicts: ``ThemeTemplate``, the theme environment's template class.

Jinja makes a ``Context`` for every page and for every ``{% include %}`` (about 16,000 of them in a cold
build of 4,000 articles) from the template's globals, a ``collections.ChainMap`` of the template's own
globals over the environment's. Iterating a ``ChainMap`` is Python code: ``dict(globals, **vars)`` (a
page's context) asks it for each key and then each value, and ``set(globals)`` (every context's
``globals_keys``) builds a dict of its keys first. That was most of what an include cost, about as much as
rendering a small included template itself. Here the same globals are first merged into one plain dict,
which Python copies and iterates in C: the same keys in the same order, with the same values (a template's
own global over the environment's), made anew for each context, so a global changed later is seen as
Jinja would see it.
"""

from __future__ import annotations

from collections import ChainMap

import jinja2
from jinja2.runtime import new_context


def flat_globals(globals):
    """``globals`` (Jinja's ``ChainMap``) as one plain dict: iterated in the ``ChainMap``'s order (the last
    map's keys first), each key with the value the ``ChainMap`` gives (the first map that has it)."""
    if type(globals) is not ChainMap:
        return globals
    flat: dict = {}
    for mapping in reversed(globals.maps):
        flat.update(mapping)
    return flat


class ThemeTemplate(jinja2.Template):
    """A Jinja template whose contexts are made from its globals merged into a plain dict (``flat_globals``)."""

    def new_context(self, vars=None, shared=False, locals=None):
        return new_context(self.environment, self.name, self.blocks, vars, shared, flat_globals(self.globals), locals)
