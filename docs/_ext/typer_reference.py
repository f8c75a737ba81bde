"""Sphinx directive ``.. typer-app:: module:attribute``: a reference page of a Typer app.

One section per command (in the order of ``--help``): its help text, the example it gives, the
usage line, and a table of its arguments and options with their defaults, all read from the
app itself. Typer >= 0.16 ships its own copy of click, which sphinx-click does not recognise,
so the page is built here from the command objects (``name``, ``help``, ``params``).
"""

from __future__ import annotations

import importlib
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective


def _load(spec: str) -> Any:
    module, _, attribute = spec.partition(":")
    import typer.main

    return typer.main.get_command(getattr(importlib.import_module(module), attribute))


def _paragraphs(text: str) -> list[nodes.Node]:
    out: list[nodes.Node] = []
    for block in text.strip().split("\n\n"):
        line = " ".join(part.strip() for part in block.splitlines())
        if line.startswith("Example:"):
            out.append(nodes.paragraph(text="Example:"))
            out.append(nodes.literal_block(text=line.removeprefix("Example:").strip()))
        else:
            out.append(nodes.paragraph(text=line))
    return out


def _default(param: Any) -> str:
    if param.param_type_name == "argument" and param.required:
        return "required"
    if getattr(param, "is_flag", False) or param.default is None:
        return ""
    if isinstance(param.default, list | tuple):
        return ",".join(str(v) for v in param.default)
    return str(param.default)


def _name(param: Any) -> str:
    if param.param_type_name == "argument":
        return param.name.upper()
    names = ", ".join([*param.opts, *param.secondary_opts])
    return names if getattr(param, "is_flag", False) else f"{names} VALUE"


def _arguments(params: list[Any]) -> list[str]:
    names = [p.name.upper() for p in params if p.param_type_name == "argument"]
    required = [p.required for p in params if p.param_type_name == "argument"]
    return [n if r else f"[{n}]" for n, r in zip(names, required, strict=True)]


def _table(params: list[Any]) -> nodes.table:
    rows = [(_name(p), p.help or "", _default(p)) for p in params if not p.hidden]
    rows.append(("--help", "Show the help and exit.", ""))
    table = nodes.table(classes=["typer-options"])
    group = nodes.tgroup(cols=3)
    table += group
    for width in (30, 55, 15):
        group += nodes.colspec(colwidth=width)
    head, body = nodes.thead(), nodes.tbody()
    for target, cells in ((head, [("argument / option", "meaning", "default")]), (body, rows)):
        for cell_texts in cells:
            row = nodes.row()
            for i, text in enumerate(cell_texts):
                inner = nodes.literal(text=text) if (i != 1 and text) else nodes.Text(text)
                row += nodes.entry("", nodes.paragraph("", "", inner))
            target += row
    group += head
    group += body
    return table


class TyperApp(SphinxDirective):
    """``.. typer-app:: driftscale.cli:app`` with ``:prog: driftscale``."""

    required_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {"prog": directives.unchanged_required}

    def run(self) -> list[nodes.Node]:
        group = _load(self.arguments[0])
        prog = self.options.get("prog", group.name)
        out: list[nodes.Node] = []
        for name, command in group.commands.items():
            if command.hidden:
                continue
            section = nodes.section(ids=[nodes.make_id(f"{prog}-{name}")])
            section += nodes.title(text=f"{prog} {name}")
            section.extend(_paragraphs(command.help or ""))
            usage = " ".join([f"{prog} {name}", "[OPTIONS]", *_arguments(command.params)])
            section += nodes.literal_block(text=usage)
            section += _table(command.params)
            self.state.document.note_implicit_target(section, section)
            out.append(section)
        return out


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("typer-app", TyperApp)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
