"""The portable branches (grader.sandbox.portable) of the rooms: where a machine lacks
O_NOFOLLOW and descriptor-relative opens (Windows), a submission is read by path with the same
refusals and notes; where select() cannot wait on a pipe, a thread waits, within the deadline.
Both only inside a student's own check (unsandboxed()); anywhere else such a machine is refused.
The whole kit's check on a stand-in for Windows: tests/instructor/test_kit_without_sandbox.py."""
from __future__ import annotations

import os
import threading
import time

import pytest

from grader.sandbox import SandboxUnavailable, portable
from grader.sandbox.staging import stage_submission
from grader.sandbox.workdir import restore


@pytest.fixture
def submission(tmp_path):
    """A folder with one good file, a link to it under another exercise's name, a FIFO, a link
    to a folder holding an exercise file, and a good file one level down."""
    sub = tmp_path / "alice"
    (sub / "more").mkdir(parents=True)
    (sub / "ex01_linear_model.py").write_bytes(b"def forward(x, w):\r\n    return x * w\n")
    (sub / "ex02_gradient_descent.py").symlink_to(sub / "ex01_linear_model.py")
    os.mkfifo(sub / "ex03_autograd_basics.py")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "ex04_backprop.py").write_text("SECRET = 1\n")
    (sub / "linked").symlink_to(elsewhere, target_is_directory=True)
    (sub / "more" / "ex05_manual_regression.py").write_text("y = 2\n")
    return sub


def _staged(source, into):
    into.mkdir()
    notes: list = []
    modules = stage_submission(source, into, notes)
    return {m: (into / f).read_bytes() for m, f in modules.items()}, notes


def test_by_path_reads_what_descriptors_read(submission, tmp_path, monkeypatch):
    posix = _staged(submission, tmp_path / "posix")
    monkeypatch.setattr(portable, "posix_files", lambda: False)
    with portable.unsandboxed():
        by_path = _staged(submission, tmp_path / "by_path")
    assert by_path == posix
    files, notes = by_path
    assert files["ex01_linear_model"] == b"def forward(x, w):\r\n    return x * w\n"  # as bytes
    assert files["ex05_manual_regression"] == b"y = 2\n"
    assert b"symbolic link" in files["ex02_gradient_descent"]
    assert b"FIFO" in files["ex03_autograd_basics"]
    assert "ex04_backprop" not in files    # a linked folder is not walked
    assert any("'linked'" in n and "symbolic link" in n for n in notes), notes


def test_by_path_refuses_a_linked_submission(submission, tmp_path, monkeypatch):
    link = tmp_path / "bob"
    link.symlink_to(submission, target_is_directory=True)
    monkeypatch.setattr(portable, "posix_files", lambda: False)
    with portable.unsandboxed():
        files, notes = _staged(link, tmp_path / "work")
    assert files == {} and len(notes) == 1 and "symbolic link" in notes[0], notes


def test_restore_by_path_replaces_links_without_following_them(tmp_path, monkeypatch):
    work, outside = tmp_path / "work", tmp_path / "outside.txt"
    work.mkdir()
    outside.write_text("kept")
    (work / "ex01_linear_model.py").symlink_to(outside)
    (work / "data.csv").mkdir()
    monkeypatch.setattr(portable, "posix_files", lambda: False)
    with portable.unsandboxed():
        restore(work, {"ex01_linear_model.py": b"a = 1\n", "data.csv": b"x\n"})
    assert (work / "ex01_linear_model.py").read_bytes() == b"a = 1\n"
    assert not (work / "ex01_linear_model.py").is_symlink()
    assert (work / "data.csv").read_bytes() == b"x\n"
    assert outside.read_text() == "kept"


def test_only_a_students_check_reads_by_path(submission, tmp_path, monkeypatch):
    """Grading on such a machine stops with the one-line refusal: the submission is not read,
    and the refusal is not turned into a note about it."""
    monkeypatch.setattr(portable, "posix_files", lambda: False)
    with pytest.raises(SandboxUnavailable, match="O_NOFOLLOW .* nothing is graded"):
        _staged(submission, tmp_path / "work")


def test_a_thread_waits_on_a_pipe_within_the_deadline(monkeypatch):
    monkeypatch.setattr(portable, "selectable_pipes", lambda: False)
    r, w = os.pipe()
    with pytest.raises(SandboxUnavailable, match="select"):
        portable.read_within(r, 4, time.monotonic() + 1)
    with portable.unsandboxed():
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            portable.read_within(r, 4, started + 0.3)
        assert 0.25 < time.monotonic() - started < 2
        threading.Timer(0.1, lambda: os.write(w, b"abcdef")).start()
        assert portable.read_within(r, 4, time.monotonic() + 5) == b"abcd"   # no more
        assert portable.read_within(r, 2, time.monotonic() + 5) == b"ef"
        portable.write_within(w, b"xyz", time.monotonic() + 5)
        assert portable.read_within(r, 3, time.monotonic() + 5) == b"xyz"
        os.close(w)
        with pytest.raises(EOFError):
            portable.read_within(r, 1, time.monotonic() + 5)
        portable.close_pipe(r)
    with pytest.raises(OSError):
        os.fstat(r)   # closed


def test_describe_exit_without_wait_statuses():
    assert portable.describe_exit(3 << 8) == "exited with code 3 (sys.exit or os._exit)"
    assert portable.describe_exit(9) == "killed by signal 9"
    assert "native code" in portable.describe_exit(0xC0000005 << 8)
    assert portable.describe_exit(None) == ""
