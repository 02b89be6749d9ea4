"""The trusted side never reads what a worker may have rewritten in its own folder.

Without the private scratch layer (GRADER_SANDBOX=basic, or a machine without namespaces) a
worker writes its submission's folder on disk. The grading process used to open `exNN.py`
there with a plain open() to decide whether a note about a skipped notebook cell was the
loader's: a FIFO put in its place hung grading, a link to a root-only file was followed, and a
file rewritten to begin like the loader's made a forged note pass. Which modules came from a
notebook is now decided at staging, before any student code runs, through staging's safe reader
(no link followed, no FIFO waited on, a few bytes read). Each case replaces its own file during
import and forges the loader's note; grading goes through the `grade` CLI in basic mode.
"""
import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.sandbox import staging
from grader.sandbox.workdir import NOTEBOOK_LOADER

ROOT = Path(__file__).resolve().parents[2]
REF = (ROOT / "solutions" / "ex01_linear_model.py").read_text()
FORGED = ["ex01_linear_model.ipynb: cell 2 was skipped, line 1 raised NameError: name 'x' is "
          "not defined. The cell starts: FORGED NOTE",
          "cell 3 was skipped, it raised ValueError. The cell starts: FORGED NOTE"]
REPLACE = {
    "a FIFO": "os.mkfifo(_me)",
    "a link to a root-only file": "os.symlink(SECRET, _me)",
    "a file that begins like the loader's": "open(_me, 'w').write(LOADER + '\\n')",
}


def hostile(how: str, secret: Path) -> str:
    return REF + f'''

import os as _os_
os = _os_
SECRET = {str(secret)!r}
LOADER = {NOTEBOOK_LOADER.decode()!r}
_me = __file__
os.unlink(_me)
{REPLACE[how]}
__skipped_cells__ = {FORGED!r}
'''


@pytest.mark.parametrize("how", REPLACE)
def test_a_worker_rewriting_its_own_file_neither_hangs_nor_forges_a_note(tmp_path, how):
    token = secrets.token_hex(16)
    secret = tmp_path / "root-only.txt"
    secret.write_text(NOTEBOOK_LOADER.decode() + f"\nSECRET {token}\n")
    os.chmod(secret, 0o600)
    sub = tmp_path / "mallory"
    sub.mkdir()
    (sub / "ex01_linear_model.py").write_text(hostile(how, secret))
    out, page = tmp_path / "out.json", tmp_path / "page.html"
    env = dict(os.environ, GRADER_SANDBOX="basic")
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(sub), "--exercises",
                           "ex01", "--seed", "2", "--json", str(out), "--html", str(page)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    texts = [proc.stdout, proc.stderr, out.read_text(), page.read_text()]
    assert not any("FORGED" in t for t in texts), result.get("notes")
    assert not any(token in t for t in texts)
    assert sum(t["score"] for t in result["tests"]) > 0   # the functions themselves were graded


def test_a_py_file_that_begins_like_the_loader_forges_no_note(tmp_path, zygote):
    """Which modules are a notebook's is decided by staging, from the files' names, not by
    what a staged file begins with: a .py that begins like the notebook loader is a .py."""
    from grader.engine.runner import grade_submission
    sub = tmp_path / "mallory"
    sub.mkdir()
    (sub / "ex01_linear_model.py").write_text(
        NOTEBOOK_LOADER.decode() + "\n" + REF + f"\n__skipped_cells__ = {FORGED!r}\n")
    result = grade_submission(sub, zygote, exercises=["ex01"], seed=2)
    assert not any("FORGED" in n for n in result.notes), result.notes
    assert result.score == result.max_score


def test_a_files_head_is_read_safely(tmp_path):
    (tmp_path / "nb.py").write_bytes(NOTEBOOK_LOADER + b"\nx = 1\n")
    os.mkfifo(tmp_path / "fifo.py")
    os.symlink(tmp_path / "nb.py", tmp_path / "link.py")
    with pytest.raises(staging.Refused):
        staging.read_head(tmp_path / "fifo.py", 10)       # refused at once, never waited on
    with pytest.raises(staging.Refused):
        staging.read_head(tmp_path / "link.py", 10)
    assert staging.read_head(tmp_path / "nb.py", 5) == NOTEBOOK_LOADER[:5]


def test_the_loaders_own_notes_still_count(tmp_path):
    """A notebook's cell that raised is still reported (the note is the loader's)."""
    from grader.sandbox import Submission, Zygote
    nb = {"cells": [{"cell_type": "code", "source": REF, "metadata": {}, "outputs": [],
                     "execution_count": None},
                    {"cell_type": "code", "source": "undefined_name + 1", "metadata": {},
                     "outputs": [], "execution_count": None}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    sub = tmp_path / "s"
    sub.mkdir()
    (sub / "ex01_linear_model.ipynb").write_text(json.dumps(nb))
    z = Zygote(sandbox="basic")
    try:
        with Submission(sub, z) as s:
            assert s.notebooks == {"ex01_linear_model"}
            assert s.call("ex01.forward", 2.0, 3.0) == 6.0
            assert any("cell 2 was skipped" in n for n in s.notes), s.notes
    finally:
        z.close()


def test_a_data_folder_is_put_back_without_following_what_a_worker_put_there(tmp_path):
    """restore of data/x.csv where a worker left a link named data (to a folder of the
    grader's): the link goes, a folder is made, the link's target is not touched."""
    from grader.sandbox.workdir import restore, snapshot
    work, outside = tmp_path / "work", tmp_path / "outside"
    (work / "data").mkdir(parents=True)
    outside.mkdir()
    (work / "data" / "x.csv").write_text("1,2\n")
    (work / "ex01_linear_model.py").write_text("X = 1\n")
    staged = snapshot(work)
    assert staged == {"data/x.csv": b"1,2\n", "ex01_linear_model.py": b"X = 1\n"}
    shutil.rmtree(work / "data")
    os.symlink(outside, work / "data")
    restore(work, staged)
    assert not (work / "data").is_symlink() and (work / "data" / "x.csv").read_text() == "1,2\n"
    assert list(outside.iterdir()) == []
