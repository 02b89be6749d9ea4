"""The check-authoring API: everything a check file takes from the engine, in one import.

    import pytest
    from grader.checks.api import Case, assert_close, check, devices, expected

    pytestmark = pytest.mark.ex02
    COURSE = Case("course", "ex02.gradient", ([1., 2., 3.], [2., 4., 6.], 1.0), grad=False)

    @check("gradient", points=2, visible=True)
    @devices()
    def test_gradient_course_numbers(sub, device):
        '''gradient at w = 1 on the course data'''
        got = COURSE.on(device).run(sub)
        assert_close(got, expected(COURSE, device), call="gradient(x, y, w=1.0)")

What is here, by use (docs/writing-checks.md has the table):
    marking a check        check, property_of, devices, dtypes
    inputs                 gen, np_rng, randn, uniform, away_from_zero, data_path, Case,
                           expected
    calling student code   sub.call / sub.probe (the `sub` fixture), manual_call, StudentError,
                           meta, network (the model a probe builds from a spec, built the same
                           way on the trusted side)
    comparing              assert_close, assert_gradient, assert_trajectory, located, reruns,
                           fail, kind_of, show,
                           scale_mistakes, input_offsets, broadcast_square, autograd_grad,
                           central_difference, also_on and same_values (a hint kept only where
                           a second input shows its mistake too: grader/checks/evidence.py,
                           where scale_mistakes takes a sign hint in the function's own words),
                           TOL, TRAJECTORY_TOL, GRADCHECK_TOL, FD_EPS, CheckFailure
    training and modules   assert_state, assert_fit, assert_minibatch_run, assert_leaf,
                           assert_no_graph, assert_structure, assert_forward_pure, Mistakes,
                           Recorded, variant_id, record_steps, ... (grader/checks/training.py)
    the feedback page      plot
    known wrong programs   Mutant (an exercise's private/mutants.py)
    trusted answers        reference, reference_probe, solution_module: the instructor's side
                           only (hidden checks and private/ code; the kit has no references)

The names are defined where they work (the comparisons in grader/engine/compare/, the training
helpers in grader/checks/training.py, ...); check files import them from here only, which
tests/engine/test_check_api.py enforces.
"""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import torch

from grader.checks.evidence import (also_on, argument_ignored, default_differs,
                                    defaults_that_differ, earlier_answer, kept_between_calls,
                                    last_update_missing, list_kept, other_counts, over_count,
                                    same_values, scale_mistakes, sigmoid_inputs, summed)
from grader.checks.training import (COEFFICIENTS_ORDER, GRADS_DOUBLED, GRADS_DOUBLED_OR_LR,
                                    HALF_GRADIENT, L1_LOSS, LOSS_AFTER_STEP,
                                    LOSS_AFTER_UPDATE, LOSS_MISTAKES, LOSSES_OF_STEPS_0_100,
                                    NO_ZERO_GRAD, SIGMOID_TWICE, SIGN_FLIPPED, STALE_GRADS,
                                    SUM_LOSS, UPDATE_ADDS_GRADIENT, ZERO_AFTER_BACKWARD, Mistakes,
                                    Recorded, assert_fit, assert_forward_pure, assert_leaf,
                                    assert_minibatch_run, assert_no_graph, assert_sgd_optimizer,
                                    assert_dtypes, assert_state, assert_structure,
                                    divided_by_rows,
                                    fit_grads_of_mean, formula_state, grads_of_mean,
                                    inplace_leaf_hint, momentum_of, named_student_error, reruns,
                                    as_run, prefix_cases, probe_reruns, recorded_reruns,
                                    crossed_update, naming_rebound, never_moved_hint,
                                    random_state, rebound_parameter,
                                    refuse_steps_that_never_move, traj_tol, variant_id)
from grader.checks.student_errors import (assert_made_leaf, naming_bce_target,
                                          naming_float64_weights)
from grader.datasets import path as data_path
from grader.engine.expected import Case, expected
from grader.exercises import Mutant
from grader.engine.compare import CheckFailure, fail
from grader.engine.compare.close import assert_close
from grader.engine.compare.derivatives import (FD_EPS, assert_gradient, autograd_grad,
                                               central_difference, float_central_difference)
from grader.engine.compare.mistakes import (broadcast_square, grad_power_mistakes,
                                            input_offsets, term_power_mistakes)
from grader.engine.compare.relations import never_moved
from grader.engine.compare.values import as_array
from grader.engine.compare.tolerances import GRADCHECK_TOL, TOL, TRAJECTORY_TOL, tolerance
from grader.engine.compare.trajectories import assert_trajectory, located
from grader.engine.compare.values import kind_of, show
from grader.engine.plots import plot
from grader.sandbox.inside.probes.common import network
from grader.sandbox import StudentError
from grader.sandbox.protocol import meta
from grader.sandbox.inside.steps import record_steps


__all__ = [
    "also_on", "as_array", "summed", "sigmoid_inputs", "default_differs", "defaults_that_differ",
    "argument_ignored", "earlier_answer", "other_counts", "over_count", "last_update_missing",
    "kept_between_calls", "list_kept", "assert_close", "assert_fit", "assert_forward_pure", "assert_gradient", "assert_leaf", "assert_made_leaf",
    "assert_minibatch_run", "assert_no_graph", "assert_sgd_optimizer", "assert_state",
    "assert_structure", "assert_dtypes", "divided_by_rows", "refuse_steps_that_never_move", "assert_trajectory", "autograd_grad", "away_from_zero", "broadcast_square",
    "Case", "crossed_update",
    "central_difference", "check", "CheckFailure", "COEFFICIENTS_ORDER", "data_path", "devices",
    "dtypes", "expected", "fail", "FD_EPS", "fit_grads_of_mean", "float_central_difference",
    "formula_state", "gen", "GRADCHECK_TOL", "grads_of_mean", "HALF_GRADIENT", "inplace_leaf_hint",
    "input_offsets",
    "kind_of", "located",
    "GRADS_DOUBLED", "GRADS_DOUBLED_OR_LR", "L1_LOSS",
    "LOSS_AFTER_STEP", "LOSS_AFTER_UPDATE", "LOSS_MISTAKES", "LOSSES_OF_STEPS_0_100",
    "manual_call", "meta", "Mistakes", "momentum_of", "Mutant", "named_student_error",
    "naming_bce_target", "naming_float64_weights", "naming_rebound",
    "network", "never_moved", "never_moved_hint", "NO_ZERO_GRAD", "np_rng", "plot", "property_of", "randn", "random_state",
    "rebound_parameter", "reruns", "as_run", "prefix_cases", "probe_reruns",
    "recorded_reruns",
    "record_steps", "Recorded", "scale_mistakes", "show", "grad_power_mistakes",
    "term_power_mistakes",
    "same_values", "SIGMOID_TWICE", "SIGN_FLIPPED", "STALE_GRADS", "StudentError", "SUM_LOSS",
    "TOL", "tolerance", "traj_tol", "TRAJECTORY_TOL", "uniform", "UPDATE_ADDS_GRADIENT", "variant_id",
    "ZERO_AFTER_BACKWARD"]


def check(target: str, points: float = 1, visible: bool = False, uses=()):
    """Mark a test as a graded check of `target` (a function or class of the exercise).
    `uses`: the student's other targets the check hands to it (predict_classes gets the
    student's SoftmaxClassifier): where their own checks fail, this check's message says to
    fix them first (grader.engine.result.blame_callees)."""
    def wrap(fn):
        fn = pytest.mark.points(points)(fn)
        fn = pytest.mark.target(target, *uses)(fn)
        fn = (pytest.mark.visible if visible else pytest.mark.hidden)(fn)
        return fn
    return wrap


def property_of(*targets):
    """Mark a check of a property that an answer doing no work may also have (a gradient of 0 at
    the minimum, w0 back after 0 epochs): it counts only when the value checks of `targets`
    (default: its own target) pass in the same run (grader.engine.result.count_property_checks)."""
    return pytest.mark.property_of(*targets)


_TRUSTED = ("reference", "reference_probe", "solution_module")


def __getattr__(name):
    """The trusted answers, loaded when a hidden check first asks for them: they live on the
    instructor's side (grader/engine/reference.py), which the kit and the workers do not
    have."""
    if name in _TRUSTED:
        from grader.engine import reference as trusted
        return getattr(trusted, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


AUTOGRAD_ERRORS = ("does not require grad", "grad_fn", "requires_grad", "Trying to backward")


def manual_call(sub, target: str, *args, **kwargs):
    """sub.call(target, *args, grad=False): a "manual" function runs with autograd off. When it
    fails because it used autograd anyway (.backward() under no_grad), the failure says so:

        got = manual_call(sub, "ex02.gradient", xs, ys, 1.0)
    """
    try:
        return sub.call(target, *args, grad=False, **kwargs)
    except StudentError as exc:
        if exc.kind == "exception" and any(s in str(exc) for s in AUTOGRAD_ERRORS):
            func = target.split(".", 1)[1]
            fail(exc.describe(f"{func}(...) with autograd off") +
                 f"\n  hint: {func} computes its derivative by hand: it must work under "
                 f"torch.no_grad() and on tensors that do not require grad, so .backward() and "
                 f"torch.autograd.grad cannot be used in it. Write the formula instead.")
        raise


def devices():
    """Parametrise over devices: cpu always, cuda too (skipped with a reason where absent)."""
    return pytest.mark.parametrize("device", ["cpu", "cuda"])


def dtypes(*names):
    names = names or ("float32", "float64")
    return pytest.mark.parametrize("dtype", [getattr(torch, n) for n in names],
                                   ids=list(names))


def _mix(seed: int, keys) -> int:
    text = json.dumps([seed, *[str(k) for k in keys]])
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little") \
        % (2**62)


def gen(seed: int, *keys) -> torch.Generator:
    """A CPU torch.Generator seeded from the run's seed and the keys (e.g. the check's name)."""
    return torch.Generator().manual_seed(_mix(seed, keys))


def np_rng(seed: int, *keys) -> np.random.Generator:
    return np.random.default_rng(_mix(seed, keys))


def randn(g: torch.Generator, *shape, dtype=torch.float64, device="cpu", scale=1.0):
    return (torch.randn(shape, generator=g, dtype=torch.float64) * scale).to(dtype).to(device)


def uniform(g: torch.Generator, *shape, low=-1.0, high=1.0, dtype=torch.float64, device="cpu"):
    t = torch.rand(shape, generator=g, dtype=torch.float64) * (high - low) + low
    return t.to(dtype).to(device)


def away_from_zero(rng: np.random.Generator, n: int, low: float, high: float) -> np.ndarray:
    """n samples of random sign and size between `low` and `high`, none near 0. A training
    sample at x = 0 has no gradient: a step there changes nothing, and a loss recorded after
    the step instead of before it looks right.

        >>> away_from_zero(np_rng(1, "x"), 3, 0.3, 1.5).round(2)
        array([-0.36,  0.36, -1.39])
    """
    return rng.choice([-1.0, 1.0], n) * rng.uniform(low, high, n)
