"""Shape of the source: no function longer than 60 lines of code (DESIGN.md, STYLE.md section 1).

Lines of code are the function's source lines that are neither blank, nor comments, nor part of
its docstring. A function that is longer for a stated reason is listed in ``EXCEPTIONS`` with the
reason; the list is empty unless a reason is written there.
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "driftscale"
MAX_LINES = 60
EXCEPTIONS: dict[str, str] = {}


def _code_lines(source: str, node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    lines = source.splitlines()[node.lineno - 1 : node.end_lineno]
    doc = set()
    body0 = node.body[0] if node.body else None
    if (
        isinstance(body0, ast.Expr)
        and isinstance(body0.value, ast.Constant)
        and isinstance(body0.value.value, str)
    ):
        doc = set(range(body0.lineno, body0.end_lineno + 1))
    comment_only = set()
    text = "\n".join(lines)
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.COMMENT and not tok.line[: tok.start[1]].strip():
            comment_only.add(tok.start[0] + node.lineno - 1)
    count = 0
    for k, line in enumerate(lines, start=node.lineno):
        if line.strip() and k not in doc and k not in comment_only:
            count += 1
    return count


def _functions() -> list[tuple[str, int]]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{path.relative_to(SRC.parent).with_suffix('')}:{node.name}"
                found.append((name.replace("/", "."), _code_lines(source, node)))
    return found


def test_no_function_is_longer_than_60_lines_of_code() -> None:
    long = {name: n for name, n in _functions() if n > MAX_LINES and name not in EXCEPTIONS}
    assert not long, f"functions over {MAX_LINES} lines of code: {long}"


def test_the_line_counter_can_fail() -> None:
    body = "\n".join(f"    x{k} = {k}" for k in range(MAX_LINES + 1))
    source = f'def f():\n    """Doc."""\n    # a comment\n\n{body}\n'
    node = ast.parse(source).body[0]
    assert _code_lines(source, node) == MAX_LINES + 2  # the def line and the 61 assignments


def test_every_exception_still_exists() -> None:
    gone = sorted(set(EXCEPTIONS) - set(dict(_functions())))
    assert not gone, f"listed in EXCEPTIONS but no longer in src/: {gone}"
