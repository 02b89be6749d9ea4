"""What must never reach students: the lines inside the solution regions of solutions/."""
from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


def solution_lines() -> dict[str, str]:
    """{stripped line: 'file:line'} for every line inside a BEGIN/END SOLUTION region, minus
    blank lines, `# HINT:` lines (shown to students on purpose) and lines that also appear
    outside the regions of some solution (public code such as a helper's `return`)."""
    inside: dict[str, str] = {}
    outside: set[str] = set()
    for path in sorted((ROOT / "solutions").glob("ex*.py")):
        in_region = False
        for number, line in enumerate(path.read_text().splitlines(), 1):
            s = line.strip()
            if s == BEGIN:
                in_region = True
            elif s == END:
                in_region = False
            elif in_region:
                if s and not s.startswith("# HINT:"):
                    inside.setdefault(s, f"{path.name}:{number}")
            else:
                outside.add(s)
    return {s: where for s, where in inside.items() if s not in outside}


def text_lines(path: Path) -> list[str]:
    """The stripped lines of a text file; of a notebook, the lines of its cells' sources."""
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text())
        lines = []
        for cell in nb.get("cells", []):
            src = cell.get("source", "")
            src = "".join(src) if isinstance(src, list) else src
            lines.extend(src.splitlines())
        return [ln.strip() for ln in lines]
    try:
        return [ln.strip() for ln in path.read_text().splitlines()]
    except UnicodeDecodeError:
        return []


def leaks(folder: Path) -> list[str]:
    """'file: line (from solutions/x.py:n)' for every solution line found under folder."""
    secret = solution_lines()
    found = []
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        for line in text_lines(path):
            if line in secret:
                found.append(f"{path.relative_to(folder)}: {line!r} (from {secret[line]})")
    return found


def distinctive(line: str) -> bool:
    """Whether a solution line gives away a computation on its own: at least 20 characters and
    an arithmetic or comparison operator. Idioms that any PyTorch code holds (`loss.backward()`,
    `for xi, yi in zip(x, y):`, `optimizer = torch.optim.SGD(model.parameters(), lr=lr)`) and
    the short formulas the docstrings state (`y_pred = x * w + b`) do not count."""
    import ast
    text = line.strip()
    if len(text) < 20:
        return False
    tree = None
    for candidate in (text, text + " pass", text.rstrip(":")):
        try:
            tree = ast.parse(candidate)
            break
        except SyntaxError:
            continue
    if tree is None:   # part of a longer statement: judge by its characters
        return any(op in text for op in ("*", "/", " + ", " - ", "@", " < ", " > ", "=="))
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and all(isinstance(op, (ast.Is, ast.IsNot, ast.In,
                                                                 ast.NotIn)) for op in node.ops):
            continue   # `if p.grad is not None:`
        if isinstance(node, (ast.BinOp, ast.Compare, ast.AugAssign)):
            return True
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return True
    return False
