"""The student starter kit (`python -m grader release DEST`): everything `python -m grader check`
needs, nothing of the references or the hidden checks, and it runs on its own."""
from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.instructor.build import regions
from grader.cli import main
from grader.exercises import EXERCISES, check_module, expected_file, folder
from grader.instructor.release import released_exercises
from solution_lines import distinctive, kit_leaks, solution_lines, text_lines

ROOT = Path(__file__).resolve().parents[2]
CHECKS = ROOT / "grader" / "checks"
PRIVATE = sorted(CHECKS.glob("ex*/private"))   # what never ships, of every exercise


def _env():
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)   # the kit must run on its own, not on this checkout
    return env


def _check(folder: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", "check", *args], cwd=folder,
                          env=_env(), capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    pytest.importorskip("nbgrader", reason="the kit's notebooks are released by nbgrader")
    dest = tmp_path_factory.mktemp("release") / "kit"
    assert main(["release", str(dest)]) == 0
    return dest


@pytest.fixture(scope="module")
def chosen(kit):
    """The exercises in the kit: every one with a reference."""
    found = sorted(p.name[:4] for p in (kit / "exercises").glob("ex*.py"))
    assert "ex01" in found and set(found) <= set(released_exercises())
    return found


pytestmark = pytest.mark.slow


def test_kit_holds_stubs_notebooks_visible_checks_and_data(kit, chosen):
    for ex in chosen:
        module = EXERCISES[ex]
        stub = (kit / "exercises" / f"{module}.py").read_text()
        assert f'raise NotImplementedError("{ex}.' in stub
        shipped = kit / "grader" / "checks" / module / "ships"
        ours = sorted(p.relative_to(folder(ex) / "ships").as_posix()
                      for p in (folder(ex) / "ships").rglob("*") if p.is_file()
                      and "__pycache__" not in p.parts)
        assert sorted(p.relative_to(shipped).as_posix() for p in shipped.rglob("*")
                      if p.is_file()) == ours      # ships/, whole
        assert "test_visible.py" in ours
        nb = json.loads((kit / "notebooks" / f"{module}.ipynb").read_text())
        sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
        assert any("YOUR CODE HERE" in s for s in sources)
        assert any(f"run_checks({ex!r}" in s for s in sources)
    for name in ("conftest.py", "pytest.ini"):
        assert (kit / "grader" / "checks" / name).exists()
    for csv in (ROOT / "grader" / "data").glob("*.csv"):
        assert (kit / "grader" / "data" / csv.name).read_bytes() == csv.read_bytes()
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((kit / "pyproject.toml").read_text())["project"]
    assert any(d.startswith("torch") for d in project["dependencies"])
    assert "torch" in (kit / "requirements.txt").read_text()
    readme = (kit / "README.md").read_text()
    assert "python -m grader check" in readme and f"exercises/{EXERCISES['ex01']}.py" in readme


def test_kit_holds_the_data_sets_at_its_root(kit, chosen, monkeypatch):
    """The docstrings' examples run from the kit's root: each data set the exercises load is
    there, the README says so, and the reference's load_csv("diabetes.csv") finds it."""
    from grader import datasets
    readme = (kit / "README.md").read_text()
    for name in datasets.FILES:
        assert (kit / name).read_bytes() == datasets.path(name).read_bytes()
        assert f"`{name}`" in readme
    spec = importlib.util.spec_from_file_location(
        "ex08_reference", ROOT / "solutions" / f"{EXERCISES['ex08']}.py")
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    monkeypatch.chdir(kit)
    x, y = reference.load_csv("diabetes.csv")
    assert tuple(x.shape) == (759, 8) and tuple(y.shape) == (759, 1)


def test_kit_holds_no_reference_and_no_hidden_check(kit):
    files = [p for p in kit.rglob("*") if p.is_file()]
    names = {p.relative_to(kit).as_posix() for p in files}
    assert not any(n.startswith("solutions/") or "/private/" in n for n in names), names
    assert not [p for p in kit.rglob("private")], "a private/ folder is in the kit"
    assert not [p for p in kit.rglob("instructor")], "the instructor's folder is in the kit"
    assert not [p for p in kit.rglob("classroom")], "the class runs' folder is in the kit"
    instructor = {p.read_bytes() for p in (ROOT / "grader" / "instructor").glob("*.py")
                  if p.stat().st_size > 200}
    assert not [p for p in files if p.read_bytes() in instructor]
    secret = {p.read_bytes() for p in (ROOT / "solutions").glob("ex*.py")}
    secret |= {p.read_bytes() for d in PRIVATE for p in d.glob("*.py") if p.stat().st_size}
    assert not [p for p in files if p.read_bytes() in secret]
    for nb in (kit / "notebooks").glob("*.ipynb"):
        text = "\n".join(text_lines(nb))
        assert "BEGIN HIDDEN TESTS" not in text and "hidden=True" not in text, nb.name
        assert "BEGIN SOLUTION" not in text, nb.name


def test_kit_holds_no_solution_line(kit):
    """Every line inside a BEGIN/END SOLUTION region of solutions/ is looked for in the kit:
    anywhere in what students edit or read first (stubs, notebooks, README); in the engine, the
    lines that compute something or define a model, and every piece of two lines of an answer
    (PyTorch idioms such as `loss.backward()` occur there on their own). No exceptions."""
    assert len(solution_lines()) > 20
    found = kit_leaks(kit)
    assert not found, "solution lines in the kit:\n" + "\n".join(found)


def test_leak_search_finds_an_answer_in_the_engine(tmp_path):
    """The search of test_kit_holds_no_solution_line finds what it is for: a model class of a
    reference kept as a helper in the engine, a training loop kept in a check."""
    helper = tmp_path / "grader" / "probes" / "helper.py"
    helper.parent.mkdir(parents=True)
    helper.write_text("from torch import nn\n\n\nclass Mirror(nn.Module):\n"
                      "    def __init__(self, input_dim, output_dim):\n"
                      "        super().__init__()\n"
                      "        self.linear = nn.Linear(input_dim, output_dim)\n\n"
                      "    def forward(self, x):\n        return self.linear(x)\n")
    loop = tmp_path / "grader" / "checks" / "ex05_manual_regression" / "ships" / "test_loop.py"
    loop.parent.mkdir(parents=True)
    loop.write_text("def run(x, y, w, b, iters):\n    losses = []\n"
                    "    for _ in range(iters):\n        y_pred = x * w + b\n")
    found = kit_leaks(tmp_path)
    assert any("helper.py: 'self.linear = nn.Linear(input_dim, output_dim)'" in f
               for f in found), found
    assert any("helper.py: 'return self.linear(x)'" in f for f in found), found
    assert any("test_loop.py: 'for _ in range(iters):' then 'y_pred = x * w + b'" in f
               for f in found), found


def test_kit_holds_no_hidden_value(kit, chosen):
    """Nothing of the private side is in the kit: no file of an exercise's private/ folder (the
    hidden checks, the wrong programs, the trusted code that computes known wrong runs), by name
    or by content; no line of that trusted code that computes something; and no recorded value
    but those of the visible checks' own cases."""
    names = {p.relative_to(kit).as_posix() for p in kit.rglob("*") if p.is_file()}
    assert not [n for n in names if "/private/" in n], names
    private_files = [p for d in PRIVATE for p in d.rglob("*.py")]
    assert any(p.name == "variants.py" for p in private_files)
    private = {p.read_bytes() for p in private_files if p.stat().st_size}
    assert not [n for n in names if (kit / n).read_bytes() in private]
    trusted = {ln: p.relative_to(ROOT).as_posix()
               for p in private_files if p.name == "variants.py" for ln in text_lines(p)
               if ln and distinctive(ln)}
    assert len(trusted) > 20
    found = [f"{n}: {ln!r} ({trusted[ln]})" for n in sorted(names)
             for ln in text_lines(kit / n) if ln in trusted]
    assert not found, "trusted code in the kit:\n" + "\n".join(found)
    for ex in chosen:
        shipped = kit / "grader" / "checks" / EXERCISES[ex] / "ships" / "expected.json"
        if not shipped.exists():
            continue
        cases = importlib.import_module(check_module(ex, "visible")).CASES
        assert set(json.loads(shipped.read_text())) == set(cases), ex
        assert shipped.read_bytes() == expected_file(ex).read_bytes()


def test_check_runs_in_the_kit_on_the_stubs(kit, chosen):
    here = subprocess.run([sys.executable, "-c", "import grader; print(grader.__file__)"],
                          cwd=kit, env=_env(), capture_output=True, text=True)
    assert Path(here.stdout.strip()).resolve().is_relative_to(kit.resolve())
    proc = _check(kit)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    checked = [ex for ex in chosen if (kit / "grader" / "checks" / EXERCISES[ex] / "ships" /
                                       "test_visible.py").exists()]
    assert "ex01" in checked
    for ex in checked:
        assert f"{ex}: not started" in proc.stdout, proc.stdout
    reported = {line[:4] for line in proc.stdout.splitlines() if line[:2] == "ex"}
    assert reported == set(checked)     # the kit knows only the released exercises
    assert proc.stdout.strip().splitlines()[-1].startswith("0 of ")


def test_the_kit_shows_a_student_only_the_kits_verbs(kit):
    """The kit's command line offers check and grade; the instructor's verbs (class runs,
    build, release, Gradescope, the nbgrader kernel) stay with the instructor, with their code."""
    proc = subprocess.run([sys.executable, "-m", "grader", "--help"], cwd=kit, env=_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    verbs = proc.stdout.split("positional arguments:")[1].split("options:")[0]
    offered = {line.split()[0] for line in verbs.splitlines()
               if line.startswith("    ") and line.split()}
    assert offered == {"check", "grade"}, proc.stdout
    names = {p.relative_to(kit / "grader").as_posix() for p in (kit / "grader").rglob("*.py")}
    assert not {"cli/classroom.py", "cli/course.py"} & names
    # the kit holds no hidden check: its grade offers no hidden inputs' seed nor their messages
    grade = subprocess.run([sys.executable, "-m", "grader", "grade", "--help"], cwd=kit,
                           env=_env(), capture_output=True, text=True, timeout=120)
    assert grade.returncode == 0 and "--json" in grade.stdout, grade.stderr
    assert "--seed" not in grade.stdout and "--show-hidden" not in grade.stdout, grade.stdout
    here = subprocess.run([sys.executable, "-m", "grader", "grade", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert "--seed" in here.stdout and "--show-hidden" in here.stdout   # the instructor's


def test_check_passes_in_the_kit_filled_with_the_references(kit, chosen, tmp_path):
    filled = tmp_path / "kit"
    shutil.copytree(kit, filled)
    for ex in chosen:
        shutil.copyfile(ROOT / "solutions" / f"{EXERCISES[ex]}.py",
                        filled / "exercises" / f"{EXERCISES[ex]}.py")
    proc = _check(filled)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    passed, _, total = last.split(" visible")[0].partition(" of ")
    assert int(passed) == int(total) > 0, last


def test_release_of_some_exercises_without_notebooks(tmp_path, capsys):
    dest = tmp_path / "kit"
    assert main(["release", str(dest), "--exercises", "ex01", "--no-notebooks"]) == 0
    assert sorted(p.name for p in (dest / "exercises").glob("ex*.py")) == \
        [f"{EXERCISES['ex01']}.py"]
    assert not (dest / "notebooks").exists()
    # the kit's exercises are the folders it holds: ex01's, with its ships/ alone
    assert sorted(p.relative_to(dest / "grader" / "checks").as_posix()
                  for p in (dest / "grader" / "checks").glob("ex*/*")) == \
        [f"{EXERCISES['ex01']}/__init__.py", f"{EXERCISES['ex01']}/ships"]
    listing = subprocess.run([sys.executable, "-c", "from grader.exercises import EXERCISES; "
                              "print(EXERCISES)"], cwd=dest, env=_env(), capture_output=True,
                             text=True)
    assert listing.stdout.strip() == "{'ex01': 'ex01_linear_model'}", listing.stderr
    assert (dest / "grader" / "exercises.py").read_bytes() == \
        (ROOT / "grader" / "exercises.py").read_bytes()      # copied, not rewritten
    # a second release into the same folder is refused, not mixed in
    assert main(["release", str(dest)]) == 2
    assert "not empty" in capsys.readouterr().err


# ----------------------------------------------------------------------------------------------
# The worker holds no right answer: a submission that leaves one function or class unwritten and
# fills it from what the worker can import under grader.sandbox.inside.probes earns nothing more for it than
# leaving it unwritten.

DELEGATE = """
# --- {target}: not written; it delegates to what the worker can import under grader.sandbox.inside.probes ---
import importlib as _il
import pkgutil as _pkgutil
import sys as _sys

import torch as _torch

_MODES = ("correct", "right", "reference", "solution", "answer", "none", "", None)
_BUSY = []


def _me():
    return _sys.modules[__name__]


def _known(name, args, kwargs):
    \"\"\"The entry points that once returned a right answer (a mode that is not a known
    mistake fell through to the right computation; mirror models equal to the references).\"\"\"
    ex = {ex!r}
    if ex == "ex05" and name == "fit":
        from grader.sandbox.inside.probes.ex05 import fit_variant
        for mode in _MODES:
            r = fit_variant(_me(), *args, mode)
            return r["w"], r["b"], r["losses"]
    kinds = {{"ex06": "linear", "ex07": "logistic", "ex08": "deep"}}
    if ex in kinds and name in ("LinearRegression", "LogisticRegression",
                                "DeepBinaryClassifier"):
        from grader.sandbox.inside.probes.ex06 import mirror
        return mirror(kinds[ex], args)
    if ex in kinds and name in ("train", "train_step", "train_logistic", "train_full_batch"):
        from grader.sandbox.inside.probes.ex06 import train_variant
        if name == "train_step":
            model, _, optimizer, x, y = args
            lr, steps = optimizer.param_groups[0]["lr"], 1
        else:
            model, x, y, lr, steps = args[:5]
        linears = [m for m in model.modules() if isinstance(m, _torch.nn.Linear)]
        init = {{"linear": (linears[0].in_features, linears[0].out_features),
                "logistic": (linears[0].in_features,),
                "deep": (tuple([linears[0].in_features] + [m.out_features for m in linears]),)}}
        kind = kinds[ex]
        r = train_variant(None, kind, init[kind], model.state_dict(), x, y, lr, steps,
                          _MODES[0], loss="mse" if ex == "ex06" else "bce",
                          momentum=kwargs.get("momentum", 0.9 if ex == "ex07" else 0.0),
                          device=x.device)
        model.load_state_dict(r["state"])
        return r["losses"][0] if name == "train_step" else r["losses"]
    raise LookupError(name)


def _callables():
    import grader.sandbox.inside.probes as probes
    names = {{f"grader.sandbox.inside.probes.{{info.name}}" for info in _pkgutil.iter_modules(probes.__path__)}}
    names |= {{n for n in _sys.modules if n.startswith("grader.sandbox.inside.probes.")}}
    for module_name in sorted(names):
        module = _il.import_module(module_name)
        words = [k for v in vars(module).values() if isinstance(v, dict) for k in v
                 if isinstance(k, str)]
        for attr, fn in sorted(vars(module).items()):
            if not attr.startswith("_") and callable(fn) \\
                    and getattr(fn, "__module__", "").startswith("grader.sandbox.inside.probes"):
                yield fn, words


def _arguments(name, args, words):
    me = _me()
    yield args
    yield (me,) + args
    yield (me, name) + args
    for word in _MODES + tuple(words):
        yield args + (word,)
        yield (me,) + args + (word,)
        yield (word,) + args
        yield (word, args)
        yield (me, word) + args


def _unwrap(result, is_class):
    if is_class or not isinstance(result, dict):
        return result
    if "result" in result:
        return result["result"]
    if {{"w", "b", "losses"}} <= set(result):
        return result["w"], result["b"], result["losses"]
    return result.get("losses", result)


def _delegate(name, is_class):
    def run(*args, **kwargs):
        if _BUSY:   # a probe that calls the function being written: not an answer
            raise NotImplementedError(f"{{name}}: not started")
        _BUSY.append(name)
        try:
            try:
                return _known(name, args, kwargs)
            except Exception:
                pass
            for fn, words in _callables():
                for arguments in _arguments(name, args, words):
                    try:
                        result = fn(*arguments, **kwargs)
                    except Exception:
                        continue
                    if result is not None or not is_class:
                        return _unwrap(result, is_class)
            raise NotImplementedError(f"{{name}}: not started")
        finally:
            _BUSY.clear()
    return run


{target} = _delegate({target!r}, {is_class!r})
"""

UNWRITTEN = """
def _unwritten(*args, **kwargs):
    raise NotImplementedError("{ex}.{target}: not started")


{target} = _unwritten
"""


def _targets(ex):
    """The functions and classes a student writes in ex: [(name, is_class)]."""
    source = (ROOT / "solutions" / f"{EXERCISES[ex]}.py").read_text()
    owners = {r.owner.split(".")[0] for r in regions(source)}
    return [(node.name, isinstance(node, ast.ClassDef)) for node in ast.parse(source).body
            if getattr(node, "name", None) in owners]


@pytest.mark.parametrize("ex", sorted(EXERCISES))
def test_worker_holds_no_right_answer(grade, ex):
    """For each function or class of ex in turn: the reference with that one left unwritten and
    filled by delegating to grader.sandbox.inside.probes (the entry points that once answered, then every
    public callable there with the call's own arguments, with the probed module in front, with
    a mode or kind that is no known mistake) scores no more for it than leaving it unwritten."""
    if not (ROOT / "solutions" / f"{EXERCISES[ex]}.py").exists():
        pytest.skip(f"no reference for {ex}")
    gained = []
    for target, is_class in _targets(ex):
        delegated = grade(ex, DELEGATE.format(ex=ex, target=target, is_class=is_class),
                          targets={target})
        assert delegated.checks, f"{ex}.{target}: no check ran"
        if delegated.score == 0:
            continue
        unwritten = grade(ex, UNWRITTEN.format(ex=ex, target=target), targets={target})
        if delegated.score > unwritten.score:
            gained.append(f"{ex}.{target}: {delegated.score:g} points delegated to "
                          f"grader.sandbox.inside.probes, {unwritten.score:g} unwritten")
    assert not gained, "\n".join(gained)
