"""grade-class: finding submissions (folders, zips, nbgrader's tree), parallel grading into the
gradebook, skipping what is already graded, surviving bad submissions and a kill -9."""
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from grader.classroom import entries, pool
from grader.classroom.entries import class_entries, gather
from grader.classroom.run import grade_class
from grader.classroom.gradebook import Gradebook
from tests.conftest import pinned_version

ROOT = Path(__file__).resolve().parents[2]
REF = (ROOT / "solutions" / "ex01_linear_model.py").read_text()
STUB = (ROOT / "exercises" / "ex01_linear_model.py").read_text()
EX01 = "ex01_linear_model.py"
MUTANT = REF + "\n\ndef forward(x, w):\n    return x + w\n"


@pytest.fixture(scope="module", autouse=True)
def pinned_grader_version():
    with pinned_version("classrun-test"):
        yield


def write(folder: Path, files: dict):
    for name, text in files.items():
        p = folder / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def make_zip(path: Path, members: dict):
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)


# ----------------------------------------------------------------------------------------------
# finding and gathering submissions (no grading)

def test_class_entries_folders_and_zips(tmp_path):
    write(tmp_path, {f"alice/{EX01}": REF, f"bob/{EX01}": REF, ".hidden/x.py": "",
                     "notes.txt": "not a submission"})
    make_zip(tmp_path / "carol.zip", {EX01: REF})
    make_zip(tmp_path / "bob.zip", {EX01: STUB})         # bob/ and bob.zip: both graded
    entries = class_entries(tmp_path)
    names = [s for s, _ in entries]
    assert names[0] == "alice" and names[-1] == "carol" and len(names) == 4
    bobs = {path.name: name for name, path in entries if path.name.startswith("bob")}
    assert bobs["bob"].startswith("bob~") and bobs["bob.zip"].startswith("bob.zip~")


def test_nbgrader_tree_merges_a_students_assignments(tmp_path):
    course = tmp_path / "course"
    write(course, {"submitted/alice/ex01_linear_model/ex01_linear_model.ipynb": "{}",
                   "submitted/alice/ex02_gradient_descent/ex02_gradient_descent.ipynb": "{}",
                   "submitted/alice/ex02_gradient_descent/.ipynb_checkpoints/"
                   "ex02_gradient_descent-checkpoint.ipynb": "old",
                   "submitted/bob/ex01_linear_model/ex01_linear_model.ipynb": "{}",
                   "source/ex01_linear_model/ex01_linear_model.ipynb": "{}"})
    entries = class_entries(course)
    assert [s for s, _ in entries] == ["alice", "bob"]
    alice = gather("alice", dict(entries)["alice"], tmp_path / "out")
    assert sorted(alice.files) == ["ex01_linear_model.ipynb", "ex02_gradient_descent.ipynb"]
    assert (alice.folder / "ex02_gradient_descent.ipynb").read_text() == "{}"


def test_gather_prefers_the_shallowest_file_and_skips_links(tmp_path):
    write(tmp_path, {f"alice/{EX01}": REF, f"alice/old/{EX01}": STUB,
                     "alice/wrapper/ex02_gradient_descent.py": "x = 2\n"})
    os.symlink("/etc/passwd", tmp_path / "alice" / "ex03_autograd_basics.py")
    entry = gather("alice", tmp_path / "alice", tmp_path / "out")
    assert sorted(entry.files) == [EX01, "ex02_gradient_descent.py"]
    assert (entry.folder / EX01).read_text() == REF


def test_zip_and_folder_with_the_same_files_hash_alike(tmp_path):
    write(tmp_path, {f"alice/{EX01}": REF})
    make_zip(tmp_path / "bob.zip", {f"bob/{EX01}": REF, "__MACOSX/._x": "junk"})
    make_zip(tmp_path / "carol.zip", {EX01: REF + "# one more line\n"})
    a = gather("alice", tmp_path / "alice", tmp_path / "a")
    b = gather("bob", tmp_path / "bob.zip", tmp_path / "b")
    c = gather("carol", tmp_path / "carol.zip", tmp_path / "c")
    assert a.content_hash == b.content_hash != c.content_hash
    assert (b.folder / EX01).read_text() == REF


def test_zip_paths_outside_the_submission_are_left_out(tmp_path):
    make_zip(tmp_path / "eve.zip", {f"../{EX01}": "import os\n", "/tmp/ex02_gradient_descent.py":
                                    "x = 1\n", f"eve/../../{EX01}": "y = 2\n",
                                    "ex03_autograd_basics.py": "z = 3\n"})
    info = zipfile.ZipInfo("ex04_backprop.py")
    info.external_attr = 0o120777 << 16                     # a symbolic link
    with zipfile.ZipFile(tmp_path / "eve.zip", "a") as zf:
        zf.writestr(info, "/etc/passwd")
    entry = gather("eve", tmp_path / "eve.zip", tmp_path / "out")
    assert entry.files == ["ex03_autograd_basics.py"]
    assert len(entry.problems) == 4
    assert all("left out" in p for p in entry.problems)
    assert sorted(os.listdir(tmp_path / "out")) == ["ex03_autograd_basics.py"]
    assert not (tmp_path / EX01).exists()


def test_zip_size_caps(tmp_path, monkeypatch):
    monkeypatch.setattr(entries, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(entries, "MAX_TOTAL_BYTES", 1500)
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(EX01, "0" * 5_000_000)                  # 5 MB that compress to 5 KB
        zf.writestr("ex02_gradient_descent.py", "x = 1\n")
    entry = gather("bomb", tmp_path / "bomb.zip", tmp_path / "out")
    assert entry.files == ["ex02_gradient_descent.py"]
    assert "larger than" in entry.problems[0]
    assert os.path.getsize(tmp_path / "out" / "ex02_gradient_descent.py") == 6
    make_zip(tmp_path / "many.zip", {"ex01_a.py": "1" * 900, "ex02_b.py": "2" * 900})
    many = gather("many", tmp_path / "many.zip", tmp_path / "out2")
    assert "more than" in many.error and many.folder is None


def test_a_corrupt_zip_is_an_error_not_a_crash(tmp_path):
    (tmp_path / "dan.zip").write_bytes(b"PK\x03\x04 this is not a zip")
    entry = gather("dan", tmp_path / "dan.zip", tmp_path / "out")
    assert entry.error.startswith("could not read dan.zip")
    assert entry.folder is None and len(entry.content_hash) == 32


# ----------------------------------------------------------------------------------------------
# grading a class

@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """A class of ex01 submissions of every kind, graded once with 2 jobs."""
    tmp = tmp_path_factory.mktemp("class")
    folder = tmp / "submissions"
    write(folder, {
        f"ada/{EX01}": REF,
        f"ben/{EX01}": STUB,
        f"cleo/{EX01}": MUTANT,
        f"finn/{EX01}": "import sys\nsys.exit('bye')\n",
        "gus/ex01_linear_model/ex01_linear_model.py": REF,  # an assignment folder
        "ivy/readme.txt": "I forgot my file",
    })
    make_zip(folder / "dan.zip", {f"dan/{EX01}": REF})
    make_zip(folder / "hal.zip", {EX01: REF, "../evil.sh": "rm -rf ~"})
    (folder / "eve.zip").write_bytes(b"not a zip at all")
    db = tmp / "gradebook.db"
    started = time.perf_counter()
    run = grade_class(folder, db=db, jobs=2, seed=11, exercises=["ex01"],
                      html_dir=tmp / "html", progress=False)
    return {"run": run, "db": db, "folder": folder, "tmp": tmp,
            "seconds": time.perf_counter() - started}


def test_every_kind_of_submission_gets_its_grade(graded_class):
    run = graded_class["run"]
    assert run.total == run.graded == 9 and run.skipped == 0
    with Gradebook(graded_class["db"]) as book:
        exercises, rows, maxes = book.table()
        totals = {name: total for name, _, total in rows}
        res = book.results()
    full = maxes["ex01"]
    assert full > 0
    assert totals["ada"] == totals["dan"] == totals["gus"] == totals["hal"] == full
    assert run.notes == ["eve: could not read eve.zip: File is not a zip file",
                         "hal: left out '../evil.sh': a path outside the submission"]
    assert totals["ben"] == 0
    assert all(c.status == "not started" for c in res["ben"].checks if c.counted)
    assert 0 < totals["cleo"] < full
    assert {c.target for c in res["cleo"].checks if c.status == "failed"} >= {"forward"}
    assert totals["finn"] == 0 and "sys.exit" in " ".join(c.message for c in res["finn"].checks)
    assert totals["ivy"] == 0 and res["ivy"].missing_files == [EX01]
    assert totals["eve"] == 0 and "could not read eve.zip" in res["eve"].errors[0]
    assert run.failed == 1                                   # eve
    assert graded_class["seconds"] < 60


def test_a_grader_that_hangs_costs_one_submission_only(tmp_path, monkeypatch):
    """The wall limit of one submission: here the trusted side itself hangs on zed's."""
    import grader.engine.runner
    if pool.start_method("cpu") != "fork":
        pytest.skip("the hang is planted by a monkeypatch that only forked grading processes "
                    "inherit; here they are spawned (a GPU is present)")
    real = grader.engine.runner.grade_submission

    def hangs_on_zed(folder, *args, **kw):
        if "hang the grader" in (Path(folder) / EX01).read_text():
            time.sleep(3600)
        return real(folder, *args, **kw)

    monkeypatch.setattr(grader.engine.runner, "grade_submission", hangs_on_zed)  # forked: inherited
    write(tmp_path / "c", {f"ada/{EX01}": REF, f"zed/{EX01}": REF + "# hang the grader\n"})
    started = time.perf_counter()
    # device="cpu": the grading processes are forked (so they see the patch) even where torch
    # is a CUDA build, which spawns them for the other devices (pool.start_method)
    monkeypatch.delenv("GRADER_START_METHOD", raising=False)
    run = grade_class(tmp_path / "c", db=tmp_path / "g.db", jobs=1, exercises=["ex01"],
                      device="cpu", timeout=8, progress=False)
    assert time.perf_counter() - started < 120
    with Gradebook(tmp_path / "g.db") as book:
        ada, zed = book.result("ada"), book.result("zed")
    assert ada.score == ada.max_score > 0
    assert zed.score == 0 and zed.errors == ["grading stopped after 8 s (the time limit of one "
                                             "submission)"]
    assert run.graded == 2 and run.failed == 1


def test_pages_and_summary_are_written(graded_class):
    html = graded_class["tmp"] / "html"
    names = sorted(p.name for p in html.iterdir())
    assert names == sorted([f"{s}.html" for s in ("ada", "ben", "cleo", "dan", "eve", "finn",
                                                  "gus", "hal", "ivy")] + ["summary.html"])
    assert "About your submission: left out &#39;../evil.sh&#39;" in (html / "hal.html").read_text()
    summary = (html / "summary.html").read_text()
    assert 'href="cleo.html"' in summary


def _count_results(db) -> int:
    """Read the gradebook as another program would, closing it at once (an open connection
    beside a class run is another program using the gradebook: the run refuses it)."""
    from contextlib import closing
    with closing(sqlite3.connect(db)) as con:
        return con.execute("SELECT COUNT(*) FROM results").fetchone()[0]


def test_a_second_run_grades_only_what_changed(graded_class, capsys):
    from grader.cli import main
    db, folder = graded_class["db"], graded_class["folder"]
    before = _count_results(db)
    write(folder, {f"ben/{EX01}": REF})                      # ben hands in again
    try:
        assert main(["grade-class", str(folder), "--db", str(db), "--exercises", "ex01",
                     "--no-progress"]) == 0
        line = capsys.readouterr().out
        assert "graded 1 of 9 submissions (8 already in the gradebook)" in line
        seed = int(re.search(r"seed (\d+)", line).group(1))
        assert seed != 11                                   # a rerun draws new hidden inputs
        with Gradebook(db) as book:
            assert book.result("ben").score == book.result("ada").score
            assert book.submission("ben")["seed"] == seed   # ben's new work met them
            assert book.submission("ada")["seed"] == 11     # ada's, unchanged, was not regraded
            assert [h["score"] == 0 for h in book.history("ben")] == [True, False]
            added = len(book.result("ben").checks)
        after = _count_results(db)
        assert after == before + added                      # added: the stub's stays history
    finally:
        write(folder, {f"ben/{EX01}": STUB})


def test_recorded_submissions_are_skipped_and_force_regrades_them(tmp_path, capsys,
                                                                  monkeypatch):
    from grader.cli import main
    # the grading processes start as on macOS or a CUDA machine: fresh interpreters
    monkeypatch.setenv("GRADER_START_METHOD", "spawn")
    from grader.engine.runner import GradeResult
    from grader.classroom.gradebook import grader_version
    write(tmp_path / "c", {f"ada/{EX01}": REF, f"ben/{EX01}": STUB})
    with Gradebook(tmp_path / "g.db") as book:       # as if graded before: same hash and seed
        for student in ("ada", "ben"):
            entry = gather(student, tmp_path / "c" / student, tmp_path / "x" / student)
            book.record(student, GradeResult(submission="", seed=5, exercises=["ex01"]),
                        content_hash=entry.content_hash)
    args = ["grade-class", str(tmp_path / "c"), "--db", str(tmp_path / "g.db"), "--exercises",
            "ex01", "--no-progress", "--jobs", "1", "--csv", str(tmp_path / "g.csv")]
    assert main(args) == 0
    assert "graded 0 of 2 submissions (2 already in the gradebook)" in capsys.readouterr().out
    assert main(args + ["--force"]) == 0
    assert "graded 2 of 2 submissions in" in capsys.readouterr().out
    with Gradebook(tmp_path / "g.db") as book:
        assert book.result("ada").score == book.result("ada").max_score > 0
        assert book.submission("ada")["grader_version"] == grader_version()
        runs = book.db.execute("SELECT status, graded, skipped FROM runs ORDER BY id").fetchall()
    assert [tuple(r) for r in runs] == [("finished", 0, 2), ("finished", 2, 0)]
    lines = (tmp_path / "g.csv").read_text().split()
    assert lines[0] == "student,ex01,total" and lines[1].startswith("ada,") and \
        lines[2] == "ben,0,0"


# ----------------------------------------------------------------------------------------------
# kill -9 in the middle of a run

def snapshot(db) -> dict:
    """Everything in a gradebook that grading decides (not timings or row ids)."""
    con = sqlite3.connect(db)
    out = {}
    for name, sid, *rest in con.execute(
            "SELECT t.name, s.id, s.content_hash, s.seed, s.grader_version, s.exercises, "
            "s.score, s.max_score, s.missing_files, s.errors FROM submissions s "
            "JOIN students t ON t.id = s.student_id"):
        checks = con.execute("SELECT nodeid, status, points, score, visible, message FROM "
                             "results WHERE submission_id = ? ORDER BY nodeid", (sid,)).fetchall()
        out[name] = (rest, checks)
    con.close()
    return out


def _grading_pids(marker: str) -> list[int]:
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                cmd = Path(f"/proc/{name}/cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmd:
                pids.append(int(name))
    return pids


def _children(pid: int) -> list[int]:
    """Live processes whose parent is `pid`: its grading processes, forked or spawned (a CUDA
    build of torch spawns them; their command line does not name the class folder)."""
    kids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                state, ppid = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[:2]
            except (OSError, ValueError):
                continue
            if int(ppid) == pid and state not in ("Z", "X"):
                kids.append(int(name))
    return kids


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.mark.slow
def test_kill_9_mid_run_then_rerun_gives_the_uninterrupted_gradebook(tmp_path):
    folder = tmp_path / "killclass"
    slow = REF.replace("def forward", "import time\ntime.sleep(0.3)\n\ndef forward", 1)
    students = [f"s{i:02d}" for i in range(8)]
    for i, s in enumerate(students):
        write(folder, {f"{s}/{EX01}": slow if i % 3 else slow + MUTANT[len(REF):]})
    db = tmp_path / "killed.db"
    cmd = [sys.executable, "-m", "grader", "grade-class", str(folder), "--db", str(db),
           "--jobs", "2", "--exercises", "ex01", "--no-progress", "--seed", "17"]
    # a temporary folder of its own: any zygote another test starts sweeps a dead run's spools
    temp = tmp_path / "temp"
    temp.mkdir()
    env = dict(os.environ, PYTHONPATH=str(ROOT),     # GRADER_VERSION pinned (see above)
               TMPDIR=str(temp))
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    recorded = 0
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists():
            try:
                con = sqlite3.connect(db)
                recorded = con.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
                con.close()
            except sqlite3.Error:
                recorded = 0
            if recorded >= 3:
                break
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed"
    children = _children(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # the grading processes die with it
    deadline = time.monotonic() + 10
    while (_grading_pids(str(folder)) or any(map(_running, children))) \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _grading_pids(str(folder)) == []
    assert [p for p in children if _running(p)] == []
    leftover = list(temp.glob(f"grader-class-{proc.pid}-*"))
    assert len(leftover) == 1                        # the killed run's submissions, gathered
    # its zygotes' folders, left behind: named after the run (forked grading processes) or
    # after the grading process that started them (spawned)
    spools = [s for pid in [proc.pid] + children
              for s in temp.glob(f"grader-spool-{pid}-*")]
    assert spools
    killed_at = len(snapshot(db))
    assert 3 <= killed_at < 8
    seed = 17                   # given, so the rerun meets the killed run's hidden inputs

    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    m = re.search(r"graded (\d+) of 8 submissions \((\d+) already in the gradebook\)",
                  out.stdout)
    assert m, out.stdout
    assert int(m.group(1)) == 8 - killed_at and int(m.group(2)) == killed_at
    assert f"seed {seed}" in out.stdout
    assert not leftover[0].exists()                  # swept by the next run
    assert not any(s.exists() for s in spools)

    whole = tmp_path / "whole.db"                           # uninterrupted, with one job
    grade_class(folder, db=whole, jobs=1, seed=seed, exercises=["ex01"], progress=False)
    a, b = snapshot(db), snapshot(whole)
    assert sorted(a) == students
    assert a == b
    assert len({rest[4] for rest, _ in a.values()}) == 2     # two different scores: real grades
    runs = sqlite3.connect(db).execute("SELECT status FROM runs ORDER BY id").fetchall()
    assert [r[0] for r in runs] == ["interrupted", "finished"]   # the killed run, marked


def test_grading_processes_are_never_forked_where_a_gpu_is(monkeypatch):
    """Where torch sees a GPU, autograd keeps a thread per device, and a process forked from one
    that ran autograd (this one runs the references before it starts the grading processes)
    fails every backward(): a correct ex02 scored 32/50 on an H100 machine. There grading
    processes are spawned, whatever the class's device or GRADER_START_METHOD says."""
    import grader.sandbox.device
    monkeypatch.setattr(grader.sandbox.device, "cuda_available", lambda: True)
    for forced in ("", "fork", "spawn"):
        monkeypatch.setenv("GRADER_START_METHOD", forced)
        assert pool.start_method("cpu") == pool.start_method("all") == "spawn"
    monkeypatch.setattr(grader.sandbox.device, "cuda_available", lambda: False)
    monkeypatch.setenv("GRADER_START_METHOD", "fork")
    assert pool.start_method("cpu") == "fork"


def test_the_command_line_grades_a_class_with_spawned_processes(tmp_path):
    """Where grading processes are spawned (a GPU machine, macOS), each starts a fresh
    interpreter and imports what it needs: `python -m grader grade-class` grades the class
    as it does with forked ones."""
    write(tmp_path / "c", {f"ada/{EX01}": REF, f"bob/{EX01}": STUB})
    env = dict(os.environ, GRADER_START_METHOD="spawn", GRADER_VERSION="spawn-test")
    done = subprocess.run([sys.executable, "-m", "grader", "grade-class", str(tmp_path / "c"),
                           "--db", str(tmp_path / "g.db"), "--exercises", "ex01", "--jobs", "2",
                           "--no-progress"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    with Gradebook(tmp_path / "g.db") as book:
        _, rows, maxes = book.table()
    assert {name: total for name, _, total in rows} == {"ada": maxes["total"], "bob": 0}


# ----------------------------------------------------------------------------------------------
# a course graded week by week: nothing is lost

def test_three_weeks_of_a_course_keep_every_exercise(tmp_path, capsys):
    """Week 1 grades ex01, week 2 ex02 (a student gone, one new, one resubmits), week 3 both:
    every exercise's latest grade stays, what was graded for the same files is not graded
    again (nor an exercise whose file was graded, when another file changed), and the history
    holds every graded submission."""
    from grader.cli import main
    ref02 = (ROOT / "solutions" / "ex02_gradient_descent.py").read_text()
    ex02 = "ex02_gradient_descent.py"
    folder, db = tmp_path / "class", tmp_path / "g.db"
    write(folder, {f"ann/{EX01}": REF, f"ann/{ex02}": ref02, f"ben/{EX01}": STUB,
                   f"cat/{EX01}": REF})
    base = ["grade-class", str(folder), "--db", str(db), "--no-progress", "--jobs", "2",
            "--seed", "3", "--html-dir", str(tmp_path / "pages")]

    def week(exercises):
        assert main(base + ["--exercises", exercises]) == 0
        return capsys.readouterr().out

    def grades():
        assert main(["export", "--csv", "-", "--db", str(db)]) == 0
        out = capsys.readouterr()
        return out.out.splitlines(), out.err

    assert "graded 3 of 3 submissions" in week("ex01")
    csv1, _ = grades()
    assert csv1[0] == "student,ex01,total" and csv1[2] == "ben,0,0"
    full01 = csv1[1].split(",")[1]
    assert csv1[3] == f"cat,{full01},{full01}" and float(full01) > 0

    import shutil
    shutil.rmtree(folder / "cat")                                  # cat leaves
    write(folder, {f"ben/{EX01}": REF, f"ben/{ex02}": ref02,       # ben hands in again
                   f"dov/{ex02}": ref02})                          # dov joins
    assert "graded 3 of 3 submissions" in week("ex02")
    csv2, warning = grades()
    full02 = csv2[1].split(",")[2]
    assert float(full02) > 0
    both = float(full01) + float(full02)
    assert csv2 == ["student,ex01,ex02,total", f"ann,{full01},{full02},{both:g}",
                    f"ben,0,{full02},{full02}",        # ex01 not regraded this week: the stub's
                    f"cat,{full01},0,{full01}",        # gone, kept, said so
                    f"dov,0,{full02},{full02}"]
    assert "cat" in warning
    page = (tmp_path / "pages" / "ann.html").read_text()     # written this week, from both
    assert "ex01" in page and "ex02" in page and "forward" in page

    out = week("ex01,ex02")      # ann: both graded for these files; ben, dov: ex01 is not
    assert "graded 2 of 3 submissions (1 already in the gradebook)" in out
    csv3, _ = grades()
    assert csv3 == ["student,ex01,ex02,total", f"ann,{full01},{full02},{both:g}",
                    f"ben,{full01},{full02},{both:g}", f"cat,{full01},0,{full01}",
                    f"dov,0,{full02},{full02}"]       # dov: no ex01 file, graded 0
    assert main(base + ["--exercises", "ex01,ex02", "--csv", "-"]) == 0   # nothing to grade
    out = capsys.readouterr()
    assert out.out.splitlines() == csv3                   # stdout: the CSV alone
    assert "graded 0 of 3 submissions (3 already in the gradebook)" in out.err
    with Gradebook(db) as book:
        history = sorted(((h["student"], h["exercise"], h["run_id"]) for h in book.history()),
                         key=lambda h: (h[2], h[0], h[1]))    # graded in parallel: any order
        assert book.table(policy="best")[1][1] == ("ben", {"ex01": float(full01),
                                                           "ex02": float(full02)}, both)
    assert history == [("ann", "ex01", 1), ("ben", "ex01", 1), ("cat", "ex01", 1),
                       ("ann", "ex02", 2), ("ben", "ex02", 2), ("dov", "ex02", 2),
                       ("ben", "ex01", 3), ("dov", "ex01", 3)]   # their ex02 files: graded
