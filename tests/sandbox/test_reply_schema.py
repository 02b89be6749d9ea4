"""Every reply is untrusted data: one schema (types, ranges, lengths) is checked where replies
are decoded (replies.decode_reply), and nothing a worker sends reaches the trusted side
unchecked.

The unit tests forge each field of an honest reply in every way a worker could (a wrong type,
a huge or negative number, text past its cap, an unknown field) and expect a ProtocolError,
never another exception and never a value passed on. The end-to-end test grades a correct
ex02 whose module rewrites the counters of its own captured output (sys.stdout is its
CappedStream while it runs) and checks that every consumer of a result (the score table,
results.json, the feedback page, the gradebook, the class run) takes the result as it is.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.sandbox import protocol
from grader.sandbox.protocol import ProtocolError, encode, split
from grader.sandbox.replies import decode_reply

ROOT = Path(__file__).resolve().parents[2]
HONEST = {"status": "ok", "value": 2.0, "id": 3, "nonce": "9f0c", "stdout": "hi\n",
          "stdout_chars": 3, "seconds": 0.01}
HONEST_ERROR = {"status": "error", "kind": "exception", "type": "ValueError",
                "message": "ValueError: no", "where": "ex02_gradient_descent.py, line 3, in f",
                "traceback": "  File ...", "id": 4, "nonce": "77aa", "stdout": "", "stdout_chars": 0,
                "seconds": 0.0, "notes": ["code cell 2 was skipped, it raised ValueError. "
                                          "The cell starts: x"]}

FORGED = {
    "status": ["OK", None, 1, ["ok"], "error" * 10],
    "id": [None, "3", 3.0, True, -1, 0, 2**70, 10**4000],
    "nonce": [None, 5, "n" * 65, ["9f0c"]],
    "stdout_chars": [-5, 2**70, 10**4000, 3.5, "3", None, True, [3]],
    "stdout": [None, 3, "x" * 4001, ["x"]],
    "message": [None, 5, "m" * 2001, {"a": 1}],
    "where": ["w" * 401, 3],
    "traceback": ["t" * 3001, ["t"]],
    "type": ["T" * 201, 7],
    "seconds": [-1.0, float("inf"), float("nan"), 1e300, "0.1", None],
    "notes": ["a note", [1], ["n" * 501], ["n"] * 21, {"n": 1}],
    "restart": ["yes", 1, None],
    "kind": ["timeout", "budget", "passed", 3, None],
    "secret_field": [1],
}


def _frame(reply):
    return split(encode(reply))


@pytest.mark.parametrize("base", [HONEST, HONEST_ERROR], ids=["ok", "error"])
def test_an_honest_reply_passes_as_it_is(base):
    out = decode_reply(*_frame(base), max_items=10_000)
    for key, value in base.items():
        assert out[key] == value


@pytest.mark.parametrize("field,value", [(f, v) for f, values in FORGED.items()
                                         for v in values],
                         ids=lambda v: str(v)[:20])
def test_every_forged_field_is_refused(field, value):
    base = HONEST_ERROR if field == "kind" else HONEST
    try:
        frame = _frame(dict(base, **{field: value}))
    except ValueError:  # too large for JSON: the worker cannot even send it
        return
    with pytest.raises(ProtocolError):
        decode_reply(*frame, max_items=10_000)


def test_a_reply_that_is_not_a_dict_is_refused():
    for reply in ([HONEST], "ok", 3, None, (HONEST,)):
        with pytest.raises(ProtocolError):
            decode_reply(*_frame(reply), max_items=10_000)


def test_integers_in_values_are_bounded():
    """A 4300-digit integer (the most JSON reads) in a result is refused, where it once
    crashed the score table."""
    header = json.dumps({"tree": {"$": "dict", "items": [
        ["status", "ok"], ["id", 1], ["nonce", "a"], ["value", None]]}, "sizes": []}).encode()
    header = header.replace(b'"value", null', b'"value", ' + b"9" * 4300)
    with pytest.raises(ProtocolError, match="integer"):
        decode_reply(header, b"", max_items=10_000)
    assert protocol.roundtrip(2**63) == 2**63


TAMPERED = '''

import sys


_inner_gradient = gradient


def gradient(xs, ys, w):
    print("a line")
    sys.stdout.total = {total}
    sys.stdout.kept = ["x" * 10**6]
    return _inner_gradient(xs, ys, w)
'''


@pytest.mark.parametrize("total", ["2**70", "-10**6", "10**5000", "float('inf')", "'many'"])
def test_forged_output_counts_cost_only_their_own_points(total, grade, tmp_path, zygote,
                                                          monkeypatch):
    """Each consumer of a result takes it: none of them sees the forged count."""
    from grader.engine import report
    from grader.classroom.gradebook import Gradebook
    source = (ROOT / "solutions" / "ex02_gradient_descent.py").read_text() + \
        TAMPERED.format(total=total)
    result = grade("ex02", files={"ex02_gradient_descent.py": source})
    assert 0 <= result.stdout_chars < 2**53
    gradient = [c for c in result.checks if c.target == "gradient" and c.counted]
    assert gradient and all(c.status in ("failed", "passed") for c in gradient)
    assert any(c.status == "passed" for c in result.checks if c.target == "cost")
    text = report.score_table(result)
    json.dumps(report.gradescope_json(result))
    book = Gradebook(tmp_path / "gradebook.db")
    try:
        book.record("mallory", result, content_hash="0" * 16)
    finally:
        book.close()
    assert "total" in text


def test_a_frame_written_into_the_result_pipe_by_student_code_is_refused(tmp_path, zygote):
    """Student code can find the result pipe's descriptor and write a whole frame into it,
    with the right request number; it cannot know the request's random mark. (The frames are
    made here and handed in as bytes: a worker cannot import the grader's own modules.)"""
    from grader.sandbox import StudentError, Submission
    frames = [encode({'status': 'ok', 'value': 99.0, 'id': n, 'nonce': 'x' * 32, 'stdout': '',
                      'stdout_chars': 0, 'seconds': 0.0}) for n in range(1, 5)]
    (tmp_path / "ex01_linear_model.py").write_text(
        "import os, stat\n"
        f"FRAMES = {frames!r}\n"
        "def forward(x, w):\n"
        "    frame = None\n"
        "    for fd in range(3, 64):\n"
        "        try:\n"
        "            mode = os.fstat(fd).st_mode\n"
        "        except OSError:\n"
        "            continue\n"
        "        if stat.S_ISFIFO(mode):\n"
        "            for frame in FRAMES:\n"
        "                try:\n"
        "                    os.write(fd, frame)\n"
        "                except OSError:\n"
        "                    pass\n"
        "    return x * w\n")
    with Submission(tmp_path, zygote) as sub:
        with pytest.raises(StudentError) as forged:
            sub.call("ex01.forward", 3.0, 2.0)
        assert "did not write" in str(forged.value)
