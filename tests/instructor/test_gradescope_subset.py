"""A Gradescope archive built for some exercises holds what grading them needs and nothing of
any other exercise (deny by default): by its listing (no other reference, check, recorded value,
mutant, hint; no cache, build/, egg-info, notebook, README, instructor's command, class run) and
by content (no other exercise's function body in any of its files); and its grader grades the
exercises it was built for fully (every check, hidden ones too) and refuses any other."""
from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader.exercises import EXERCISES
from grader.instructor.gradescope import build_archive, chosen_exercises

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("test_gradescope_subset")]

ALL = tuple(chosen_exercises())
# every exercise alone, an assignment of two, two whose checks import modules of others, and
# the whole course (its archive too holds no cache, mutant, README or instructor's command)
SUBSETS = [(ex,) for ex in ALL] + [("ex01", "ex02"), ("ex07", "ex10")]
SUBSETS = [s for s in SUBSETS if set(s) <= set(ALL)] + [ALL]
PKG = "torchdrills/"
# of the instructor's folder, what runs inside the archive
INSTRUCTOR = {"grader/instructor/__init__.py", "grader/instructor/gradescope.py",
              "grader/instructor/gradescope_files.py"}
# no path of the archive holds one of these parts
NEVER = re.compile(r"(^|/)(__pycache__|build|dist|tests|exercises|source_notebooks|demo_class|"
                   r"classroom|cli|nbkernel|\.[^/]+)(/|$)|\.pyc$|\.egg-info|\.dist-info|"
                   r"\.ipynb$|(^|/)README|(^|/)pyproject\.toml$|(^|/)demo[^/]*\.py$")
SHORTEST = 20   # a body shorter than this (`return x * w`) may well be written elsewhere


def _name(subset) -> str:
    return "all" if subset == ALL else "+".join(subset)


@pytest.fixture(scope="module")
def archives(tmp_path_factory):
    folder = tmp_path_factory.mktemp("subsets")
    out = {}
    for subset in SUBSETS:
        path = folder / f"{_name(subset)}.zip"
        assert build_archive(path, list(subset)) == list(subset)
        out[subset] = path
    return out


def _listing(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist() if not n.endswith("/")}


def _folder(rel: str) -> str | None:
    parts = rel.split("/")
    if rel.startswith("grader/checks/") and len(parts) > 3:
        return parts[2]
    return None


@pytest.mark.parametrize("subset", SUBSETS, ids=_name)
def test_the_archive_lists_nothing_of_another_exercise(archives, subset):
    files = _listing(archives[subset])
    own = {EXERCISES[ex] for ex in subset}
    assert {n.split("/")[0] for n in files} == {"setup.sh", "run_autograder", "torchdrills"}
    assert f"--exercises {','.join(subset)}\n" in files["run_autograder"].decode()
    rel = {n[len(PKG):]: data for n, data in files.items() if n.startswith(PKG)}
    bad = [n for n in rel if NEVER.search(n)]
    assert not bad, bad
    assert {n for n in rel if n.startswith("grader/instructor/")} <= INSTRUCTOR
    assert {n for n in rel if n.startswith("solutions/")} == \
        {"solutions/__init__.py"} | {f"solutions/{m}.py" for m in own}
    # an exercise of the subset: its folder, without the wrong programs grading never runs
    for m in own:
        assert f"grader/checks/{m}/private/test_hidden.py" in rel
        assert f"grader/checks/{m}/ships/test_visible.py" in rel
        assert f"grader/checks/{m}/private/mutants.py" not in rel
    # another exercise: only modules the subset's checks import, never its checks, recorded
    # values, hints or mutants, and no ships/ folder (so the archive's grader does not know it)
    own_text = "\n".join(data.decode() for n, data in rel.items()
                         if _folder(n) in own or (_folder(n) and n.endswith(".py")))
    for n in rel:
        folder = _folder(n)
        if folder is None or folder in own:
            continue
        assert folder in EXERCISES.values(), n
        assert n.endswith(".py") and "/ships/" not in n and "/test_" not in n and \
            not n.endswith("/mutants.py"), n
        if not n.endswith("/__init__.py"):
            module = n.removesuffix(".py").replace("/", ".")
            assert re.search(rf"(from|import)\s+{re.escape(module)}\b", own_text), n
    # the data sets: those the subset's references or checks name
    named = "\n".join(data.decode() for n, data in rel.items()
                      if n.startswith("solutions/") or _folder(n))
    for n in rel:
        if n.startswith("grader/data/"):
            assert n.split("/")[-1] in named, n


def _bodies(text: str) -> tuple[set[str], set[str]]:
    """The function bodies of a Python text, docstrings left out: as ast.unparse writes them,
    and as written (comments dropped, white space made single spaces)."""
    lines = text.splitlines()
    unparsed, written = set(), set()
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        body = node.body
        if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and \
                isinstance(body[0].value.value, str):
            body = body[1:]
        if not body:
            continue
        unparsed.add(ast.unparse(ast.Module(body=body, type_ignores=[])))
        written.add(_flat("\n".join(lines[body[0].lineno - 1:body[-1].end_lineno])))
    return unparsed, written


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", "\n".join(line.split("#")[0] for line in text.splitlines())).strip()


@pytest.mark.parametrize("subset", SUBSETS, ids=_name)
def test_no_other_exercise_s_answer_is_in_any_file(archives, subset):
    """Each other exercise's function bodies (those none of the subset's references also
    has), searched in every file of the archive: as code (a function of the same body, however
    laid out) and as text (anywhere, in any file)."""
    files = _listing(archives[subset])
    texts = {n: _flat(data.decode("utf-8", "replace")) for n, data in files.items()}
    code = {}
    for n, data in files.items():
        if n.endswith(".py"):
            try:
                code[n] = _bodies(data.decode())[0]
            except SyntaxError:
                code[n] = set()
    refs = {ex: (ROOT / "solutions" / f"{EXERCISES[ex]}.py").read_text() for ex in ALL}
    own_unparsed, own_written = set(), set()
    for ex in subset:
        u, _ = _bodies(refs[ex])
        own_unparsed |= u
        own_written.add(_flat(refs[ex]))
    found = []
    for ex in ALL:
        if ex in subset:
            continue
        unparsed, written = _bodies(refs[ex])
        for body in unparsed - own_unparsed:
            found += [(ex, body[:60], n) for n, bodies in code.items() if body in bodies]
        for body in written:
            if len(body) >= SHORTEST and not any(body in t for t in own_written):
                found += [(ex, body[:60], n) for n, t in texts.items() if body in t]
    assert not found, found[:10]


def _unpack(archive: Path, root: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(root / "source")
    (root / "submission").mkdir(parents=True)
    for name, text in files.items():
        (root / "submission" / name).write_text(text)
    return root


def _run(root: Path, *extra: str) -> tuple[subprocess.CompletedProcess, dict]:
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
    env.pop("PYTHONPATH", None)   # the archive's own copy of the package does the grading
    if extra:
        command = [sys.executable, "-m", "grader.instructor.gradescope", "run", "--root",
                   str(root), *extra]
        proc = subprocess.run(command, env=env, cwd=root / "source" / "torchdrills",
                              capture_output=True, text=True, timeout=600)
    else:
        proc = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env,
                              capture_output=True, text=True, timeout=600)
    return proc, json.loads((root / "results" / "results.json").read_text())


def _reference(ex: str) -> str:
    return (ROOT / "solutions" / f"{EXERCISES[ex]}.py").read_text()


# the archives that differ in what they carry besides the exercise's own folder: none (ex01),
# a data set (ex09), another exercise's module and a data set (ex08, ex10), two exercises (the
# other archives are built by the same code from the same import closure, which the tests
# above read for every subset)
RUN = [("ex01",), ("ex08",), ("ex09",), ("ex10",), ("ex07", "ex10")]


@pytest.mark.parametrize("subset", [s for s in RUN if set(s) <= set(ALL)], ids=_name)
def test_the_references_get_full_marks_inside_the_archive(archives, subset, tmp_path):
    """Every check of the exercises it was built for runs (hidden ones too) and passes, with
    nothing of the other exercises in the archive."""
    root = _unpack(archives[subset], tmp_path / "autograder",
                   {f"{EXERCISES[ex]}.py": _reference(ex) for ex in subset})
    proc, data = _run(root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    graded = [t for t in data["tests"] if t.get("tags")]
    assert graded, data.get("output", data)
    assert {t["tags"][0] for t in graded} == set(subset)
    assert {t["visibility"] for t in graded} == {"visible", "after_published"}  # hidden ran
    got, most = sum(t["score"] for t in graded), sum(t["max_score"] for t in graded)
    assert most > 0 and got == pytest.approx(most), \
        [(t["name"], t["output"][:200]) for t in graded if t["score"] < t["max_score"]]


def test_a_later_exercise_handed_in_is_not_graded(archives, tmp_path):
    files = {f"{EXERCISES[ex]}.py": _reference(ex) for ex in ("ex01", "ex02", "ex03")}
    root = _unpack(archives[("ex01", "ex02")], tmp_path / "autograder", files)
    proc, data = _run(root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    graded = [t for t in data["tests"] if t.get("tags")]
    assert {t["tags"][0] for t in graded} == {"ex01", "ex02"}
    assert sum(t["score"] for t in graded) == sum(t["max_score"] for t in graded) > 0


@pytest.mark.parametrize("asked", ["ex03", "ex01,ex12", "all"])
def test_an_exercise_it_was_not_built_for_is_refused_clearly(archives, asked, tmp_path):
    root = _unpack(archives[("ex01", "ex02")], tmp_path / "autograder",
                   {f"{EXERCISES[ex]}.py": _reference(ex) for ex in ALL})
    proc, data = _run(root, "--exercises", asked)
    if asked == "all":     # every exercise of this archive: ex01 and ex02, and no other
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert {t["tags"][0] for t in data["tests"] if t.get("tags")} == {"ex01", "ex02"}
        return
    assert proc.returncode == 2
    assert data["tests"] == [] and data["score"] == 0
    assert "built for ex01, ex02 only" in data["output"]
    assert "built for ex01, ex02 only" in proc.stderr
    assert "Traceback" not in proc.stderr
