"""A reply must not grow on the trusted side.

A 64 MiB uint8 tensor returned where a float is expected grew the grading process by 512 MiB:
the reply budget (grader.sandbox.replies.reply_budget) counted list, tuple and dict entries but
not a tensor's elements, and assert_close converted the whole result to float64 before asking
its size. Two things stop the class: decode charges every element of every tensor and array (a
gradient's too) to the same budget before a byte is copied, and the comparisons (assert_close,
the trajectories) ask kind, shape and size before any float64 conversion; plots cut before they
convert (tests/checks/test_undrawable_plots.py).
"""
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from grader.sandbox import Submission, Zygote, protocol, replies
from grader.sandbox.submission import StudentError

ROOT = Path(__file__).resolve().parents[2]
BUDGET = replies.reply_budget(([1.0, 2.0], [2.0, 4.0], 1.0))


REPLIES = {
    "uint8 tensor": lambda n: torch.zeros(n, dtype=torch.uint8),
    "float64 tensor": lambda n: torch.zeros(n, dtype=torch.float64),
    "2-D tensor": lambda n: torch.zeros(n // 100, 100, dtype=torch.uint8),
    "NumPy array": lambda n: np.zeros(n, dtype=np.uint8),
    "tensor in a tuple": lambda n: (1.0, torch.zeros(n, dtype=torch.uint8)),
    "tensors in a list": lambda n: [torch.zeros(n // 1000, dtype=torch.int8)] * 1000,
    "arrays in a dict": lambda n: {str(i): np.zeros(n // 100) for i in range(100)},
    "a tensor's gradient": lambda n: _grad_tensor(n),
}


def _grad_tensor(n):
    """A tensor within the budget whose gradient (the encoder sends it along) is not."""
    n = min(n, BUDGET * 3 // 5)
    t = torch.zeros(n, requires_grad=True)
    t.grad = torch.zeros(n)
    return t


@pytest.mark.parametrize("kind", REPLIES)
def test_tensor_and_array_elements_count_toward_the_reply_budget(kind):
    frame = protocol.encode(REPLIES[kind](2_000_000))
    with pytest.raises(protocol.ProtocolError, match=f"more than {BUDGET} values, far more "
                                                     f"than the inputs call for"):
        protocol.decode(*protocol.split(frame), max_items=BUDGET)
    small = protocol.decode(*protocol.split(protocol.encode(REPLIES[kind](1000))),
                            max_items=BUDGET)   # what honest results hold: decoded
    assert small is not None


def test_reply_budget_allows_a_tensor_per_input():
    x = torch.zeros(500, 20)
    budget = replies.reply_budget((x, torch.zeros(500)))
    for honest in (torch.zeros(500, 20), torch.zeros(20, 20), (torch.zeros(500, 20),) * 8,
                   [torch.zeros(500)] * 100):
        protocol.decode(*protocol.split(protocol.encode(honest)), max_items=budget)


PEAK = r"""
import json, resource, sys
import numpy as np, torch
from grader.sandbox import protocol, replies
from grader.engine.compare import CheckFailure
from grader.engine.compare.close import assert_close
from grader.engine.compare.trajectories import assert_trajectory

n = 64 * 1024 * 1024
frame = protocol.encode(torch.zeros(n, dtype=torch.uint8))
try:
    protocol.decode(*protocol.split(frame), max_items=replies.reply_budget((1.0, 2.0)))
    refused = False
except protocol.ProtocolError:
    refused = True
got = protocol.decode(*protocol.split(frame))           # as if the budget let it through
del frame
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
messages = []
expected = [1.0, (1.0, 2.0), [1.0, 2.0, 3.0], torch.zeros(3, dtype=torch.float64),
            np.zeros((4, 2)), torch.zeros(2, 3), (torch.zeros(3), 1.0)]
forms = [got, got.numpy(), (got, 1.0), [got], got.reshape(1024, -1)]
for want in expected:
    for g in forms:
        try:
            assert_close(g, want, call="cost(...)", mistakes={"a mistake": want})
            messages.append("passed")
        except CheckFailure as e:
            messages.append(str(e).splitlines()[0])
for g in forms:
    for call in (lambda: assert_trajectory({"w": g}, {"w": torch.zeros(5, 3)}, call="fit"),
                 lambda: assert_trajectory((g, [1.0, 2.0]), (torch.zeros(3), [1.0, 2.0]),
                                           call="fit", names=("w", "costs"))):
        try:
            call()
            messages.append("passed")
        except CheckFailure as e:
            messages.append(str(e).splitlines()[0])
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"refused": refused, "grew_mib": (peak - base) / 1024, "messages": messages}))
"""


def test_comparing_a_huge_tensor_result_costs_no_copy_of_it():
    out = subprocess.run([sys.executable, "-c", PEAK], capture_output=True, text=True,
                         cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["refused"]
    # a float64 copy of the reply would be 512 MiB; each comparison fails without one
    assert report["grew_mib"] < 32, report["grew_mib"]
    assert "passed" not in report["messages"]
    assert "cost(...) should return a number, got tensor of shape (67108864,), dtype uint8, " \
           "on cpu." in report["messages"]
    assert "cost(...) returned 67108864 values (tensor of shape (67108864,), dtype uint8, on " \
           "cpu), expected 2 (tuple of length 2)." in report["messages"]
    assert "cost(...) returned a tensor of shape (67108864,), expected (3,)." \
           in report["messages"]


REFERENCE_EX02 = (ROOT / "solutions" / "ex02_gradient_descent.py").read_text()


@pytest.mark.parametrize("value", ["torch.zeros(64 * 2**20, dtype=torch.uint8)",
                                   "numpy.zeros(8 * 2**20, dtype=numpy.uint8)",
                                   "(1.0, [torch.zeros(2**16)] * 64)"])
def test_a_huge_tensor_reply_costs_only_its_own_call(tmp_path, value):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "ex02_gradient_descent.py").write_text(REFERENCE_EX02 + textwrap.dedent(f'''

        import numpy, torch

        def gradient(xs, ys, w):
            return {value}
    '''))
    z = Zygote()
    try:
        with Submission(folder, z) as sub:
            with pytest.raises(StudentError, match="more than .* values, far more than the "
                                                   "inputs call for"):
                sub.call("ex02.gradient", [1.0, 2.0], [2.0, 4.0], 1.0)
            assert sub.call("ex02.cost", [1.0], [2.0], 1.0) == 1.0   # the grader carries on
    finally:
        z.close()
