"""How templates are compiled: Jinja's code generator, told to skip a wrapper and to share imported macros.

Jinja compiles each ``{{ value }}`` of an autoescaped template to ``escape(value)``, and only ever joins
those results into text (a macro, block or ``set`` body is wrapped in ``Markup`` after the join). With
MarkupSafe 3 ``escape`` is Python around the C function ``_escape_inner`` and wraps every result in a
new ``Markup``: most of a call's cost, over two million calls in a cold build of 4,000 articles. This
code generator (``Environment.code_generator_class``, the mechanism Jinja's own ``NativeEnvironment``
uses) writes ``output_text(value)`` there instead: the same text and the same checks, no ``Markup``.

It also compiles ``{% import ... with context %}`` to ``sharedimport.shared_module`` (the module made once
per build for each distinct value of what it reads), and writes into every compiled template the names
that module would read (``shared_import_reads``; None when it cannot be shared), collected in the same pass.
"""

from __future__ import annotations

from jinja2.compiler import CodeGenerator

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


class SharingCodeGenerator(CodeGenerator):
    """Jinja's code generator, with an import "with context" made once per distinct value of what it reads."""

    def visit_Template(self, node, frame=None) -> None:
        # the names the module reads are collected as this very pass enters each frame (``enter_frame``), as
        # ``sharedimport.context_reads`` would in a second pass (which cost as much as compiling _macros.html)
        self._reads: set[str] | None = set() if shareable(node) else None
        self.writeline("from briefgen.render.sharedimport import shared_module")
        super().visit_Template(node, frame)
        reads = None if self._reads is None else tuple(sorted(self._reads))
        self.writeline(f"shared_import_reads = {reads!r}")  # module level: read only when a page renders

    def enter_frame(self, frame) -> None:
        super().enter_frame(frame)
        if getattr(self, "_reads", None) is not None:
            self._reads.update(frame_reads(frame))

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
