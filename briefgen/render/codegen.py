"""How templates are compiled: Jinja's code generator, told to skip a wrapper and to share imported macros.

Jinja compiles each ``{{ value }}`` of an autoescaped template to ``escape(value)``, and only ever joins
those results into text (a macro, block or ``set`` body is wrapped in ``Markup`` after the join). With
MarkupSafe 3 ``escape`` is Python around the C function ``_escape_inner`` and wraps every result in a
new ``Markup``: most of a call's cost, over two million calls in a cold build of 4,000 articles. This
code generator (``Environment.code_generator_class``, the mechanism Jinja's own ``NativeEnvironment``
uses) writes ``output_text(value)`` there instead: the same text and the same checks, no ``Markup``.

Every ``a.b`` is compiled to Jinja's ``environment.getattr(a, "b")``: a method call (a Python frame) around
``getattr``, over two million times in a cold build of 4,000 articles. This code generator writes the lookup
in line instead, ``getattr(a, "b", absent)``, and only when the attribute is absent does it go on as
``Environment.getattr`` does (the item ``a["b"]``, else undefined: ``item_or_undefined``). An environment
whose ``getattr`` is not Jinja's own (a sandbox) keeps the method call.

It also compiles ``{% import ... with context %}`` to ``sharedimport.shared_module`` (the module made once
per build for each distinct value of what it reads), and writes into every compiled template the names
that module would read (``shared_import_reads``; None when it cannot be shared), collected in the same pass.
"""

from __future__ import annotations

import jinja2
from jinja2.compiler import CodeGenerator, optimizeconst

from briefgen.render.sharedimport import frame_reads, shareable

try:  # MarkupSafe 3: escape() is Python around this C function
    from markupsafe import _escape_inner
except ImportError:  # MarkupSafe 2: escape() itself is C; keep it
    _escape_inner = None


def output_text(value) -> str:
    """``markupsafe.escape(value)`` as plain text: a ``str`` is escaped, ``__html__`` trusted, the rest escaped."""
    if type(value) is str:
        return _escape_inner(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return _escape_inner(str(value))


ABSENT = object()  # what ``getattr(value, name, ABSENT)`` gives for an attribute a value does not have


def item_or_undefined(environment, obj, attribute: str):
    """The rest of ``Environment.getattr`` for an attribute ``obj`` does not have: the item, else undefined."""
    try:
        return obj[attribute]
    except (TypeError, LookupError, AttributeError):
        return environment.undefined(obj=obj, name=attribute)


class SharingCodeGenerator(CodeGenerator):
    """Jinja's code generator, with an import "with context" made once per distinct value of what it reads,
    and attributes looked up in line."""

    def visit_Template(self, node, frame=None) -> None:
        # the names the module reads are collected as this very pass enters each frame (``enter_frame``), as
        # ``sharedimport.context_reads`` would in a second pass (which cost as much as compiling _macros.html)
        self._reads: set[str] | None = set() if shareable(node) else None
        self.writeline("from briefgen.render.sharedimport import shared_module")
        self.writeline(f"from {__name__} import ABSENT as getattr_absent, item_or_undefined")
        super().visit_Template(node, frame)
        reads = None if self._reads is None else tuple(sorted(self._reads))
        self.writeline(f"shared_import_reads = {reads!r}")  # module level: read only when a page renders

    def enter_frame(self, frame) -> None:
        super().enter_frame(frame)
        if getattr(self, "_reads", None) is not None:
            self._reads.update(frame_reads(frame))

    @optimizeconst  # as Jinja's own: a constant's attribute is worked out when compiling
    def visit_Getattr(self, node, frame) -> None:
        if self.environment.is_async or type(self.environment).getattr is not jinja2.Environment.getattr:
            super().visit_Getattr(node, frame)
            return
        # (the item, else undefined, if t_o has no such attribute, else the attribute t_v): the names are
        # assigned before they are read, inside this one expression, so nested lookups do not disturb them
        self.write(f"(item_or_undefined(environment, t_o, {node.attr!r}) if (t_v := getattr((t_o := ")
        self.visit(node.node, frame)
        self.write(f"), {node.attr!r}, getattr_absent)) is getattr_absent else t_v)")

    def _import_common(self, node, frame) -> None:
        if not node.with_context or self.environment.is_async:
            super()._import_common(node, frame)
            return
        self.write("shared_module(environment.get_template(")
        self.visit(node.template, frame)
        self.write(f", {self.name!r}), context.get_all(), {self.dump_local_context(frame)})")


class TextOutputCodeGenerator(SharingCodeGenerator):
    """The sharing code generator, with ``output_text`` as the escape for template output."""

    def visit_Template(self, node, frame=None) -> None:
        self.writeline(f"from {__name__} import output_text")
        super().visit_Template(node, frame)

    def _output_child_pre(self, node, frame, finalize) -> None:
        if frame.eval_ctx.volatile:
            self.write("(output_text if context.eval_ctx.autoescape else str)(")
        elif frame.eval_ctx.autoescape:
            self.write("output_text(")
        else:
            self.write("str(")
        if finalize.src is not None:
            self.write(finalize.src)


# MarkupSafe 2's escape() is C already: there Jinja's own escaping is kept
CODE_GENERATOR = TextOutputCodeGenerator if _escape_inner is not None else SharingCodeGenerator
