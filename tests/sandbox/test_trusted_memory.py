"""The trusted side's memory is bounded by its own limits, whatever a worker sends.

A submission whose every function returns a 24 MB array (or a list of as many empty lists) (far more than the inputs call for)
is graded in a fresh process, after the reference was graded there: the grading process's peak
resident memory (ru_maxrss) may not grow by even one such reply. A reply is refused from its
frame's sizes before its header or payload is read (protocol.read_frame), and no refused reply
is kept alive by a reference cycle or an exception chain (2.4 GB for ex01 when it was).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REPLY_MB = 24

HOSTILE = f'''
import numpy as np


def _big(*args, **kwargs):
    return np.ones({REPLY_MB} * 2**20 // 8)


forward = loss = mse_for_weights = forward_wb = mse_surface = best_weight = _big
'''

MEASURE = r'''
import json, resource, sys
from grader.engine.runner import grade_submission
from grader.sandbox import Zygote

zygote = Zygote()
peaks = {}
for name in sys.argv[1:]:
    result = grade_submission(name, zygote, exercises=["ex01"], seed=3)
    peaks[name] = {"kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                   "failed": sum(c.status != "passed" for c in result.checks if c.counted),
                   "messages": sorted({c.message.splitlines()[0][:160] for c in result.checks
                                       if c.status == "failed"})}
zygote.close()
print(json.dumps(peaks))
'''


@pytest.mark.parametrize("kind", ["array", "nested lists"])
def test_refused_replies_cost_the_grader_nothing(tmp_path, kind):
    hostile = HOSTILE
    if kind == "nested lists":
        hostile = hostile.replace(f"np.ones({REPLY_MB} * 2**20 // 8)",
                                  f"[[]] * ({REPLY_MB} * 2**20 // 64)")
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "ex01_linear_model.py").write_text(
        (ROOT / "solutions" / "ex01_linear_model.py").read_text())
    (tmp_path / "hostile").mkdir()
    (tmp_path / "hostile" / "ex01_linear_model.py").write_text(hostile)
    done = subprocess.run([sys.executable, "-c", MEASURE, str(tmp_path / "reference"),
                           str(tmp_path / "hostile")], capture_output=True, text=True,
                          cwd=str(ROOT), timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    peaks = json.loads(done.stdout.strip().splitlines()[-1])
    reference, hostile_run = peaks[str(tmp_path / "reference")], peaks[str(tmp_path / "hostile")]
    assert reference["failed"] == 0
    assert hostile_run["failed"] > 10, hostile_run   # every call refused, none crashed the run
    grown_mb = (hostile_run["kb"] - reference["kb"]) / 1024
    assert grown_mb < REPLY_MB / 2, (
        f"the grading process grew by {grown_mb:.0f} MB while refusing {REPLY_MB} MB replies "
        f"({hostile_run['messages'][:2]})")


def test_no_reader_of_a_submissions_text_parses_past_its_bound(tmp_path):
    """Python's parser costs several hundred times a file's size (a 19 MB ex01 of short lines
    took the grading process to 12 GB and 6 minutes, in staging's import reading, before any
    size check). Every reader on the trusted side parses through grader.sandbox.parsing.parse,
    which reads a file past MAX_PARSE_BYTES as text that does not parse: staging (imports,
    stubs), the review (one finding), a notebook's shell lines (similarity compares a file's
    first MAX_CODE_CHARS only). Peak memory for a file three times the bound stays far below
    what parsing it costs."""
    import tracemalloc
    from grader.engine.review import scan_source
    from grader.sandbox import staging
    from grader.sandbox.parsing import MAX_PARSE_BYTES, TooLarge, parse
    from grader.sandbox.notebooks import script_python
    reference = (ROOT / "solutions" / "ex01_linear_model.py").read_text()
    text = reference + "import utils\nget_ipython()\n" + "a=[1]\n" * (3 * MAX_PARSE_BYTES // 6)
    with pytest.raises(TooLarge):
        parse(text)
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "ex01_linear_model.py").write_text(text)
    (sub / "utils.py").write_text("X = 1\n")
    tracemalloc.start()
    try:
        (tmp_path / "staged").mkdir()
        staging.stage_submission(sub, tmp_path / "staged", [])
        found = scan_source(text, "ex01_linear_model.py")
        script_python(text.encode())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [f.what[:18] for f in found] == ["too large to revie"]
    assert peak < 60 * 2**20, f"{peak / 2**20:.0f} MB"
