"""``{% import "_macros.html" as m with context %}`` made once per build for each distinct value of what it reads.

Jinja runs an import "with context" again on every page (``Template.make_module``): a new context and a
new ``Macro`` object for each of the theme's forty macros, about a tenth of an article page's rendering.
The module it makes depends only on the names its template looks up in the page's context (its macros
read ``root``, ``site``, ``chart``...), so the code generator (``codegen``) compiles such an import to
``shared_module``, which keeps each module made and hands it to every later page of the build that gives
those names the same values. The rule is ``{% sitewide %}``'s (``briefgen.render.sitewide``):

* the names are found, not declared: every variable the imported template looks up from the context
  (``context_reads``, at compile time, from the very tree that is compiled);
* a build-wide global (``site``, ``all_topics``...; the same object on every page) is not part of the key;
* a string, number, boolean, none or an absent name is, by type and value; a function defined at a
  module's top level (no closure: ``chart``) by identity;
* a value of any other kind (``page``, an article, a closure such as ``asset``) makes the import run for
  that page as Jinja runs it (keyed by identity, each page would keep its own module until the build ends).

Only a template whose top level is macros, text, and ``{% set %}`` of constants can be shared (a list or
dict only under a name starting with "_", which Jinja does not export: a page cannot reach it through the
module). One that makes a namespace or calls anything at its top level (state a macro could change) is
made for every page, and so is one whose macros change a list or dict in place (``.append``...), include
or import another template (what that one reads is not in these names), or call a ``@pass_context``
function (it would be given the first page's context). The memo lives on the Template object, which each
build's new Environment loads anew.
"""

from __future__ import annotations

from types import FunctionType

from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.meta import TrackingCodeGenerator
from jinja2.runtime import missing
from markupsafe import Markup

_SIMPLE = frozenset({str, int, float, bool, type(None), Markup})
_ABSENT = object()
_IN_PLACE = frozenset({"append", "extend", "insert", "remove", "pop", "popitem", "clear", "update", "setdefault"})
_IN_PLACE |= {"sort", "reverse", "add", "discard", "__setitem__", "__delitem__"}
_CONSTANT = (nodes.Const, nodes.TemplateData)
_PASSES_CONTEXT = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends, nodes.Block)


def shareable(ast: nodes.Template) -> bool:
    """Whether a module compiled from ``ast`` may be shared (the rule above), whatever names it reads. The code
    generator (``codegen``) collects those names while it compiles the template, not in a second pass."""
    for node in ast.body:
        if isinstance(node, nodes.Macro):
            continue
        if isinstance(node, nodes.Output) and all(isinstance(n, nodes.TemplateData) for n in node.nodes):
            continue
        if isinstance(node, nodes.Assign) and _constant(node.node, exported=_exported(node.target)):
            continue
        return False  # anything else at the top level may hold or change state
    for call in ast.find_all(nodes.Call):
        if isinstance(call.node, nodes.Getattr) and call.node.attr in _IN_PLACE:
            return False  # a macro may change a module-level list or dict in place
    # what an included or imported template reads is not in this template's names
    return not any(True for _ in ast.find_all(_PASSES_CONTEXT))


def _exported(target: nodes.Node) -> bool:
    """Whether a top-level ``{% set %}`` is an attribute of the module (Jinja exports names without "_")."""
    names = [target] if isinstance(target, nodes.Name) else list(target.find_all(nodes.Name))
    return any(not name.name.startswith("_") for name in names)


def frame_reads(frame) -> set[str]:
    """The names a frame of the code generator looks up in the context at runtime (globals included)."""
    return {param for action, param in frame.symbols.loads.values() if action == "resolve"}


class _ContextReads(TrackingCodeGenerator):
    """``jinja2.meta``'s tracking code generator, keeping the names of globals too: a page may give one of
    them a value of its own, which the template then reads (``find_undeclared_variables`` leaves them out)."""

    def enter_frame(self, frame) -> None:
        CodeGenerator.enter_frame(self, frame)
        self.undeclared_identifiers.update(frame_reads(frame))


def context_reads(ast: nodes.Template) -> set[str]:
    """Every name ``ast`` (its environment set) looks up in the context at runtime, globals included."""
    tracker = _ContextReads(ast.environment)
    tracker.visit(ast)
    return tracker.undeclared_identifiers


def _constant(node: nodes.Node, exported: bool = False) -> bool:
    """A literal of constants; an exported one (a page could change it through the module) immutable too."""
    if isinstance(node, _CONSTANT):
        return True
    if isinstance(node, nodes.Tuple):
        return all(_constant(item, exported) for item in node.items)
    if exported:
        return False
    if isinstance(node, nodes.List):
        return all(_constant(item) for item in node.items)
    if isinstance(node, nodes.Dict):
        return all(_constant(pair.key) and _constant(pair.value) for pair in node.items)
    return False


def shared_module(template, vars: dict, locals: dict):
    """What ``template.make_module(vars, True, locals)`` returns, made once per distinct key (see above)."""
    reads = template.root_render_func.__globals__.get("shared_import_reads")
    if reads is None:
        return template.make_module(vars, True, locals)
    shared = template.environment.globals
    key: list = []
    for name in reads:
        value = locals.get(name, missing)
        if value is missing:  # as jinja2.runtime.new_context: a local that is set wins over the context
            value = vars.get(name, _ABSENT)
        if value is _ABSENT:
            key.append((name, _ABSENT))
        elif value is shared.get(name, _ABSENT):
            if hasattr(value, "jinja_pass_arg"):  # @pass_context: it would read the first page's context
                return template.make_module(vars, True, locals)
            continue
        elif type(value) in _SIMPLE:
            key.append((name, type(value), value))
        elif type(value) is FunctionType and value.__closure__ is None and not hasattr(value, "jinja_pass_arg"):
            key.append((name, value))  # a module's function (the charts' helpers): the same object, by identity
        else:
            return template.make_module(vars, True, locals)
    memo = template.__dict__.setdefault("_briefgen_shared_modules", {})
    found = memo.get(tuple(key))
    if found is None:
        found = memo[tuple(key)] = template.make_module(vars, True, locals)
    return found
