"""Staging (grader/sandbox/staging.py): every entry point reads a submission's files the same way, and
links, FIFOs, folders named like files, odd names and malformed notebooks cost only their own
exercise, with a note, through each of them:

  - `submission`: grade_submission / Submission on a folder (the engine's API),
  - `cli`: `grade FOLDER --json --html` through grader.cli.main,
  - `gradescope`: grader.instructor.gradescope.run on ROOT/submission, laid out as Gradescope does,
  - `class`: grade_class on one class folder holding every case as a folder and as a zip.

Every verdict: the attacked exercise (ex01) scores at most what honest work gets (0 unless
the file is the student's own regular file), an honest ex04 next to it still gets full marks,
nothing crashes or hangs, the note names the entry (escaped), and no secret reaches any output:
report text, JSON, HTML, the gradebook's rows, the CSV, the files staged for the worker. The
secrets are a random token in a root-only file (mode 0600) outside the submission, a random
token in the grader's environment, and the grader's own /proc/self/environ entries (a value put
into os.environ after a process started is not in its /proc/self/environ, so the entries that
are there are looked for too). About a minute.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import sqlite3
import stat
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import grader.sandbox
from grader.sandbox import staging, zips
from grader.exercises import module_of
from grader.engine.runner import grade_submission
from grader.sandbox import Limits, Submission

from tests.conftest import lend_zygote

ROOT = Path(__file__).resolve().parents[2]
EX01, EX01_NB, EX04 = "ex01_linear_model.py", "ex01_linear_model.ipynb", "ex04_backprop.py"
REF01 = (ROOT / "solutions" / EX01).read_bytes()
REF04 = (ROOT / "solutions" / EX04).read_bytes()
EXERCISES = ["ex01", "ex04"]
LIMITS = Limits(call_seconds=5, import_seconds=5, submission_seconds=120)
HONEST = (EX04, "file", REF04)       # next to every attack: still graded, full marks
FILE_TOKEN = "secret_" + secrets.token_hex(12)    # a valid name: a NameError would show it
ENV_TOKEN = "envtoken_" + secrets.token_hex(12)
HUNG_AFTER = 240                     # seconds one test may take before it counts as hung


def notebook(cells) -> bytes:
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                       "nbformat_minor": 5}).encode()


def code(source) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": source}


@dataclass
class Case:
    """entries: (name, kind, payload) with kind file (bytes), link (target), fifo, dir or
    hardlink (a file outside to link to); names may be bytes (not UTF-8). zip: the members of
    its zip form when they differ; None: no zip form. root: "link" (the submission itself is a
    link to a folder holding `entries`), or bytes (the submission's own name)."""

    entries: list
    says: tuple = ()               # in the notes, every entry point
    ex01_full: bool = False        # the student's own regular file: full marks
    companion: bool = True         # an honest ex04 in the submission
    zip: list | None = field(default_factory=list)
    root: object = None
    class_says: tuple = ()         # in the notes of the class run only
    entry_points: tuple = ("submission", "cli", "gradescope", "class")


LINK_SAYS = ("'ex01_linear_model.py'", "symbolic link")
NOT_A_NOTEBOOK = ("'ex01_linear_model.ipynb'", "not a valid notebook")
CASES = {
    # links, whatever they point to, are never followed
    "exercise_file_links_to_solution": Case([(EX01, "link", str(ROOT / "solutions" / EX01)),
                                             HONEST], LINK_SAYS),
    "only_subfolder_links_to_solutions": Case(
        [("work", "link", str(ROOT / "solutions"))], ("'work'", "symbolic link"),
        companion=False,   # a zip that unpacks a link, then a file "through" it
        zip=[("work", "link", str(ROOT / "solutions")), ("work/" + EX01, "file", REF01)]),
    "link_to_root_only_file": Case([(EX01, "link", "{secret_file}"), HONEST], LINK_SAYS),
    "link_to_proc_self_environ": Case([(EX01, "link", "/proc/self/environ"), HONEST],
                                      LINK_SAYS),
    "submission_itself_is_a_link": Case([(EX01, "file", REF01), HONEST], ("symbolic link",),
                                        root="link", companion=False, zip=None),
    # what is not a regular file
    "fifo_named_like_the_exercise": Case([(EX01, "fifo", None), HONEST],
                                         ("'ex01_linear_model.py'", "FIFO")),
    "folder_named_like_the_exercise": Case([(EX01, "dir", None), (EX01 + "/notes.txt", "file",
                                                                 b"my notes"), HONEST],
                                           ("'ex01_linear_model.py'", "a folder, not a file")),
    # A hard link is a regular file: its bytes are copied like any other file's (it is the
    # student's own file; a hard link to the references would need write access to their
    # file system and is not something a student can hand in).
    "hard_link_to_own_file": Case([(EX01, "hardlink", "{own_copy}"), HONEST], ex01_full=True),
    # names
    "odd_names": Case([(b"ex01_linear_model\xff.py", "file", REF01),
                       ("ex01_\x1b[2J.py", "file", REF01),
                       ("ex01_" + "a" * 200 + ".py", "file", REF01),
                       (b"\xfe\xfd.txt", "file", b"x"), HONEST],
                      ("'ex01_linear_model\\xff.py'", "not valid UTF-8",
                       "'ex01_\\x1b[2J.py'", "control", "longer than 128")),
    "submission_name_not_utf8": Case([(EX01, "file", REF01), HONEST], ex01_full=True,
                                     root=b"\xff", class_says=("not valid UTF-8", "'\\xff"),
                                     entry_points=("submission", "cli", "class")),
    # malformed notebooks
    "notebook_cells_not_a_list": Case([(EX01_NB, "file", json.dumps(
        {"cells": {"0": code("x = 1")}}).encode()), HONEST], NOT_A_NOTEBOOK + ("not a list",)),
    "notebook_source_a_number": Case([(EX01_NB, "file", notebook([code(5)])), HONEST],
                                     NOT_A_NOTEBOOK + ("int, not text",)),
    "notebook_source_a_dict": Case([(EX01_NB, "file", notebook([code({"a": 1})])), HONEST],
                                   NOT_A_NOTEBOOK + ("dict, not text",)),
    "notebook_json_nested_100000_deep": Case([(EX01_NB, "file", b'{"cells": [' + b"[" * 100_000
                                               + b"]" * 100_000 + b"]}"), HONEST],
                                             NOT_A_NOTEBOOK + ("nested too deeply",)),
    "notebook_invalid_json": Case([(EX01_NB, "file", b'{"cells": [}'), HONEST], NOT_A_NOTEBOOK),
    "notebook_empty_file": Case([(EX01_NB, "file", b""), HONEST], NOT_A_NOTEBOOK + ("empty",)),
    "notebook_huge": Case([(EX01_NB, "file", notebook([{"cell_type": "markdown", "metadata": {},
                                                        "source": "x" * (21 << 20)}])), HONEST],
                          ("'ex01_linear_model.ipynb'", "larger than 20 MB")),
    "notebook_not_utf8": Case([(EX01_NB, "file", b'{"cells": [{"cell_type": "code", '
                                                 b'"source": "x = \xff"}]}'), HONEST],
                              NOT_A_NOTEBOOK + ("not UTF-8",)),
}


# ----------------------------------------------------------------------------------------------
# building submissions

def _fs(path) -> bytes:
    return os.fsencode(path)


def _at(folder: Path, name) -> Path:
    return Path(os.fsdecode(_fs(folder) + b"/" + (name if isinstance(name, bytes)
                                                   else name.encode())))


def _payload(payload, ctx):
    return payload.format(**ctx) if isinstance(payload, str) else payload


def build_folder(folder: Path, case: Case, ctx) -> Path:
    """Write the case as a folder at `folder` (or a link there, to a folder holding it);
    returns the path to hand to the grader."""
    real = folder
    if case.root == "link":
        real = folder.parent.parent / f"link-target-{secrets.token_hex(4)}"   # (outside)
    real.mkdir(parents=True)
    for name, kind, payload in case.entries:
        path = _at(real, name)
        if kind == "file":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(payload)
        elif kind == "link":
            os.symlink(_payload(payload, ctx), path)
        elif kind == "fifo":
            os.mkfifo(path)
        elif kind == "dir":
            path.mkdir()
        elif kind == "hardlink":
            os.link(_payload(payload, ctx), path)
    if case.root == "link":
        folder.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(real, folder)
    return folder


def build_zip(path: Path, case: Case, ctx):
    """The case as a zip: links and FIFOs as members of that type, names that are not UTF-8
    as raw bytes (flag bit 11 clear)."""
    patches = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, kind, payload in case.zip or case.entries:
            if isinstance(name, bytes):
                placeholder = bytes(b if b < 0x80 else 0x3F for b in name)  # '?'
                patches.append((placeholder, name))
                name = placeholder.decode("ascii")
            info = zipfile.ZipInfo(name + ("/" if kind == "dir" else ""))
            data = b""
            if kind == "file":
                info.external_attr, data = (stat.S_IFREG | 0o644) << 16, payload
            elif kind == "link":
                info.external_attr, data = (stat.S_IFLNK | 0o777) << 16, \
                    _payload(payload, ctx).encode()
            elif kind == "fifo":
                info.external_attr = (stat.S_IFIFO | 0o644) << 16
            elif kind == "dir":
                info.external_attr = (stat.S_IFDIR | 0o755) << 16
            elif kind == "hardlink":
                info.external_attr, data = (stat.S_IFREG | 0o644) << 16, \
                    Path(_payload(payload, ctx)).read_bytes()
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    raw = path.read_bytes()
    for placeholder, name in patches:
        assert raw.count(placeholder) == 2            # the local header and the directory
        raw = raw.replace(placeholder, name)
    path.write_bytes(raw)


def _root_name(case: Case, default: str):
    return os.fsdecode(case.root) if isinstance(case.root, bytes) else default


# ----------------------------------------------------------------------------------------------
# what an entry point gave back

@dataclass
class Outcome:
    scores: dict          # exercise -> (score, max)
    notes: list
    texts: list           # every output, as text
    errors: list = field(default_factory=list)


def _from_result(result) -> dict:
    return {ex: tuple(v) for ex, v in result.by_exercise().items()}


def _from_json(data: dict) -> dict:
    scores: dict = {}
    for t in data["tests"]:
        if t.get("tags"):
            s, m = scores.get(t["tags"][0], (0.0, 0.0))
            scores[t["tags"][0]] = (s + t["score"], m + t["max_score"])
    return scores


def _read_all(folder: Path) -> str:
    out = []
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            out.append(Path(dirpath, name).read_bytes().decode("utf-8", "surrogateescape"))
    return "\n".join(out)


def via_submission(folder: Path, ctx) -> Outcome:
    from grader.classroom.feedback import render_page
    from grader.engine.report import gradescope_json, score_table
    result = grade_submission(folder, ctx["zygote"], exercises=EXERCISES, seed=3, limits=LIMITS)
    with Submission(folder, ctx["zygote"], LIMITS) as sub:   # what the worker is given
        staged = _read_all(sub.workdir)
        assert sub.notes == result.notes[:len(sub.notes)]
    texts = [score_table(result), json.dumps(gradescope_json(result)), render_page(result),
             staged]
    return Outcome(_from_result(result), list(result.notes), texts, list(result.errors))


def via_cli(folder: Path, ctx) -> Outcome:
    from grader.cli import main
    out = ctx["tmp"] / "cli-out"
    out.mkdir()
    rc = main(["grade", str(folder), "--exercises", ",".join(EXERCISES), "--seed", "3",
               "--json", str(out / "results.json"), "--html", str(out / "page.html")])
    printed = ctx["capsys"].readouterr()
    assert rc == 0, printed.err
    data = json.loads((out / "results.json").read_text())
    texts = [printed.out, printed.err, (out / "results.json").read_text(),
             (out / "page.html").read_text()]
    return Outcome(_from_json(data), [t["output"] for t in data["tests"] if t["name"] == "note"],
                   texts, [line for line in printed.out.splitlines()
                           if line.startswith("grader error")])


def via_gradescope(folder: Path, ctx) -> Outcome:
    from grader.instructor.gradescope import run
    from grader.engine.request import GradeRequest
    root = folder.parent
    data = run(root, GradeRequest(exercises=EXERCISES))
    printed = ctx["capsys"].readouterr()
    written = (root / "results" / "results.json").read_text()
    assert json.loads(written) == json.loads(json.dumps(data))
    errors = [data["output"]] if data["output"].startswith("The autograder could not") else []
    return Outcome(_from_json(data), [t["output"] for t in data["tests"] if t["name"] == "note"],
                   [printed.out, printed.err, written], errors)


# ----------------------------------------------------------------------------------------------
# fixtures

@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """The secrets: a root-only file holding a token, a token in the grader's environment,
    the grader's own /proc/self/environ entries; and a regular file outside to hard-link to."""
    outside = tmp_path_factory.mktemp("outside")
    secret = outside / "secret.txt"
    secret.write_text(f"{FILE_TOKEN}\n")      # imported as a module: a NameError naming it
    os.chmod(secret, 0o600)
    own = outside / "own_copy.py"
    own.write_bytes(REF01)
    old = os.environ.get("GRADER_TEST_SECRET")
    os.environ["GRADER_TEST_SECRET"] = ENV_TOKEN
    with open("/proc/self/environ", "rb") as f:
        entries = [e.decode("utf-8", "replace") for e in f.read().split(b"\0")]
    environ = [e for e in entries if "=" in e and len(e) >= 20]
    assert environ, "no entry of /proc/self/environ to look for"
    yield {"ctx": {"secret_file": str(secret), "own_copy": str(own)},
           "secrets": [FILE_TOKEN, ENV_TOKEN] + environ}
    if old is None:
        os.environ.pop("GRADER_TEST_SECRET", None)
    else:
        os.environ["GRADER_TEST_SECRET"] = old


@pytest.fixture(autouse=True)
def not_hung():
    """A FIFO opened for reading waits for a writer: a test that takes this long hung."""
    def hung(*_):
        raise TimeoutError(f"hung for {HUNG_AFTER} s")
    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(HUNG_AFTER)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _class_name(case_name: str, case: Case, zipped: bool) -> str:
    if isinstance(case.root, bytes):
        return os.fsdecode(case.root) + (".zip" if zipped else "")
    return case_name + ("-zip.zip" if zipped else "")


@pytest.fixture(scope="module")
def class_run(tmp_path_factory, planted):
    """Every case as a student of one class: a folder, and a zip (where the case has one);
    graded once with grade_class; everything it wrote, read back."""
    from grader.classroom.run import class_entries, gather, grade_class
    from grader.classroom.gradebook import Gradebook
    signal.alarm(HUNG_AFTER * 2)
    tmp = tmp_path_factory.mktemp("class")
    folder = tmp / "submissions"
    folder.mkdir()
    students: dict = {}   # (case, zipped) -> path in the class folder
    for name, case in CASES.items():
        if "class" not in case.entry_points:
            continue
        path = folder / _class_name(name, case, False)
        if isinstance(case.root, bytes):
            build_zip(Path(str(path) + ".zip"), case, planted["ctx"])
            students[(name, True)] = Path(str(path) + ".zip")
            continue
        students[(name, False)] = build_folder(path, case, planted["ctx"])
        if case.zip is not None:
            zpath = folder / _class_name(name, case, True)
            build_zip(zpath, case, planted["ctx"])
            students[(name, True)] = zpath
    listed = dict((p, s) for s, p in class_entries(folder))
    assert set(listed) == set(students.values())
    gathered = {}
    for key, path in students.items():   # what the gatherer copies for the grading process
        entry = gather(listed[path], path, tmp / "gathered" / f"{len(gathered)}")
        gathered[key] = (entry, _read_all(entry.folder) if entry.folder else "")
    db, html = tmp / "gradebook.db", tmp / "html"
    run = grade_class(folder, db=db, jobs=1, seed=3, exercises=EXERCISES, html_dir=html,
                      progress=False)
    with Gradebook(db) as book:
        book.export_csv(tmp / "grades.csv")
        results = {key: book.result(listed[path]) for key, path in students.items()}
        notes = {key: book.notes(listed[path]) for key, path in students.items()}
    con = sqlite3.connect(db)
    rows = []
    for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        rows += [repr(row) for row in con.execute(f"SELECT * FROM {table}")]
    con.close()
    texts = ["\n".join(rows), (tmp / "grades.csv").read_text(), _read_all(html), run.line(),
             "\n".join(run.notes)]
    signal.alarm(0)
    return {"run": run, "results": results, "notes": notes, "texts": texts,
            "gathered": gathered, "listed": listed, "students": students}


# ----------------------------------------------------------------------------------------------
# the verdicts

def check(outcome: Outcome, case: Case, secrets_: list, says=()):
    for i, text in enumerate(outcome.texts):
        for secret in secrets_:
            if secret in text:
                pytest.fail(f"output {i} holds a secret: {secret[:30]}...")
        if "\x1b" in text:
            pytest.fail(f"output {i} holds a raw terminal escape")
    assert not outcome.errors, outcome.errors
    ex01, ex01_max = outcome.scores.get("ex01", (0.0, 0.0))
    ex04, ex04_max = outcome.scores.get("ex04", (0.0, 0.0))
    if case.ex01_full:
        assert ex01 == ex01_max > 0
    else:
        assert ex01 == 0, "points for a file that was not handed in as a regular file"
    if case.companion:
        assert ex04 == ex04_max > 0, "the honest exercise next to it was not graded"
    else:
        assert ex04 == 0
    notes = "\n".join(outcome.notes)
    for text in tuple(case.says) + tuple(says):
        assert text in notes, (text, outcome.notes)


# the class cases share one class run (the class_run fixture): kept on one process when the
# suite runs in parallel (pytest -n ... --dist loadgroup), so that it is built once
PARAMS = [pytest.param(name, entry, id=f"{name}-{entry}",
                       marks=[pytest.mark.xdist_group("class_run")] if entry == "class" else [])
          for name, case in CASES.items() for entry in case.entry_points]


@pytest.mark.parametrize("name,entry", PARAMS)
def test_every_entry_point_stages_alike(name, entry, tmp_path, zygote, planted, capsys,
                                        monkeypatch, request):
    case = CASES[name]
    if entry == "class":
        run = request.getfixturevalue("class_run")
        for zipped in (False, True):
            key = (name, zipped)
            if key not in run["students"]:
                continue
            result = run["results"][key]
            assert result is not None, f"no gradebook row for {key}"
            entry_, gathered = run["gathered"][key]
            outcome = Outcome(_from_result(result), run["notes"][key],
                              run["texts"] + [gathered], list(result.errors))
            if case.root == "link":    # refused as a whole: an error, zero points
                assert result.score == 0 and "symbolic link" in entry_.error
                outcome.errors = []
            check(outcome, case, planted["secrets"], case.class_says)
            # what is not a regular file, too large or oddly named is not even copied (a
            # malformed notebook is: it costs its exercise when it is read as a notebook)
            if not case.ex01_full and (not name.startswith("notebook_") or "huge" in name):
                assert EX01 not in entry_.files and EX01_NB not in entry_.files
        return
    lend_zygote(monkeypatch, zygote)
    ctx = {"zygote": zygote, "tmp": tmp_path, "capsys": capsys}
    if entry == "gradescope":
        folder = build_folder(tmp_path / "autograder" / "submission", case, planted["ctx"])
    else:
        folder = build_folder(tmp_path / _root_name(case, "sub"), case, planted["ctx"])
    outcome = {"submission": via_submission, "cli": via_cli,
               "gradescope": via_gradescope}[entry](folder, ctx)
    check(outcome, case, planted["secrets"])


@pytest.mark.xdist_group("class_run")
def test_the_class_run_graded_everyone(class_run):
    """One student's odd entry stops no one: every student has a row and a page."""
    run = class_run["run"]
    assert run.total == run.graded == len(class_run["students"])
    assert all(r is not None for r in class_run["results"].values())
    unreadable = [k for k, r in class_run["results"].items() if r.errors]
    assert unreadable == [("submission_itself_is_a_link", False)]


# ----------------------------------------------------------------------------------------------
# the staging function itself

def test_a_refused_file_becomes_a_module_that_raises_with_the_note(tmp_path):
    (tmp_path / "sub").mkdir()
    os.symlink(ROOT / "solutions" / EX01, tmp_path / "sub" / EX01)
    (tmp_path / "sub" / EX04).write_bytes(REF04)
    work = tmp_path / "work"
    work.mkdir()
    notes: list = []
    modules = staging.stage_submission(tmp_path / "sub", work, notes)
    assert modules == {module_of("ex01"): EX01, module_of("ex04"): EX04}
    assert (work / EX04).read_bytes() == REF04
    assert notes == ["left out 'ex01_linear_model.py': " + staging.LINK]
    scope: dict = {}
    with pytest.raises(ImportError) as err:
        exec((work / EX01).read_text(), scope)
    assert str(err.value) == notes[0]
    assert grader.sandbox.stage_submission is staging.stage_submission


def test_reading_never_follows_a_link_or_opens_what_is_not_a_file(tmp_path):
    (tmp_path / "real.py").write_bytes(b"x = 1\n")
    os.symlink(tmp_path / "real.py", tmp_path / "link.py")
    os.symlink("/proc/self/environ", tmp_path / "environ.py")
    os.mkfifo(tmp_path / "fifo.py")
    assert staging.read_file(tmp_path / "real.py") == b"x = 1\n"
    for name, says in (("link.py", "symbolic link"), ("environ.py", "symbolic link"),
                       ("fifo.py", "FIFO")):
        with pytest.raises(staging.Refused, match=says):
            staging.read_file(tmp_path / name)
    with pytest.raises(staging.Refused, match="device"):
        staging.read_file("/dev/zero")
    with pytest.raises(staging.Refused, match="size and its contents differ"):
        staging.read_file("/proc/self/environ")    # reached by its real path: size 0, data
    (tmp_path / "big.py").write_bytes(b"#" * 11)
    with pytest.raises(staging.Refused, match="larger than 10 bytes"):
        staging.read_file(tmp_path / "big.py", cap=10)


def test_caps_refuse_a_file_and_a_submission_too_large(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / EX01).write_bytes(b"#" * 100)
    (sub / EX04).write_bytes(b"#" * 10)
    found = staging.collect(sub, max_file=50, max_total=1000)
    assert list(found.files) == ["ex04"] and "larger than 50 bytes" in found.refused["ex01"][1]
    with pytest.raises(staging.Refused, match="add up to more than 105 bytes"):
        staging.collect(sub, max_file=1000, max_total=105)


# a folder her exercise files lie beside, that sorts before them and holds many entries (a
# fresh round's 30, 31, 38: 0/18, "no file ex01_linear_model.py"); every name is listed
BIG_BESIDE = {"a data set at the top": ("data", ""),
              "a virtual environment's packages": ("env/lib/python3.11/site-packages", ""),
              "a data set beside the work folder": ("project/a_data", "project/work/")}


@pytest.mark.parametrize("how", BIG_BESIDE)
def test_a_big_folder_beside_the_exercise_files_does_not_hide_them(tmp_path, how):
    big, home = BIG_BESIDE[how]
    sub = tmp_path / "sub"
    (sub / big).mkdir(parents=True)
    for i in range(2005):
        (sub / big / f"f{i:05d}.csv").write_bytes(b"")
    for i in range(6):
        (sub / big / f"sub{i:02d}").mkdir()
        for j in range(2001):
            (sub / big / f"sub{i:02d}" / f"g{j:05d}.csv").write_bytes(b"")
    (sub / home).mkdir(parents=True, exist_ok=True)
    (sub / home / EX01).write_bytes(REF01)
    found = staging.collect(sub)
    assert list(found.files) == ["ex01"] and not found.all_notes(), found.all_notes()


@pytest.mark.parametrize("key", ["cell_type", "\\u0063ell_type"])
def test_a_notebook_of_too_many_cells_is_not_read(tmp_path, key):
    """250 000 empty cells, 17 MB, under the file cap, cost the grading process 1.1 GB and a
    minute (a fresh round's 34): past MAX_CELLS a notebook is refused with a note, counted
    before it is parsed (and after, for a key spelled with escapes)."""
    from grader.sandbox.notebooks import MAX_CELLS
    sub = tmp_path / "sub"
    sub.mkdir()
    cell = '{"%s": "code", "metadata": {}, "source": "x = 1", "outputs": [], ' \
        '"execution_count": null}' % key
    (sub / EX01_NB).write_text('{"cells": [%s], "metadata": {}, "nbformat": 4, '
                               '"nbformat_minor": 5}' % ", ".join([cell] * (MAX_CELLS + 1)))
    (sub / EX04).write_bytes(REF04)
    work = tmp_path / "work"
    work.mkdir()
    notes = []
    staging.stage_submission(sub, work, notes)
    assert any(f"it has {MAX_CELLS + 1} cells (at most {MAX_CELLS})" in n for n in notes), notes
    assert b"at most" in (work / f"{module_of('ex01')}.py").read_bytes()


def test_names_are_shown_escaped():
    assert staging.shown("../evil.sh") == "'../evil.sh'"
    assert staging.shown(os.fsdecode(b"a\xffb")) == "'a\\xffb'"
    assert staging.shown("a\x1b[2Jb\u202e") == "'a\\x1b[2Jb\\u202e'"
    assert len(staging.shown("x" * 500)) == 82
    assert staging.name_problem("ex01_linear_model.py") == ""
    assert staging.safe_label(os.fsdecode(b"\xff")) == "\\xff"
    long_a, long_b = staging.safe_label("\x01" + "a" * 300), staging.safe_label("\x01" + "b" * 300)
    assert long_a != long_b and len(long_a) < 80


def test_the_zip_name_rules(tmp_path):
    """Flag bit 11 clear: UTF-8 bytes (what most tools write) are read as such; other bytes
    are refused. A member below a link member is refused whatever the order."""
    z = tmp_path / "s.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("caf??/" + EX04, REF04)            # patched to UTF-8 bytes, flag clear
        zf.writestr("w/" + EX01, REF01)
        info = zipfile.ZipInfo("w")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/")
    z.write_bytes(z.read_bytes().replace(b"caf??", "café".encode()))
    found = staging.collect(z)
    assert list(found.files) == ["ex04"]
    assert found.refused["ex01"][1] == f"left out 'w/{EX01}': inside a folder that is a " \
                                       f"symbolic link"


def test_class_entries_file_odd_names_escaped_and_keep_links(tmp_path):
    from grader.classroom.run import class_entries
    (tmp_path / "alice").mkdir()
    os.symlink(tmp_path / "alice", tmp_path / "bob")
    with open(_fs(tmp_path) + b"/\xff.zip", "wb") as f:
        f.write(b"PK")
    (tmp_path / "carol\x1b[2J").mkdir()
    names = [s for s, _ in class_entries(tmp_path)]
    assert names[1:3] == ["alice", "bob"]                      # bob: a link, listed (refused)
    odd = [names[0], names[3]]
    assert [n.split("~")[0] for n in odd] == ["\\xff", "carol\\x1b[2J"]   # filed escaped
    assert all(n.isprintable() and n.isascii() for n in names)


def test_one_file_or_a_zip_is_a_submission_too(tmp_path):
    """`grade alice/ex01_linear_model.py` and `grade alice.zip` stage through the same rules."""
    (tmp_path / EX01).write_bytes(REF01)
    os.symlink(tmp_path / EX01, tmp_path / "ex04_backprop.py")
    with zipfile.ZipFile(tmp_path / "alice.zip", "w") as zf:
        zf.writestr("alice/" + EX04, REF04)
    for source, modules, notes_say in (
            (EX01, {module_of("ex01"): EX01}, ""),
            ("ex04_backprop.py", {}, "symbolic link"),
            ("alice.zip", {module_of("ex04"): EX04}, "")):
        work = tmp_path / f"work-{source}"
        work.mkdir()
        notes: list = []
        assert staging.stage_submission(tmp_path / source, work, notes) == modules
        assert notes_say in " ".join(notes) and bool(notes) == bool(notes_say)


def test_a_zip_holding_one_name_twice_grades_neither_copy(tmp_path):
    """Unzip tools keep the last copy of a repeated name, zipfile reads the first: what the
    instructor opens would differ from what is graded, so neither is graded, with a note."""
    import warnings
    z = tmp_path / "s.zip"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        with zipfile.ZipFile(z, "w") as zf:
            zf.writestr(EX01, REF01)
            zf.writestr(EX01, REF01.replace(b"return x * w", b"return 2 * x * w"))
            zf.writestr(EX04, REF04)
    found = staging.collect(z)
    assert list(found.files) == ["ex04"]
    assert "2 members of this name" in found.refused["ex01"][1]


# ----------------------------------------------------------------------------------------------
# a zip over the caps: refused before zipfile reads its central directory

_CENTRAL = struct.Struct("<4s6H3L5H2L")


def _directory_only_zip(entries: int, declared: int | None = None, zip64: bool = False) -> bytes:
    """A zip that is only a central directory of `entries` headers (no member can be read)
    and its end record, which declares `declared` entries (zip64's record too, if asked)."""
    cd = b"".join(_CENTRAL.pack(b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0)
                  + b"%08d" % i for i in range(entries))
    n = entries if declared is None else declared
    if zip64:
        return cd + struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, n, n, len(cd), 0) \
            + struct.pack("<4sLQL", b"PK\x06\x07", 0, len(cd), 1) \
            + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF,
                          0xFFFFFFFF, 0)
    return cd + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, min(n, 0xFFFF), min(n, 0xFFFF),
                            len(cd), 0, 0)


@pytest.mark.parametrize("reader", ["zipfile's", "own"])
def test_a_zip_over_the_caps_is_refused_before_zipfile_reads_it(tmp_path, monkeypatch, reader):
    """A 47 MB zip of a million entries cost the class run's parent 380 MB and 6 s in
    zipfile, outside any time limit, before the entry cap was checked. Its end record (zip64's
    too) and its directory, walked header by header, are checked first (the count it declares
    can lie): zipfile never sees a zip over the caps, in `grade` and grade-class alike, and the
    refusal costs little memory. `own`: the end record read without zipfile's private reader."""
    import tracemalloc
    from grader.classroom.run import gather
    if reader == "own":
        monkeypatch.setattr(zips, "_zipfile_end_reader", lambda: None)
    cap = staging.MAX_ZIP_ENTRIES
    cases = {
        "many.zip": (_directory_only_zip(cap + 1, zip64=cap >= 0xFFFF),   # (a plain end
                     f"declares {cap + 1} entries"),          # record counts up to 65 535)
        "lying.zip": (_directory_only_zip(cap + 1, declared=1), f"holds more than {cap}"),
        "zip64.zip": (_directory_only_zip(3, declared=10**12, zip64=True), "declares 10000000"),
        "huge.zip": (_directory_only_zip(200_000, declared=1), "list of entries is larger than"),
    }
    for name, (data, _) in cases.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "fine.zip").write_bytes(_directory_only_zip(cap, zip64=True))
    parsed = []
    real = zipfile.ZipFile
    monkeypatch.setattr(zipfile, "ZipFile", lambda *a, **k: parsed.append(a) or real(*a, **k))
    for name, (_, says) in cases.items():
        tracemalloc.start()
        with pytest.raises(staging.Refused, match=says):
            staging.collect(tmp_path / name)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 2 * staging.MAX_ZIP_DIRECTORY_BYTES, (name, peak)
        entry = gather("mallory", tmp_path / name, tmp_path / "out" / name)   # grade-class
        assert says in entry.error and entry.folder is None
        notes: list = []                                                      # `grade`
        assert staging.stage_submission(tmp_path / name, tmp_path, notes) == {}
        assert says in notes[0]
    assert parsed == [], "zipfile parsed a zip over the caps"
    assert staging.collect(tmp_path / "fine.zip").files == {} and len(parsed) == 1
    with real(tmp_path / "commented.zip", "w") as zf:       # an end record behind a comment
        zf.comment = b"c" * 5000
        zf.writestr("alice/" + EX04, REF04)
    assert list(staging.collect(tmp_path / "commented.zip").files) == ["ex04"]
    monkeypatch.setattr(zips, "MAX_ZIP_BYTES", 1000)
    with pytest.raises(staging.Refused, match="the zip is larger than 1000 bytes"):
        staging.collect(tmp_path / "many.zip")


def _notebook(source: str) -> str:
    import json as _json
    return _json.dumps({"cells": [{"cell_type": "code", "source": source, "metadata": {},
                                   "outputs": [], "execution_count": None}],
                        "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


@pytest.mark.parametrize("py, notebook, graded", [
    ("stub", "solution", "notebooks/ex02_gradient_descent.ipynb"),
    ("solution", "stub", "exercises/ex02_gradient_descent.py"),
    ("stub", "stub", "exercises/ex02_gradient_descent.py"),
    ("started", "solution", "exercises/ex02_gradient_descent.py"),
])
def test_a_stub_not_started_never_counts_over_the_work(tmp_path, py, notebook, graded):
    """The whole kit handed in, the exercise done in its notebook: the stub .py beside it, as
    handed out, is not the work (the seventh attack round's F26: 0/24, 'a .py before a
    notebook'). A stub with one function written is the student's, and counts by the rule."""
    from grader.sandbox.staging import collect
    root = Path(__file__).resolve().parents[2]
    stub = (root / "exercises" / "ex02_gradient_descent.py").read_text()
    texts = {"stub": stub, "solution": (root / "solutions" / "ex02_gradient_descent.py").read_text(),
             "started": stub.replace('    raise NotImplementedError("ex02.cost: not started")',
                                     "    return 0.0", 1)}
    assert texts["started"] != stub
    kit = tmp_path / "mykit"
    (kit / "exercises").mkdir(parents=True)
    (kit / "notebooks").mkdir()
    (kit / "exercises" / "ex02_gradient_descent.py").write_text(texts[py])
    (kit / "notebooks" / "ex02_gradient_descent.ipynb").write_text(_notebook(texts[notebook]))
    found = collect(kit)
    assert found.files["ex02"][0] == Path(graded).name
    other = ({"exercises/ex02_gradient_descent.py", "notebooks/ex02_gradient_descent.ipynb"}
             - {graded}).pop()
    said = [n for n in found.all_notes() if other in n]
    assert said and ("stub, not started" in said[0]) == ({py, notebook} == {"stub", "solution"})


NEAR_NAMES = ["ex02_gradient_descent (1).py", "ex02_gradient_descent copy.py",
              "ex02_gradient_descent .py", "ex02_gradient_descent_old.py",
              "ex02_gradient_descent-v2.py", "ex02.py"]


@pytest.mark.parametrize("form", ["folder", "zip, exact first", "zip, exact last"])
@pytest.mark.parametrize("exact, near", [
    *[("ex02_gradient_descent.py", n) for n in NEAR_NAMES],          # sorted before and after
    ("ex02_gradient_descent.ipynb", "ex02_gradient_descent (1).py"),   # a notebook of its name
    ("ex02_gradient_descent.ipynb", "ex02_gradient_descent_old.py"),
    ("work/ex02_gradient_descent.py", "work/ex02_gradient_descent (1).py"),   # in a subfolder
    ("work/ex02_gradient_descent.py", "ex02_gradient_descent copy.py"),   # the copy nearer the top
    ("a/b/ex02_gradient_descent.ipynb", "ex02_gradient_descent-v2.py"),
])
def test_the_exercise_s_own_name_counts_over_a_near_name(tmp_path, form, exact, near):
    """The right ex02_gradient_descent.py handed in beside a stale copy of a near name (what a
    browser or a file manager names a second download or a copy, or an old version kept): the
    file of the exercise's own name is graded, wherever each lies and however the names sort,
    and the copy is noted as not graded. A near name is graded only where no own name is."""
    files = {exact: b"WHICH = 'exact'\n", near: b"WHICH = 'near'\n"}
    if form == "folder":
        source = tmp_path / "alice"
        for name, data in files.items():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            (source / name).write_bytes(data)
    else:
        source = tmp_path / "alice.zip"
        order = [exact, near] if form.endswith("first") else [near, exact]
        with zipfile.ZipFile(source, "w") as zf:
            for name in order:
                zf.writestr(name, files[name])
    found = staging.collect(source)
    assert found.files["ex02"] == (Path(exact).name, files[exact])
    assert found.all_notes() == [
        f"{staging.shown(near)} was not graded: {staging.shown(exact)} counts for ex02 (the file "
        f"named ex02_gradient_descent.py or .ipynb counts before any other name)"]
    if form == "folder":                  # no own name: the near name, as before, with its note
        (source / exact).unlink()
        found = staging.collect(source)
        assert found.files["ex02"] == (Path(near).name, files[near])
        assert found.all_notes() == [staging.name_note(tuple(near.split("/")), "ex02",
                                                       Path(near).name)]
