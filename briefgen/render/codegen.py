"""How templates are compiled: Jinja's code generator, told to skip a wrapper and to share imported macros.

Jinja compiles each ``{{ value }}`` of an autoescaped template to ``escape(value)``, and only ever joins
those results into text (a macro, block or ``set`` body is wrapped in ``Markup`` after the join). With
MarkupSafe 3 ``escape`` is Python around the C function ``_escape_inner`` and wraps every result in a
new ``Markup``: most of a call's cost, over two million calls in a cold build of 4,000 articles. This
code generator (``Environment.code_generator_class``, the mechanism Jinja's own ``NativeEnvironment``
uses) writes ``output_text(value)`` there instead: the same text and the same checks, no ``Markup``; its
first case, a plain ``str``, in line (``escape_text(v) if type(v) is str else output_text(v)``).

Jinja yields each piece of an output line on its own (``'<a href="'``, ``root``, ``t.url_path``, ``'">'``):
about a million yields for the pages of 4,000 articles, each resuming the chain of generators a page is
(the template, its parent, the block). This code generator yields an output line's pieces joined, once.

``{{ m.name(x) }}`` is compiled to ``context.call(m.name, x)``, which asks twice whether the callee wants the
context before it calls it. A macro never does: when the callee is a ``Macro`` it is called straight.

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

from io import StringIO

import jinja2
from jinja2 import nodes
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


def _output_body(generator: CodeGenerator, node, frame) -> list:
    """An output node's pieces as Jinja's ``visit_Output`` groups them: a list of adjacent constants joined at
    compile time, or an expression evaluated at runtime (anything that cannot be, or fails to be, a constant:
    the error is then raised, and located, when the page renders)."""
    finalize = generator._make_finalize()
    body: list = []
    for child in node.nodes:
        try:
            if not (finalize.const or isinstance(child, nodes.TemplateData)):
                raise nodes.Impossible()
            const = generator._output_child_to_const(child, frame, finalize)
        except (nodes.Impossible, Exception):
            body.append(child)
            continue
        if body and isinstance(body[-1], list):
            body[-1].append(const)
        else:
            body.append([const])
    return body


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

    @optimizeconst  # as Jinja's own
    def visit_Call(self, node, frame, forward_caller: bool = False) -> None:
        if self.environment.is_async or self.environment.sandboxed:
            super().visit_Call(node, frame, forward_caller)
            return
        # A macro is called straight: what ``Context.call`` ends up doing for one, after asking twice whether it
        # wants the context and taking Jinja's own keywords off. Anything else goes through ``context.call`` as
        # Jinja compiles it. The callee is evaluated once, before its arguments, either way.
        caller = {"caller": "caller"} if forward_caller else {}
        context_kwargs = dict(caller)
        if frame.loop_frame:
            context_kwargs["_loop_vars"] = "_loop_vars"
        if frame.block_frame:
            context_kwargs["_block_vars"] = "_block_vars"
        self.write("(t_c(")
        self.write(self._captured(lambda: self.signature(node, frame, caller or None)).removeprefix(", "))
        self.write(") if type(t_c := ")
        self.visit(node.node, frame)
        self.write(") is Macro else context.call(t_c")
        self.signature(node, frame, context_kwargs or None)
        self.write("))")

    def _captured(self, write) -> str:
        """The code ``write()`` writes, kept out of the template's code (the caller is in mid-expression: no
        line starts inside it)."""
        stream, self.stream = self.stream, StringIO()
        try:
            write()
            return self.stream.getvalue()
        finally:
            self.stream = stream

    def visit_Output(self, node, frame) -> None:
        # Jinja yields each piece of an output line on its own ('<a href="', root, url_path, '">' ...): every
        # yield is a resumption of the whole chain of generators (the template, its parent, the block) and a
        # piece for the writer. One yield of the pieces joined is the same text; each expression keeps its own
        # line, so an error still points at its template line, as in a macro's buffer (Jinja's code for it).
        finalize = self._make_finalize()
        body = None if frame.buffer is not None or frame.require_output_check else _output_body(self, node, frame)
        if body is None or len(body) < 2:  # a macro's or block's buffer, output outside a child's blocks, one piece
            super().visit_Output(node, frame)
            return
        self.writeline("yield ''.join((")
        self.indent()
        for item in body:
            if isinstance(item, list):
                self.writeline(self._output_const_repr(item) + ",")
                continue
            self.newline(item)
            self._output_child_pre(item, frame, finalize)
            self.visit(item, frame)
            self._output_child_post(item, frame, finalize)
            self.write(",")
        self.outdent()
        self.writeline("))")

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
        self.writeline(f"from {__name__} import output_text, _escape_inner as escape_text")
        super().visit_Template(node, frame)

    def _output_child_pre(self, node, frame, finalize) -> None:
        if frame.eval_ctx.volatile:
            self.write("(output_text if context.eval_ctx.autoescape else str)(")
        elif frame.eval_ctx.autoescape:
            # output_text's first case in line (most values are plain strings): no call of a Python function
            self.write("(escape_text(t_s) if type(t_s := ")
        else:
            self.write("str(")
        if finalize.src is not None:
            self.write(finalize.src)

    def _output_child_post(self, node, frame, finalize) -> None:
        super()._output_child_post(node, frame, finalize)
        if not frame.eval_ctx.volatile and frame.eval_ctx.autoescape:
            self.write(" is str else output_text(t_s))")


# MarkupSafe 2's escape() is C already: there Jinja's own escaping is kept
CODE_GENERATOR = TextOutputCodeGenerator if _escape_inner is not None else SharingCodeGenerator
