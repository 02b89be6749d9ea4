"""The kit's `check` on a machine where the sandbox cannot run (macOS, Windows): a student's
own check of their own work runs unsandboxed, says so in one line, and scores as usual; grading
never does without the sandbox.

The stand-in for such a machine: a sitecustomize on PYTHONPATH that removes os.fork and makes
`import resource` fail, in the kit's process and in every Python it starts."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.cli import main
from grader.exercises import EXERCISES

ROOT = Path(__file__).resolve().parents[2]

NO_SANDBOX = '''\
import os, sys
for _name in ("fork", "forkpty"):
    if hasattr(os, _name):
        delattr(os, _name)

class _NoResource:
    def find_spec(self, name, path=None, target=None):
        if name == "resource":
            raise ImportError("No module named 'resource'")
        return None

sys.meta_path.insert(0, _NoResource())
sys.modules.pop("resource", None)
'''


@pytest.fixture(scope="module")
def machine(tmp_path_factory):
    """(the kit of ex01, the same filled with the reference, the environment without fork)"""
    base = tmp_path_factory.mktemp("nosandbox")
    kit = base / "kit"
    assert main(["release", str(kit), "--exercises", "ex01", "--no-notebooks"]) == 0
    filled = base / "filled"
    shutil.copytree(kit, filled)
    name = f"{EXERCISES['ex01']}.py"
    shutil.copyfile(ROOT / "solutions" / name, filled / "exercises" / name)
    (base / "site").mkdir()
    (base / "site" / "sitecustomize.py").write_text(NO_SANDBOX)
    env = dict(os.environ, PYTHONPATH=str(base / "site"))
    return kit, filled, env


def _run(folder, env, *args):
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_stand_in_machine_has_no_fork_and_no_resource(machine):
    kit, _, env = machine
    probe = subprocess.run([sys.executable, "-c", "import os; print(hasattr(os, 'fork'))\n"
                            "try:\n import resource\nexcept ImportError:\n print('no resource')"],
                           cwd=kit, env=env, capture_output=True, text=True)
    assert probe.stdout.split() == ["False", "no", "resource"], probe.stderr


def test_kit_checks_the_stubs_without_the_sandbox(machine):
    kit, _, env = machine
    proc = _run(kit, env, "check")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "ex01: not started" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1].startswith("0 of ")
    notes = [line for line in proc.stderr.splitlines() if "without the sandbox" in line]
    assert len(notes) == 1 and "os.fork" in notes[0], proc.stderr


def test_kit_checks_the_references_without_the_sandbox(machine):
    _, filled, env = machine
    proc = _run(filled, env, "check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    passed, _, total = proc.stdout.strip().splitlines()[-1].split(" visible")[0].partition(" of ")
    assert int(passed) == int(total) > 0, proc.stdout
    assert "without the sandbox" in proc.stderr


def test_grading_never_runs_without_the_sandbox(machine):
    """`grade` refuses in one line, in the kit and in the instructor's checkout; so does the
    instructor's `check`, whose copy holds the references."""
    _, filled, env = machine
    for folder, args in ((filled, ("grade", "exercises")), (ROOT, ("check", "ex01"))):
        proc = _run(folder, dict(env, PYTHONPATH=env["PYTHONPATH"] + os.pathsep + str(ROOT)),
                    *args)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert proc.stderr.strip().splitlines() == [
            "error: the sandbox needs os.fork, which this Python lacks: nothing is graded on "
            "this machine (grade on Linux)"], proc.stderr
        assert "pass" not in proc.stdout
