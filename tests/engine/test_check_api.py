"""The check-authoring API is one module, grader.checks.api: every check file takes what it needs
from the engine from there (and from its own exercise's folders), and no parameter of the API is
one that nothing reads."""
import ast
import inspect
import textwrap
from pathlib import Path

import pytest

import grader.checks.api as api
from grader.exercises import EXERCISES, folder

CHECKS = Path(api.__file__).resolve().parent
CHECK_FILES = sorted(p for ex in EXERCISES for p in folder(ex).rglob("*.py"))


def grader_imports(path: Path):
    """(line, module, names) of every import of the grader package in a file, at any depth."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("grader"):
            yield node.lineno, node.module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("grader"):
                    yield node.lineno, a.name, []


def test_there_are_check_files_to_hold_to_the_rule():
    assert len(CHECK_FILES) >= 4 * len(EXERCISES)


@pytest.mark.parametrize("path", CHECK_FILES, ids=lambda p: str(p.relative_to(CHECKS)))
def test_a_check_file_takes_the_engine_from_the_api_only(path):
    for line, module, names in grader_imports(path):
        where = f"{path.relative_to(CHECKS)}:{line}"
        if module == "grader.checks.api":
            unknown = [n for n in names if n not in api.__all__ and n not in api._TRUSTED]
            assert not unknown, f"{where}: {unknown} are not in grader.checks.api"
        else:
            exercise = module.split(".")[2] if module.startswith("grader.checks.ex") else None
            assert exercise in {folder(ex).name for ex in EXERCISES}, (
                f"{where}: imports {module}; a check file takes the engine from "
                f"grader.checks.api (and its exercise's own modules)")


def test_every_name_of_the_api_is_there():
    for name in api.__all__ + list(api._TRUSTED):
        assert getattr(api, name) is not None, name
    with pytest.raises(AttributeError):
        api.no_such_helper


def _functions():
    """Every function of the API defined in the package, and every method of its classes."""
    seen = set()
    for name in api.__all__:
        obj = getattr(api, name)
        if inspect.isclass(obj) and obj.__module__.startswith("grader"):
            for attr, member in vars(obj).items():
                if attr.startswith("_") or any(hasattr(base, attr) for base in obj.__mro__[1:]):
                    continue   # a protocol's or a base class's signature, not the API's choice
                if inspect.isfunction(member) and member.__qualname__.startswith(obj.__name__) \
                        and not member.__code__.co_filename.startswith("<"):   # dataclass-made
                    seen.add((f"{name}.{attr}", member))
        elif inspect.isfunction(obj) and obj.__module__.startswith("grader"):
            seen.add((name, obj))
    return sorted(seen, key=lambda item: item[0])


@pytest.mark.parametrize("name,fn", _functions(), ids=lambda v: v if isinstance(v, str) else "")
def test_no_parameter_of_the_api_goes_unused(name, fn):
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    definition = tree.body[0]
    args = definition.args
    params = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    params += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    read = {n.id for stmt in definition.body for n in ast.walk(stmt) if isinstance(n, ast.Name)}
    unused = [p for p in params if p not in read and p not in ("self", "cls")]
    assert not unused, f"{name}: parameters {unused} are never used"


def test_the_rule_catches_a_stray_import(tmp_path):
    stray = tmp_path / "test_stray.py"
    stray.write_text("from grader.engine.compare.close import assert_close\n")
    with pytest.raises(AssertionError, match="grader.checks.api"):
        for line, module, names in grader_imports(stray):
            assert module == "grader.checks.api", f"imports {module}; use grader.checks.api"
