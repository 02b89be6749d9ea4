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


def _readme_rooms() -> dict[str, str]:
    """README's 'Where things live', an entry per room: its folder ('grader/engine/') and the
    text that describes it, over as many lines as it takes."""
    import re
    readme = (ROOT / "README.md").read_text()
    listing = readme[readme.index("## Where things live"):].split("```")[1]
    rooms: dict[str, str] = {}
    for line in listing.splitlines():
        if (start := re.match(r"(grader/\S*)\s", line)):
            room = start.group(1)
            rooms[room] = line[start.end():]
        elif rooms:
            rooms[room] += "\n" + line
    return rooms


def _is_listed(folder: str, rooms: dict) -> bool:
    """A folder with an entry of its own ('grader/sandbox/inside/'), or one that the pattern
    of an entry stands for ('grader/checks/exNN_name/': every exercise's folder)."""
    import re
    return any(folder == room or (re.fullmatch(room.replace("exNN_name", r"ex\d\d_\w+"), folder)
                                  and "exNN_name" in room) for room in rooms)


def test_the_readme_names_every_module_of_every_room():
    """A newcomer finds each room's modules in README's 'Where things live': every package of
    grader/ (and grader/ itself) has an entry, and each entry names every module and folder
    of its room (a folder with an entry of its own is named there)."""
    import re
    rooms = _readme_rooms()
    packages = {f"grader/{p.name}/" for p in GRADER.iterdir() if (p / "__init__.py").is_file()}
    assert {"grader/engine/", "grader/classroom/", "grader/sandbox/"} <= packages
    assert not packages - set(rooms), f"README has no entry for {packages - set(rooms)}"
    assert "grader/" in rooms and "grader/sandbox/inside/" in rooms
    missing = {}
    for room, text in rooms.items():
        named = set(re.findall(r"\w+", text))
        folders = sorted(ROOT.glob(room.replace("exNN_name", "ex[0-9][0-9]_*")))
        assert folders, f"README's entry {room} stands for no folder"
        for folder in folders:
            parts = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"} | {
                p.name for p in folder.iterdir() if p.is_dir() and p.name != "__pycache__"
                and not _is_listed(f"{folder.relative_to(ROOT).as_posix()}/{p.name}/", rooms)}
            if parts - named:
                missing[f"{folder.relative_to(ROOT).as_posix()}/"] = sorted(parts - named)
    assert not missing, f"README's 'Where things live' does not name {missing}"
