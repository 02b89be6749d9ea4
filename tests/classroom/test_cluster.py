"""grade-class on a real Dask cluster (a LocalCluster of worker processes on this machine): the
same gradebook as a local run, every student recorded once when a worker dies mid-run, a
hostile submission judged as locally with nothing left running (docs/cluster.md)."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip(
    "distributed", reason="grading on a cluster needs Dask: pip install -e '.[cluster]'")

from grader.classroom.run import grade_class  # noqa: E402
from tests.conftest import pinned_version  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EX01, EX02 = "ex01_linear_model.py", "ex02_gradient_descent.py"
REF01 = (ROOT / "solutions" / EX01).read_text()
REF02 = (ROOT / "solutions" / EX02).read_text()
STUB01 = (ROOT / "exercises" / EX01).read_text()
EXERCISES = ["ex01", "ex02"]
MARKER = str(800_000 + os.getpid() % 90_000)


@pytest.fixture(scope="module", autouse=True)
def pinned_grader_version():
    with pinned_version("cluster-test"):
        yield


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster
    c = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                     dashboard_address=":0", worker_dashboard_address=":0")
    yield c
    c.close()


def make_class(folder: Path, n: int = 8) -> Path:
    """n students: references, stubs, a wrong forward, half done, in turn."""
    wrong = REF01 + "\n\ndef forward(x, w):\n    return x + w\n"
    kinds = [{EX01: REF01, EX02: REF02}, {EX01: STUB01}, {EX01: wrong, EX02: REF02},
             {EX02: REF02}]
    for i in range(n):
        student = folder / f"student{i:02d}"
        student.mkdir(parents=True)
        for name, text in kinds[i % len(kinds)].items():
            (student / name).write_text(text)
    return folder


def rows(db) -> list[tuple]:
    """Every recorded check of every student: what the gradebook says, run-independent."""
    con = sqlite3.connect(db)
    try:
        return con.execute(
            "SELECT st.name, s.score, s.max_score, s.seed, r.nodeid, r.status, r.score "
            "FROM submissions s JOIN students st ON st.id = s.student_id "
            "JOIN results r ON r.submission_id = s.id ORDER BY st.name, r.position").fetchall()
    finally:
        con.close()


def test_cluster_gradebook_equals_the_local_one(tmp_path, cluster):
    """Row for row, odd file names included: a backslash is part of a name on Linux, never a
    folder (a file named ex01_x\\ex02_...py once reached the worker as ex02 in a folder, and
    was graded as ex02 there, as nothing locally), and a name's bytes need not be UTF-8."""
    klass = make_class(tmp_path / "class")
    odd = {"mallory": {"ex01_x\\" + EX02: REF02}, "eve": {"ex01_a\\b.py": REF01},
           "zoe": {EX01: REF01, "ex02_gradient_descent\udcff.py": REF02}}
    odd.update(OWN_FILES)
    for student, files in odd.items():
        (klass / student).mkdir()
        for name, text in files.items():
            (klass / student / name).parent.mkdir(parents=True, exist_ok=True)
            (klass / student / name).write_text(text)
    local = grade_class(klass, db=tmp_path / "local.db", jobs=2, seed=41, exercises=EXERCISES,
                        progress=False)
    remote = grade_class(klass, db=tmp_path / "cluster.db", seed=41, exercises=EXERCISES,
                         progress=False, cluster=cluster.scheduler_address)
    assert remote.graded == local.graded == 8 + len(odd)
    assert rows(tmp_path / "cluster.db") == rows(tmp_path / "local.db")
    assert len(rows(tmp_path / "local.db")) > 8 * 10
    from grader.classroom.gradebook import Gradebook
    with Gradebook(tmp_path / "cluster.db") as book:
        for student in OWN_FILES:         # her own package, data and helpers: graded whole
            result = book.result(student)
            assert result.score == result.max_score > 0, (student, result.errors)


# a student's own files beside the exercise's, where they lie: a package, a data file it
# reads, a helper named like the exercise's file (what `grade` grades, the cluster grades)
USES = "import json\nimport pathlib\nfrom mylib.arrays import SCALE\nfrom ex02_utils import ONE\n"
READS = "SETTINGS = json.loads((pathlib.Path(__file__).parent / 'data' / 'settings.json')" \
    ".read_text())\n"
OWN_FILES = {"pia": {EX01: REF01, EX02: USES + READS + REF02, "mylib/__init__.py": "",
                     "mylib/arrays.py": "SCALE = 1.0\n", "ex02_utils.py": "ONE = 1\n",
                     "data/settings.json": '{"lr": 0.1}'}}


def test_class_runs_side_by_side_keep_to_their_own(tmp_path, cluster):
    """Two class runs on one cluster at once, the same files at the same places, other seeds
    and exercises: each gradebook is the one it gets alone (the tasks of both once shared
    keys, so one run recorded the other's results)."""
    klass = make_class(tmp_path / "class", n=6)
    asked = {"a": dict(seed=3, exercises=["ex01"]), "b": dict(seed=4, exercises=["ex02"])}
    for name, kw in asked.items():
        grade_class(klass, db=tmp_path / f"{name}-alone.db", jobs=1, progress=False, **kw)
    failed = []

    def run_class(name, kw):
        try:
            grade_class(klass, db=tmp_path / f"{name}.db", progress=False,
                        cluster=cluster.scheduler_address, **kw)
        except BaseException as e:          # a thread's exception would only be printed
            failed.append((name, e))

    runs = [threading.Thread(target=run_class, args=item) for item in asked.items()]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert failed == []
    for name in asked:
        assert rows(tmp_path / f"{name}.db") == rows(tmp_path / f"{name}-alone.db")


def test_a_worker_killed_mid_run_costs_nothing(tmp_path, cluster):
    """One worker's process is killed while it grades: its task runs again elsewhere, and
    every student is recorded exactly once, as an uninterrupted run records them."""
    klass = make_class(tmp_path / "class", n=12)
    events = []
    killed = []

    def kill_while_grading():
        """Once a few results are in, kill the process of a worker that is grading one."""
        client = distributed.Client(cluster.scheduler_address)
        try:
            pids = client.run(os.getpid)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not killed:
                busy = [a for a, keys in client.processing().items() if keys and a in pids]
                if len(events) >= 2 and busy:
                    os.kill(pids[busy[0]], 9)
                    killed.append(busy[0])
                time.sleep(0.05)
        finally:
            client.close()

    killer = threading.Thread(target=kill_while_grading)
    killer.start()
    run = grade_class(klass, db=tmp_path / "killed.db", seed=7, exercises=EXERCISES,
                      progress=False, cluster=cluster.scheduler_address,
                      on_event=lambda event, student: events.append((event, student)))
    killer.join()
    assert run.graded == 12
    con = sqlite3.connect(tmp_path / "killed.db")
    try:
        names = [r[0] for r in con.execute(
            "SELECT st.name FROM submissions s JOIN students st ON st.id = s.student_id")]
        errors = [r[0] for r in con.execute("SELECT errors FROM submissions")]
    finally:
        con.close()
    assert sorted(names) == sorted(f"student{i:02d}" for i in range(12))
    assert all(e == "[]" for e in errors), errors
    whole = grade_class(klass, db=tmp_path / "whole.db", jobs=2, seed=7, exercises=EXERCISES,
                        progress=False)
    assert whole.graded == 12
    assert rows(tmp_path / "killed.db") == rows(tmp_path / "whole.db")
    assert killed, "no worker was caught grading"
    assert sum(1 for e, _ in events if e == "done") == 12
    assert any(e == "retried" for e, _ in events)


HOSTILE = REF01 + f'''

import subprocess
import time

def forward_wb(x, w, b):
    subprocess.Popen(["sleep", "{MARKER}"], start_new_session=True)
    open("/tmp/left-on-the-worker-{MARKER}", "w").write("x")
    while True:          # never returns (asleep: the machine's other tests keep its cores)
        time.sleep(60)
'''


def test_a_hostile_submission_on_the_cluster(tmp_path, cluster):
    """A submission that leaves a process and a file behind and never returns: the same
    verdict as a local run, and nothing of it left on the worker."""
    klass = tmp_path / "class"
    (klass / "mallory").mkdir(parents=True)
    (klass / "mallory" / EX01).write_text(HOSTILE)
    (klass / "alice").mkdir()
    (klass / "alice" / EX01).write_text(REF01)
    local = grade_class(klass, db=tmp_path / "local.db", jobs=1, seed=3, exercises=["ex01"],
                        progress=False)
    remote = grade_class(klass, db=tmp_path / "cluster.db", seed=3, exercises=["ex01"],
                         progress=False, cluster=cluster.scheduler_address)
    assert local.graded == remote.graded == 2
    assert rows(tmp_path / "cluster.db") == rows(tmp_path / "local.db")
    statuses = {r[4]: r[5] for r in rows(tmp_path / "cluster.db") if r[0] == "mallory"}
    assert any("forward_wb" in n and s == "failed" for n, s in statuses.items())
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        assert cmdline[:2] != [b"sleep", MARKER.encode()], "a process of the submission survived"
    assert not Path(f"/tmp/left-on-the-worker-{MARKER}").exists()


def _alive(pid: int) -> bool:
    """Whether process `pid` still runs (a zombie waiting for its reaper does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


def test_each_worker_grades_in_one_grading_process_for_its_life(tmp_path, cluster):
    """A Dask worker process only hands submissions to its grading process: the zygote, torch
    and the checks live there, away from Dask's threads. The same grading process serves one
    class run after another, whatever they grade, and it dies with its worker."""
    import sys

    from grader.classroom import cluster as remote
    klass = make_class(tmp_path / "class", n=4)

    def grading():
        grader = remote._STATE.get("grader")
        return os.getpid(), grader and grader.proc.pid, "torch" in sys.modules

    client = distributed.Client(cluster.scheduler_address)
    try:
        grade_class(klass, db=tmp_path / "a.db", seed=5, exercises=["ex01"], progress=False,
                    cluster=cluster.scheduler_address)
        first = client.run(grading)
        grade_class(klass, db=tmp_path / "b.db", seed=6, exercises=EXERCISES, progress=False,
                    cluster=cluster.scheduler_address)
        assert client.run(grading) == first
        for worker, _, _ in first.values():      # a cleaner empties /tmp under the workers
            for folder in Path(tempfile.gettempdir()).glob(f"grader-cluster-{worker}-*"):
                shutil.rmtree(folder)
        again = grade_class(klass, db=tmp_path / "again.db", seed=6, exercises=EXERCISES,
                            progress=False, cluster=cluster.scheduler_address)
        assert again.graded == 4 and again.failed == 0
        assert rows(tmp_path / "again.db") == rows(tmp_path / "b.db")
    finally:
        client.close()
    assert len(first) == 2
    for worker, grader, torch_here in first.values():
        assert grader and _alive(grader)
        ppid = Path(f"/proc/{grader}/stat").read_text().rsplit(")", 1)[-1].split()[1]
        assert int(ppid) == worker
        assert not torch_here, "torch was imported by the Dask worker process itself"
        folders = list(Path(tempfile.gettempdir()).glob(f"grader-cluster-{worker}-*"))
        assert len(folders) == 1    # the worker's own: tables, and no submission left
        assert all(p.name.startswith("table-") for p in folders[0].iterdir())
    worker, grader, _ = sorted(first.values())[0]
    os.kill(worker, 9)
    deadline = time.monotonic() + 20
    while _alive(grader) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(grader), "a killed worker's grading process lived on"
    grade_class(make_class(tmp_path / "next", n=2), db=tmp_path / "c.db", exercises=["ex01"],
                progress=False, cluster=cluster.scheduler_address)
    assert not list(Path(tempfile.gettempdir()).glob(f"grader-cluster-{worker}-*")), \
        "the killed worker's folder was not swept"


def test_a_submission_past_its_time_limit_costs_only_itself(tmp_path, cluster):
    """The time limit of one submission holds on a worker as in a local run: the grading
    process is stopped, its zygote's workers with it, the submission gets the reason, and a
    fresh grading process grades the next ones."""
    from grader.classroom.gradebook import Gradebook
    klass = tmp_path / "class"
    # slow in the function the checks call (a slow statement at the top of the file is
    # stopped after 5 s and the rest of the file graded: tests/sandbox/test_statements.py)
    slow = REF01 + "\n\ndef forward(x, w):\n    import time\n    time.sleep(60)\n    return x * w\n"
    for student, text in [("slow", slow),
                          ("alice", REF01), ("bob", REF01), ("carol", REF01)]:
        (klass / student).mkdir(parents=True)
        (klass / student / EX01).write_text(text)
    started = time.monotonic()
    run = grade_class(klass, db=tmp_path / "book.db", seed=3, exercises=["ex01"], timeout=8,
                      progress=False, cluster=cluster.scheduler_address)
    assert time.monotonic() - started < 50
    assert run.graded == 4 and run.failed == 1
    with Gradebook(tmp_path / "book.db") as book:
        slow = book.result("slow")
        assert slow.score == 0 and slow.errors == [
            "grading stopped after 8 s (the time limit of one submission)"]
        assert book.notes("slow") == slow.errors        # noted as a local run notes it
        for student in ("alice", "bob", "carol"):
            result = book.result(student)
            assert result.score == result.max_score > 0 and not result.errors


def test_a_submission_the_worker_cannot_write_is_not_graded_in_part(tmp_path):
    """Files that cannot all be written on the worker (cut bytes, a name too long for its
    disk): the submission is not graded at all, rather than graded from what was written."""
    from grader.classroom.cluster import grade_bytes
    from grader.classroom.packing import _HEAD, pack
    from grader.engine.request import GradeRequest
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / EX01).write_text(REF01)
    whole = pack(tmp_path / "sub")
    long_name = b"ex02_" + b"x" * 300 + b".py"
    request = GradeRequest(exercises=["ex01", "ex02"], seed=3).to_dict()
    for blob in (whole[:-5], whole + _HEAD.pack(len(long_name), 3) + long_name + b"x=1"):
        result = json.loads(grade_bytes(blob, request, "alice"))
        assert result["checks"] == [] and result["score"] == 0
        assert result["errors"][0].startswith("the worker could not write the submission")


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path):
    from grader.classroom.cluster import ClusterUnavailable
    klass = make_class(tmp_path / "class", n=1)
    with pytest.raises(ClusterUnavailable, match="cannot reach the Dask scheduler"):
        grade_class(klass, db=tmp_path / "x.db", exercises=["ex01"], progress=False,
                    cluster="tcp://127.0.0.1:9", cluster_timeout=2)


def test_a_worker_without_the_network_layer_grades_nothing(tmp_path):
    """Dask's network carries pickled code between the scheduler, the workers and this process,
    with no password: student code that reaches it can rewrite any grade and run code here (a
    reviewer did both from a worker in GRADER_SANDBOX=basic). A worker whose sandbox lacks the
    "no network" layer therefore refuses, before any submission is handed out."""
    from distributed import LocalCluster

    from grader.classroom.cluster import ClusterUnavailable
    klass = make_class(tmp_path / "class", n=2)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=":0", worker_dashboard_address=":0",
                      env={"GRADER_SANDBOX": "basic"}) as cl:
        with pytest.raises(ClusterUnavailable, match="lacks the sandbox layer 'no network'"):
            grade_class(klass, db=tmp_path / "book.db", seed=3, exercises=["ex01"],
                        progress=False, cluster=cl.scheduler_address)
        # a worker that joins after a run's check refuses each submission all the same
        from grader.classroom.cluster import grade_bytes
        from grader.classroom.packing import pack
        from grader.engine.request import GradeRequest
        with distributed.Client(cl.scheduler_address) as client:
            client.restart()        # a fresh worker process, never checked
            reply = client.submit(grade_bytes, pack(klass / "student00"),
                                  GradeRequest(exercises=["ex01"], seed=3).to_dict(),
                                  "student00", pure=False).result()
        result = json.loads(reply)
        assert result["checks"] == [] and result["score"] == 0
        assert result["errors"] and "lacks the sandbox layer 'no network'" in \
            result["errors"][0]
    con = sqlite3.connect(tmp_path / "book.db")
    try:
        assert con.execute("SELECT COUNT(*) FROM submissions").fetchone() == (0,)
    finally:
        con.close()


def test_a_worker_needs_a_separate_user_or_the_read_only_view_as_well():
    """Without both, student code runs as the grader's own user on a writable disk: it can
    plant code for its zygote's next start (a .pth file) and kill the zygote, and the restarted
    one no longer keeps it off the network. Either layer stops that."""
    from types import SimpleNamespace

    from grader.classroom.cluster import REQUIRED
    from grader.sandbox.layers import missing

    def layers(**on):
        return [SimpleNamespace(name=name, on=on.get(name.replace(" ", "_"), False),
                                detail="measured")
                for name in ("no network", "separate user", "read-only view")]

    assert missing(layers(no_network=True, separate_user=True), REQUIRED) == []
    assert missing(layers(no_network=True, **{"read-only_view": True}), REQUIRED) == []
    assert missing(layers(no_network=True), REQUIRED) == [
        "'separate user' (measured) or 'read-only view' (measured)"]
    assert missing(layers(separate_user=True), REQUIRED)[0].startswith("'no network'")


def test_a_big_class_is_handed_out_a_few_at_a_time(tmp_path, cluster, monkeypatch):
    """Submissions are packed and sent as results come back, never more than in_flight (two
    per worker thread, and two) on the cluster at once: a class of 50 000 is never all in
    memory, here or on the scheduler. The run's reference results, computed once on the
    cluster, reach the workers with the submissions handed out after them."""
    from grader.classroom import cluster as remote
    klass = make_class(tmp_path / "class", n=14)
    packed, recorded, most = [], [], []
    real_pack = remote.pack

    def pack(folder):
        packed.append(folder)
        most.append(len(packed) - len(recorded))
        return real_pack(folder)
    monkeypatch.setattr(remote, "pack", pack)
    run = grade_class(klass, db=tmp_path / "book.db", seed=5, exercises=["ex01"],
                      progress=False, cluster=cluster.scheduler_address,
                      on_event=lambda event, student: recorded.append(student))
    assert run.graded == len(packed) == 14
    window = 2 * 2 + 2                      # the fixture: 2 workers of 1 thread each
    assert max(most) == window
    client = distributed.Client(cluster.scheduler_address)
    try:
        tables = client.run(lambda: len(remote._STATE.get("tables", {})))
    finally:
        client.close()
    assert sorted(tables.values()) and all(n >= 1 for n in tables.values()), tables


def test_a_week_that_changed_one_exercise_regrades_it_alone_on_the_cluster(tmp_path, cluster):
    """As a local run (grader.classroom.run, Gradebook.graded_files): two students graded
    for ex01 and ex02 on the cluster; one changes ex02, and the next cluster run grades her
    ex02 alone (ex01 keeps its grading and the rest of the class is skipped); her gradebook
    rows are those of the same weeks graded locally. Before, the cluster regraded her
    whole folder."""
    klass = make_class(tmp_path / "class", n=2)         # student00: both; student01: a stub
    both = dict(exercises=EXERCISES, progress=False, seed=5)
    for where in ("cluster", "local"):
        at = dict(cluster=cluster.scheduler_address) if where == "cluster" else dict(jobs=1)
        (klass / "student00" / EX02).write_text(REF02)
        first = grade_class(klass, db=tmp_path / f"{where}.db", **both, **at)
        assert first.graded == 2
        (klass / "student00" / EX02).write_text(REF02 + "\n# tidied\n")
        second = grade_class(klass, db=tmp_path / f"{where}.db", **both, **at)
        assert (second.graded, second.skipped) == (1, 1), where
        con = sqlite3.connect(tmp_path / f"{where}.db")
        try:
            graded = [r[0] for r in con.execute(
                "SELECT s.exercises FROM submissions s JOIN students t ON t.id = s.student_id "
                "WHERE t.name = 'student00' ORDER BY s.id")]
        finally:
            con.close()
        assert graded == ['["ex01", "ex02"]', '["ex02"]'], (where, graded)
    assert rows(tmp_path / "cluster.db") == rows(tmp_path / "local.db")


def test_packed_files_land_at_their_own_places_below_the_folder_only(tmp_path):
    """A submission's files in subfolders (her package, her data) arrive where they lay; a
    name that would climb out of the folder, or start at the root, is refused."""
    from grader.classroom.packing import _HEAD, pack, unpack
    sub = tmp_path / "sub"
    for name in (EX01, "mylib/__init__.py", "mylib/core/deep.py", "data/settings.json"):
        (sub / name).parent.mkdir(parents=True, exist_ok=True)
        (sub / name).write_text(name)
    unpack(pack(sub), tmp_path / "out")
    got = sorted(p.relative_to(tmp_path / "out").as_posix()
                 for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert got == sorted([EX01, "mylib/__init__.py", "mylib/core/deep.py",
                          "data/settings.json"])
    assert (tmp_path / "out" / "mylib/core/deep.py").read_text() == "mylib/core/deep.py"
    for bad in (b"../x.py", b"/etc/x.py", b"a/../../x.py", b"a//b.py", b"./x.py", b"a/\0.py"):
        (tmp_path / "bad").mkdir(exist_ok=True)
        with pytest.raises(ValueError):
            unpack(_HEAD.pack(len(bad), 1) + bad + b"x", tmp_path / "bad")
    assert not (tmp_path / "x.py").exists() and not list((tmp_path / "bad").rglob("*.py"))
