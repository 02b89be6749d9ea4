"""The house's shape (DESIGN.md, "Inside grader/: rooms by concern"): no module past about 450
lines, and no import circle between the grader's modules, imports inside functions counted."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRADER = ROOT / "grader"
MAX_LINES = 460


def _modules():
    for path in sorted(GRADER.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


def _imports(name: str, path: Path, known: set) -> set:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            bases = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            bases = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        for b in bases:
            while b and b not in known:
                b = b.rpartition(".")[0]
            if b and b != name and not name.startswith(b + "."):
                out.add(b)
    return out


def test_no_module_is_longer_than_a_room_can_hold():
    long = [f"{p.relative_to(ROOT)} ({n} lines)" for _name, p in _modules()
            if (n := len(p.read_text().splitlines())) > MAX_LINES]
    assert not long, "split by job: " + ", ".join(long)


def test_no_import_circle():
    modules = dict(_modules())
    known = set(modules)
    graph = {name: _imports(name, path, known) for name, path in modules.items()}
    circles, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                circles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [])
    assert not circles, "import circles: " + "; ".join(" -> ".join(c) for c in circles[:10])
