"""The corpus of fresh mistakes (tests/fresh, issue 20): wrong student programs written from the
curriculum and the stubs only, never from the checks or the mistakes tables. Each one is graded
through the real grader on its target, as the hold-out is (tests/checks/test_holdout.py), and judged:

  passes  full marks on the target: a grading defect (asserted never)
  named   a hint of a failing check matches one of the entry's `right` patterns
  wrong   a hint matches none of them: it names a cause this program does not have (asserted
          never; the generic questions of bench_named.GENERIC count as hints here too)

Each entry must be named (by a visible check where the entry says `visible`), in whichever
process it runs; run in one process, the count is also held to MIN_NAMED.
Set FRESH_REPORT=<file> to append one JSON line per graded entry (for a table; works with -n).
"""
import json
import os
import re

import pytest

from bench.bench_named import outcome
from grader.exercises import EXERCISES
from tests.fresh import fresh

CORPUS = fresh()
ENTRIES = [pytest.param(ex, w, id=f"{ex}-{w.name}") for ex, ws in CORPUS.items() for w in ws]
MIN_PER_EXERCISE = 6
# named by a hint matching `right`, of the 121 fresh mistakes, measured 2026-12-06 (then: 93
# named, 0 pass, 6 get a wrong hint: sample_gradient_wrt_x, load_csv_float64,
# dataset_skips_first_row, fit_numpy_fixed_lr, fit_numpy_records_every_step,
# poly_grads_tensor_mean); after those hints got their conditions: 96 named, 0 wrong, 0 pass;
# with the relations of grader/engine/compare/relations.py (a square root, a constant factor,
# an offset, one wrong value, ...): 100 named, 0 wrong, 0 pass; with the hints of a blind
# round of student programs and its 11 programs added (133 entries): 115 named, 0 wrong, 0 pass;
# with a learning rate written in (ex05, ex11), the optimizer's kind and momentum (ex06), a and b
# or slope and intercept swapped (ex11, ex05): 121 named, 0 wrong, 0 pass; with issue 20's latest
# list (ex02 SGD/full batch, ex04 dloss_db and zeroing, ex07 one draw, ex10 momentum, ex12
# zeroing, gradients in turn and float64 draws, ex07 rows in turn) and its 14 programs (148
# entries): 136 named, 0 wrong, 0 pass; with round 4's argmax for argmin (ex01), a squeezed
# one-output forward (ex06), w and b swapped in the surface's call (ex01), the factor x missing
# (ex02), and those 3 programs (151 entries): 140 named, 0 wrong, 0 pass; with a loss divided
# by N twice (ex08, round 4's w08h; 152 entries): 141 named; with b never updated (ex04, w04j;
# 153 entries): 142 named, 0 wrong, 0 pass; with p clamped before the log (ex07, w07d; 154
# entries): 143 named, 0 wrong, 0 pass; with a polynomial's terms at another power or swapped
# (ex11, w11b; 155 entries): 144 named, 0 wrong, 0 pass; with a gradient at another power in
# ex04 and ex12 (w04h, w12b; 157 entries): 146 named, 0 wrong, 0 pass; with a coefficient
# updated with another's gradient (ex11, w11i; 158 entries): 147 named, 0 wrong, 0 pass; with
# RMSprop's momentum (ex12, w12j; 159 entries): 148 named, 0 wrong, 0 pass; with round 4's
# NEAR programs told by mechanism (a sum divided by len(weights), ex01; an input left out, ex04;
# y - 3x varying, ex05; rows off by one constant, ex07; rows shifted by one, ex09) and those 5
# programs plus SGD's one loss per sample (ex02; 165 entries): 154 named, 0 wrong, 0 pass;
# with the fifth blind round's float64 w (ex04) and update on a new tensor (ex12), and its NEAR
# programs named by mechanism (quadratic_grads averaged, ex04; mse_loss over len(y), ex05; a
# prediction that keeps its graph, ex06; a loader that shuffles whatever shuffle says, ex09;
# softmax's max without keepdim on a square input, the max not added back to the log-sum-exp,
# classes as floats, ex10; gradients as Python numbers, c and d swapped, Parameters formatted,
# a rebound a counted as named, ex12) and mse_loss_len (168 entries): 168 named, 0 wrong, 0 pass;
# with the error doubled for its square (ex01, loss_times_2; 169 entries): 169 named; with an
# epoch's losses summed or averaged (ex04, train_autograd_epoch_loss_sum; 170 entries): 170 named;
# with RMSprop's alpha (ex12, fit_optim_rmsprop_alpha; 171 entries): 171 named, 0 wrong, 0 pass;
# with a new rng per coefficient (ex11, fit_numpy_rng_per_coefficient; 172 entries): 172 named;
# with the gradient taken at w0 (ex02, gradient_descent_gradient_at_w0; 173 entries): 173 named;
# with the hints that held by chance on one input checked on a second (the least MSE, ex01; sum
# // N, ex02; a sum divided by 4, ex03) and those 3 programs (176 entries): 176 named, 0 wrong;
# with mechanisms named that got a generic message (the square of the mean error, ex01; a
# product of means, ex02; `x * 2` for `x ** 2`, ex04, twice; NumPy's generator, ex05; N // B
# batches, ex09; a ReLU on the logits, ex10; the square of the sum, ex11) and those 8 programs
# (184 entries): 184 named, 0 wrong, 0 pass; with the square of the mean error in ex05's mse_loss
# (185 entries): 185 named; with the reversed error told from the absolute one (ex01,
# loss_reversed_not_squared; 186 entries): 186 named; with the samples visited in reverse order
# (ex02), nothing zeroed for one None .grad (ex03), a gradient's sign in its function's own words
# (ex07, ex12) and step() before backward() (ex06, ex09, ex10, ex12) (194 entries): 194 named;
# with a blind round's generic messages named by mechanism (z = (y * 3) ** 2 and y.mean() for
# y.sum(), ex03; `x * 2` for `x ** 2` in poly_grads, ex11, ex12; the mean absolute error or
# nn.L1Loss for the MSE, ex01, ex02, ex06, ex12; backward() twice a step, ex05-ex08, ex10,
# ex12; float64 draws told without naming NumPy, ex05; a sigmoid on a layer's input, ex06-ex08,
# ex10; a row's log-sum-exp at log(0) from the global max, ex10) and those 20 programs (215
# entries): 215 named, 0 wrong, 0 pass; with the initial values returned after a right training
# told from a run that never moved (ex04, train_quadratic_returns_initial; 216 entries): 216 named;
# with the loss recorded per point (ex11) and each update divided by N (ex04; 218 entries): 218;
# with the draws in another order (ex11) and two gradients swapped in the update (ex12, shared
# with ex11; 220 entries): 220 named; with softmax over the whole tensor (ex10; 221 entries): 221;
# with an item (label, features) (ex09; 222 entries): 222 named; with the gradients taken anew in
# the middle of the update, named before the precision hint (ex11; 223 entries): 223 named; with
# the parameters' dtypes in a module's structure (ex12 Polynomial3; 224 entries): 224 named;
# with SGD's momentum and Adam named in a training run (ex06 train, ex08; 226 entries): 226 named;
# with blind round 9's mistakes that only hidden checks named now named by visible ones (w made
# float32, ex04; loaders sharing one stream, ex09; float64 draws, ex12; `visible` entries count
# only a visible check's hint; 229 entries): 229 named;
# with a first update one factor times the reference's named as the learning rate (ex12
# fit_optim_rmsprop_default_lr; 230 entries): 230 named;
# with blind round 10's mistakes named by mechanism (contract checks for non-finite gradients,
# a missing class, a one-row file; a variance, a mean over the wrong axis, N - 1, a flattened
# target, a one-feature forward, a tanh sigmoid, zero_grad once per epoch, divide by C; 248
# entries): 248 named; with a loss recorded from each epoch's first sample (ex04; 249 entries):
# 249 named; and from stochastic gradient descent's epochs (ex02; 250 entries): 250 named
# ...; with a later blind round's mistakes (a generator walked twice, an optimizer kept between
# calls, rounded MSEs, denormal probabilities, precedence slips, running totals, ...; 300
# entries): 300 named
MIN_NAMED = 300

_seen: dict[str, dict] = {}


def judge(wrong, o, result=None) -> dict:
    hints = o["hints"]
    named_by = hints
    if wrong.visible and result is not None:
        # named where a student sees it: by a failing visible check of the target
        named_by = [h for c in result.checks if c.target == wrong.target and c.visible
                    and c.status in ("failed", "error", "not started") for h in c.hints]
    return {"passes": not o["lose"],
            "named": any(wrong.is_right(h) for h in named_by),
            "wrong_hints": [h for h in hints if not wrong.is_right(h)],
            "hints": hints, "first": o["first"]}


def test_every_exercise_has_its_fresh_mistakes():
    short = [ex for ex in EXERCISES if len(CORPUS.get(ex, [])) < MIN_PER_EXERCISE]
    assert not short, f"fewer than {MIN_PER_EXERCISE} fresh mistakes: {short}"
    names = [(ex, w.name) for ex, ws in CORPUS.items() for w in ws]
    assert len(names) == len(set(names))


def test_no_right_pattern_accepts_any_hint():
    """A pattern that matches everything would make every hint right."""
    neutral = ["", "x", "returned the wrong value", "the result differs from the expected one"]
    loose = [(ex, w.name, p) for ex, ws in CORPUS.items() for w in ws for p in w.right
             for text in neutral if re.search(p, text, re.IGNORECASE)]
    assert not loose, loose


@pytest.mark.parametrize("ex,wrong", ENTRIES)
def test_fresh_mistake(grade, ex, wrong):
    result = grade(ex, wrong.code, targets=[wrong.target])
    j = judge(wrong, outcome(result, wrong.target), result)
    _seen[f"{ex} {wrong.name}"] = j
    report = os.environ.get("FRESH_REPORT")
    if report:
        with open(report, "a") as f:
            f.write(json.dumps({"ex": ex, "name": wrong.name, "target": wrong.target,
                                "what": wrong.what, **j}) + "\n")
    assert not j["passes"], f"{ex} {wrong.name} ({wrong.what}) scores full marks"
    assert not j["wrong_hints"], (f"{ex} {wrong.name} ({wrong.what}) gets a hint naming "
                                  f"another cause: {j['wrong_hints']}")
    where = "by a visible check" if wrong.visible else "by any check"
    assert j["named"], f"{ex} {wrong.name} ({wrong.what}) is not named {where}: {j['hints']}"


def test_the_named_count_does_not_fall():
    """Runs after the grading above (same module, in order); skipped when it ran alone or
    spread over several processes (-n): then each entry's own test asks that it be named."""
    if len(_seen) < len(ENTRIES):
        pytest.skip("the fresh corpus was not all graded in this process")
    named = sum(j["named"] for j in _seen.values())
    unnamed = sorted(k for k, j in _seen.items() if not j["named"])
    assert named >= MIN_NAMED, f"{named} of {len(_seen)} named; not named: {unnamed}"
