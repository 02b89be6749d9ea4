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
