"""``{% sitewide %}``: a fragment rendered once per build for each distinct value of what it reads.

The header, the topic strip and the footer are the same on thousands of pages. Wrapped in
``{% sitewide %}...{% endsitewide %}`` (a Jinja extension, like the fragment cache in Jinja's own
documentation), a fragment is rendered the first time and its HTML inserted as it is on every later
page that gives it the same inputs. Its inputs are found, not declared: every variable the fragment
looks up in the page's context (``sharedimport.context_reads``: globals included), so a fragment can never be
reused on a page where it would have rendered differently:

* a build-wide global (``site``, ``all_topics``, ``topic_strip``, ...; the same object on every
  page) is not part of the key;
* any other variable is, when its value is a string, a number, a boolean or none (by type and value);
* a variable of any other kind (``page``, an article, an undefined name) makes the fragment render on
  that page as if the tag were not there.

A template narrows what a fragment reads with ``{% with %}`` around it (base.html passes the page's
kind, not the whole ``page``). The memo lives on the Environment, which is made anew for each build,
so every build (and every worker) renders each variant once. See docs/theme.md.
"""

from __future__ import annotations

import itertools

from jinja2 import nodes
from jinja2.ext import Extension
from markupsafe import Markup

from briefgen.render.sharedimport import context_reads

_SIMPLE = frozenset({str, int, float, bool, type(None), Markup})
_IDS = itertools.count()  # one id per fragment of a template without a name, compiled in this process
_ABSENT = object()


def _fragment_id(parser) -> tuple:
    """The fragment's id in its environment: the template's name and which of its fragments this is, the same
    in every process (compiled code is kept on disk, ``briefgen.render.compiled``); a template without a
    name (made from a string) takes a number of this process."""
    if parser.name is None:
        return ("", next(_IDS))
    n = parser.__dict__.get("_briefgen_fragments", 0)
    parser._briefgen_fragments = n + 1
    return (parser.name, n)


class SitewideExtension(Extension):
    tags = {"sitewide"}

    def __init__(self, environment):
        super().__init__(environment)
        self.rendered: dict[tuple, Markup] = {}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endsitewide",), drop_needle=True)
        probe = nodes.Template(body, lineno=lineno)
        probe.set_environment(self.environment)
        names = sorted(context_reads(probe))
        args = [
            nodes.Const(_fragment_id(parser)),
            nodes.Const(tuple(names)),
            nodes.Tuple([nodes.Name(n, "load") for n in names], "load"),
        ]
        return nodes.CallBlock(self.call_method("_render", args), [], [], body).set_lineno(lineno)

    def _render(self, fragment: tuple, names: tuple[str, ...], values: tuple, caller) -> Markup:
        shared = self.environment.globals
        key: list = [fragment]
        for name, value in zip(names, values, strict=True):
            if value is shared.get(name, _ABSENT):  # a build-wide global: the same on every page
                continue
            if type(value) not in _SIMPLE:
                return caller()  # depends on something that is not a plain value: this page's own render
            key.append((name, type(value), value))  # named: a global skipped on one page must not shift the rest
        found = self.rendered.get(tuple(key))
        if found is None:
            found = self.rendered[tuple(key)] = caller()
        return found
