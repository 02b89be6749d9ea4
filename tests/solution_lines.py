"""What must never reach students: the lines inside the solution regions of solutions/."""
from __future__ import annotations

import ast
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


def solution_blocks() -> dict[tuple[str, str], str]:
    """{(line, next line): 'file:line'} for every two solution lines (see solution_lines) that
    follow each other inside a solution region, blank and `# HINT:` lines skipped: a piece of an
    answer longer than one line, even when each line alone is an idiom."""
    secret = solution_lines()
    pairs: dict[tuple[str, str], str] = {}
    for path in sorted((ROOT / "solutions").glob("ex*.py")):
        in_region, previous = False, None
        for number, line in enumerate(path.read_text().splitlines(), 1):
            s = line.strip()
            if s in (BEGIN, END):
                in_region, previous = s == BEGIN, None
            elif in_region and s and not s.startswith("# HINT:"):
                if previous is not None and previous in secret and s in secret:
                    pairs.setdefault((previous, s), f"{path.name}:{number - 1}")
                previous = s
    return pairs


def kit_leaks(folder: Path) -> list[str]:
    """What of the references a folder (a student kit) holds, one line per finding. Anywhere
    outside grader/ (what students edit or read first: stubs, notebooks, README): any solution
    line. In the engine (grader/), where PyTorch idioms such as `loss.backward()` occur on their
    own: every solution line that is distinctive, and every two consecutive solution lines that
    also follow each other in a reference (a piece of an answer)."""
    secret, blocks = solution_lines(), solution_blocks()
    found = []
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        engine = rel.startswith("grader/")
        lines = [ln for ln in text_lines(path) if ln and not ln.startswith("#")]
        for line in lines:
            if line in secret and (not engine or distinctive(line)):
                found.append(f"{rel}: {line!r} (solutions/{secret[line]})")
        for pair in zip(lines, lines[1:]):
            if pair in blocks:
                found.append(f"{rel}: {pair[0]!r} then {pair[1]!r} "
                             f"(solutions/{blocks[pair]})")
    return found


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
    """Whether a solution line gives away a computation on its own: a model's layers or forward
    pass (`self.linear = nn.Linear(input_dim, output_dim)`, `return self.linear(x)`), or at
    least 20 characters and an arithmetic or comparison operator. Idioms that any PyTorch code
    holds (`loss.backward()`, `for xi, yi in zip(x, y):`,
    `optimizer = torch.optim.SGD(model.parameters(), lr=lr)`) and the short formulas the
    docstrings state (`y_pred = x * w + b`) do not count."""
    text = line.strip()
    if _model_code(text):
        return True
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


def _model_code(text: str) -> bool:
    """A line of a model's definition: it assigns a constructed object to an attribute of self
    (a layer, a parameter) or calls a submodule of self (a forward pass)."""
    try:
        tree = ast.parse(text.rstrip(":") + (" pass" if text.endswith(":") else ""))
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) \
                and any(_on_self(t) for t in node.targets):
            return True
        if isinstance(node, ast.Call) and _on_self(node.func):
            return True
    return False


def _on_self(node) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
        and node.value.id == "self"
