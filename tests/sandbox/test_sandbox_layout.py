"""The sandbox's rooms (grader/sandbox/): what runs inside the worker imports nothing of the
trusted side, read from its source and seen in a running worker; every layer names the code
that applies it."""
from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path

import pytest

from grader.sandbox import Submission
from grader.sandbox.layers import LAYERS

ROOT = Path(__file__).resolve().parents[2]
INSIDE = ROOT / "grader" / "sandbox" / "inside"

# What code inside the worker may import, besides the standard library: the inert frames, the
# device helpers, the data sets' places (leaves both sides may import) and what is under
# inside/ (the probes run in the worker with the student's module).
ALLOWED = ("torch", "numpy", "grader.sandbox.protocol", "grader.sandbox.remote",
           "grader.sandbox.readback", "grader.sandbox.inside", "grader.sandbox.device",
           "grader.datasets")
# The trusted side: none of it may be imported or loaded inside the worker.
TRUSTED = ("grader.sandbox.launcher", "grader.sandbox.submission", "grader.sandbox.process",
           "grader.sandbox.workdir", "grader.sandbox.replies", "grader.sandbox.view",
           "grader.sandbox.layers", "grader.sandbox.staging", "grader.sandbox.files",
           "grader.sandbox.names", "grader.sandbox.tree", "grader.sandbox.zips",
           "grader.sandbox.limits", "grader.sandbox.memory", "grader.sandbox.apart",
           "grader.engine.runner", "grader.checks", "grader.instructor",
           "grader.exercises", "grader.engine.compare", "solutions", "pytest")


def _under(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _file_of(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imports(path: Path) -> list[tuple[str, int]]:
    """The modules a file imports (anywhere in it, functions included), with their lines: for
    `from a.b import c` both a.b and a.b.c (c may be a module)."""
    package = _module_name(path) if path.name == "__init__.py" else \
        _module_name(path).rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            out.append((base, node.lineno))
            out += [(f"{base}.{alias.name}", node.lineno) for alias in node.names
                    if _file_of(f"{base}.{alias.name}")]
    return out


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _worker_side() -> dict[str, list[tuple[str, int]]]:
    """Every module that runs in the worker because of grader/sandbox/inside/: its own files,
    the package __init__ files above them, and what they import inside grader.sandbox and
    grader itself (followed transitively); module name -> its imports."""
    todo = [_module_name(p) for p in sorted(INSIDE.rglob("*.py"))]
    seen: dict[str, list[tuple[str, int]]] = {}
    while todo:
        name = todo.pop()
        path = _file_of(name)
        if name in seen or path is None:
            continue
        seen[name] = _imports(path)
        for imported, _line in seen[name] + [(p, 0) for p in _parents(name)]:
            if imported == "grader" or _under(imported, ("grader.sandbox",)):
                todo += [imported] + _parents(imported)
    return seen


def test_inside_imports_nothing_trusted():
    side = _worker_side()
    assert {"grader.sandbox.inside.zygote", "grader.sandbox.inside.worker",
            "grader.sandbox.inside.confine", "grader.sandbox.inside.__main__",
            "grader.sandbox.protocol", "grader.sandbox", "grader"} <= set(side)
    wrong = []
    for module, imports in sorted(side.items()):
        for name, line in imports:
            top = name.split(".")[0]
            allowed = top in sys.stdlib_module_names or _under(name, ALLOWED) \
                or name in ("grader", "grader.sandbox", "__future__")
            if _under(name, TRUSTED) or not allowed:
                wrong.append(f"{module} (line {line}) imports {name}")
    assert not wrong, "\n".join(wrong)


def test_the_check_sees_a_trusted_import(tmp_path, monkeypatch):
    """The source check above is not blind: a trusted import in a file inside is found."""
    planted = tmp_path / "grader" / "sandbox" / "inside"
    planted.mkdir(parents=True)
    for name in ("zygote.py", "worker.py", "confine.py", "__main__.py", "__init__.py"):
        (planted / name).write_text((INSIDE / name).read_text())
    (planted / "worker.py").write_text((INSIDE / "worker.py").read_text()
                                       + "\n\ndef f():\n    from grader.engine.runner import grade\n")
    for path in ("grader/__init__.py", "grader/sandbox/__init__.py", "grader/sandbox/protocol.py",
                 "grader/sandbox/remote.py"):
        (tmp_path / path).write_text((ROOT / path).read_text())
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "INSIDE", planted)
    with pytest.raises(AssertionError, match="grader.sandbox.inside.worker .* imports "
                                             "grader.engine.runner"):
        test_inside_imports_nothing_trusted()


def _loaded_by_probes() -> set[str]:
    """grader modules the probes import (they run in the worker), followed transitively."""
    todo = [_module_name(p) for p in sorted((ROOT / "grader" / "probes").glob("*.py"))]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        path = _file_of(name)
        if name in seen or path is None:
            continue
        seen.add(name)
        todo += [n for n, _line in _imports(path) if _under(n, ("grader",))]
    return seen


SYS_MODULES = '''
import sys


def forward_wb(x, w, b):
    return sorted(sys.modules)
'''


ZYGOTE_IMPORTS = """
import json, sys
from grader.sandbox.inside.zygote import preload
import grader.sandbox.inside.worker
preload()
print(json.dumps(sorted(sys.modules)))
"""


def test_a_worker_loads_nothing_trusted(zygote, tmp_path):
    """What a worker inherits (the zygote's imports, made before it forks) holds none of the
    trusted side, and of the grader only what runs inside; and a running worker's sys.modules
    holds none of the grader's modules at all (they are held apart from the submission)."""
    import json
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-c", ZYGOTE_IMPORTS], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert "grader.sandbox.inside.zygote" in loaded and "grader.sandbox.protocol" in loaded
    assert not [name for name in loaded if _under(name, TRUSTED)]
    expected = _loaded_by_probes() | {"grader", "grader.sandbox"}
    assert not [name for name in loaded if _under(name, ("grader",))
                and not _under(name, ALLOWED) and name not in expected]
    (tmp_path / "ex01_linear_model.py").write_text(SYS_MODULES)
    with Submission(tmp_path, zygote) as sub:
        in_worker = sub.call("ex01.forward_wb", 1.0, 2.0, 3.0)
    assert "torch" in in_worker
    assert not [name for name in in_worker if _under(name, ("grader",))]


@pytest.mark.parametrize("layer", LAYERS, ids=lambda layer: layer.name)
def test_each_layer_names_the_code_that_applies_it(layer):
    assert layer.applied_by
    for dotted in layer.applied_by:
        module, _, attr = dotted.rpartition(".")
        owner = importlib.import_module(module) if _file_of(module) else None
        if owner is None:  # a method: grader.sandbox.launcher.Zygote.new_uid
            module, _, cls = module.rpartition(".")
            owner = getattr(importlib.import_module(module), cls)
        assert callable(getattr(owner, attr, None)), dotted


def test_the_package_names_what_it_always_named():
    """grader.sandbox's names (loaded from their rooms when first used) all resolve."""
    import grader.sandbox
    for name in grader.sandbox.__all__:
        assert getattr(grader.sandbox, name) is not None, name
    assert grader.sandbox.Zygote.__module__ == "grader.sandbox.launcher"
    assert grader.sandbox.bwrap_command.__module__ == "grader.sandbox.view"
    with pytest.raises(AttributeError):
        grader.sandbox.no_such_name  # noqa: B018
