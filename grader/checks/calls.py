"""The `sub` every check gets: the submission, with each call to a student's function made
through one probe (grader/sandbox/inside/probes/guard.py) that also watches two contracts of
CURRICULUM.md's "Decisions on contracts" which no value shows:

- inputs are not changed: a call that changes a tensor, array or list it was given (its
  values, shape, .grad or requires_grad) fails, naming the argument and the in-place
  operation, unless the function's contract updates in place (its name ends in "_");
- the global random state: a function that takes a `seed` must leave torch's, NumPy's and
  Python's global generators as it found them (they are put in a state of their own before
  the call), so `torch.manual_seed(seed)` inside it fails, naming the generator.

A call whose student code raises is made again the plain way (Submission.call), so that
the worker's own account of a failed call is the one the check reads; its value never counts.
Whether a function is seeded is the contract's word (the reference's signature), not the
student's.
"""
from __future__ import annotations

import functools

from grader.checks.api import StudentError, fail
from grader.engine.compare import CheckFailure
from grader.engine.review.autograd_names import COUNTS
from grader.engine.review.manual import MANUAL, USES_AUTOGRAD
from grader.sandbox.remote import read_fact

# the out-of-place way of writing each in-place operation the guard can name
OUT_OF_PLACE = {"+=": "write `{n} = {n} + ...` instead", "-=": "write `{n} = {n} - ...` instead",
                "*=": "write `{n} = {n} * ...` instead", "/=": "write `{n} = {n} / ...` instead",
                "**=": "write `{n} = {n} ** ...` instead",
                "[...] =": "make a copy first, `{n} = {n}.clone()`, then `{n}[...] = value`",
                "requires_grad_": "make a copy, `{n}.detach().clone().requires_grad_()`"}

# the in-place methods that an augmented assignment calls (z -= m calls z.sub_(m))
ARITHMETIC = {"add_": "+", "sub_": "-", "mul_": "*", "div_": "/", "true_divide_": "/",
              "pow_": "**", "floor_divide_": "//", "remainder_": "%"}


def input_changed_hint(func: str, name: str, what: str, ops=()) -> str:
    """The hint for a call that changed its argument `name` in place."""
    if ops:
        op = ops[0]
        if op in OUT_OF_PLACE:
            fix = OUT_OF_PLACE[op].format(n=name)
            how = f"`{op}` on {name} writes into the caller's tensor: {fix}"
        elif op in ARITHMETIC:
            sym = ARITHMETIC[op]
            how = (f"`{name}.{op}()` (which `{name} {sym}= ...` calls) writes into the caller's "
                   f"tensor: use `{name} = {name} {sym} ...`")
        elif op.endswith("(out=...)"):
            how = f"`{op}` writes into {name}: drop out= and use the result"
        else:
            how = (f"`{name}.{op}()` writes into the caller's tensor: use the out-of-place "
                   f"`{name}.{op[:-1]}()` (or `torch.{op[:-1]}({name})`)")
    elif what.startswith(("its item", "its length", "its entr")):   # a list, tuple, dict
        how = (f"Make a new one instead of changing {name}: `sorted({name})`, not "
               f"`{name}.sort()`; `{name} + [v]`, not `{name}.append(v)`; or copy it first, "
               f"`{name} = list({name})`")
    else:
        how = (f"Compute a new value instead of changing {name}: `{name} = {name} * 2`, not "
               f"`{name} *= 2`; `np.sort({name})`, not `{name}.sort()`; or copy it first, "
               f"`{name} = {name}.copy()`")
    return (f"{func} changed its argument {name} in place ({what}): the caller's data must "
            f"come back as it was given. {how}.")


def rng_changed_hint(func: str, generators) -> str:
    """The hint for a seeded function that reseeded or drew from the global generators."""
    names = {"torch": "torch's (torch.manual_seed, torch.rand without generator=)",
             "numpy": "NumPy's (np.random.seed, np.random.rand)",
             "random": "Python's (random.seed, random.random)",
             "torch.cuda": "CUDA's (torch.cuda.manual_seed, torch.randn(..., device='cuda') "
                           "without generator=)"}
    which = "; ".join(names[g] for g in generators if g in names) or "the global one"
    return (f"{func} changed the global random state, {which}: a function that takes a seed "
            f"draws from its own generator, torch.Generator().manual_seed(seed) (then "
            f"generator=g) or np.random.default_rng(seed), and leaves the global one as it "
            f"found it; torch.manual_seed(seed) inside it reseeds every other random number "
            f"of the program.")


# why a call's answer is not autograd's (guard's _Evidence.verdict), in the failure's words
NOT_AUTOGRAD = {
    "none": "autograd's backward pass never ran in the call. This function is about "
            "autograd's reverse mode, so its gradients must come from backward() (or "
            "torch.autograd.grad) on a graph of its own data: a fresh leaf copy of the input, "
            "or the parameters it trains (forward mode, torch.func.jacfwd or dual numbers, "
            "does not count: it is not this lesson).",
    "elsewhere": "autograd ran, but on a graph that reaches neither a leaf copy of the input "
                 "nor the parameters the function trains: a backward() on something else does "
                 "not compute its gradients.",
    "not_returned": "autograd ran on a leaf copy of the input, but what the function returned "
                    "is not a gradient autograd computed there: return the leaf's .grad (or "
                    "what torch.autograd.grad gave).",
    "unused": "autograd ran, but the answer does not come from the gradients it computed: run "
              "again with every gradient of its backward passes turned round, the call "
              "returned the same values and left the same parameters.",
    "apart": "run again on copies of the same arguments, it failed, gave another answer or "
             "ran no backward pass, so its answer comes from something besides its arguments "
             "and the gradients autograd computes from them (a value or a memo kept from an "
             "earlier call, or a test of where it runs), and the grader cannot see that it "
             "uses them.",
    "raised": "run again with every gradient of its backward passes turned round, it raised "
              "where the same run as it is did not: a check of its own that stops a run (an "
              "assert that the loss went down) keeps the grader from seeing whether its answer "
              "comes from those gradients. Return the values and let the caller judge them.",
    "uncopied": "its arguments could not be copied with copy.deepcopy, which the grader needs "
                "to check that the answer comes from autograd's gradients (the call runs on a "
                "copy of them): keep the model's attributes to tensors, layers and plain "
                "values (a lock, an open file or a generator made where it is used, not kept "
                "on the model; no __deepcopy__ of its own).",
}
NO_AUTOGRAD = ("the lesson here is autograd itself: make leaves that require grad (a copy of "
               "the input, x.detach().clone().requires_grad_(True), or the parameters), build "
               "the expression from them, call backward() and use the leaves' .grad; a formula "
               "worked out by hand, however right, skips what the exercise teaches.")
UNUSED_GRADIENTS = ("each update must use the gradients backward() computes in its step: an "
                    "update that runs before backward() found no gradients when it ran "
                    "(zeroed, or not yet computed), and one made from values worked out beside "
                    "autograd does not follow them either. For every step: zero_grad(), "
                    "backward(), then the update from .grad.")
UNCOPIED = ("copy.deepcopy(model) must work for the grader to run the call: whatever cannot be "
            "copied (threading.Lock(), an open file, a generator) belongs in the function that "
            "uses it, not on the model or its optimizer.")
APART = ("the same arguments must give the same answer, by the same backward passes: keep "
         "no state between calls (a module-level list, counter or memo it reads), raise no "
         "error of its own, and make each answer from autograd's gradients of this call's own "
         "data.")
MANUAL_USES_AUTOGRAD = ("a manual function computes its derivative by hand: it must give the "
                        "same answer with autograd off, so torch.enable_grad(), "
                        "torch.set_grad_enabled(True), .backward(), torch.autograd.grad, "
                        "torch.func (grad, jvp), forward-mode dual tensors, autograd's own "
                        "derivative kernels (torch.ops.aten.*_backward) and complex-step "
                        "tricks cannot be used in it, in this thread or another, nor a process "
                        "that could. Write the formula instead.")


class Guarded:
    """A Submission whose `call` goes through the guard probe, and whose `probe` reads what a
    probe's own watched calls found; everything else is the submission's own."""

    def __init__(self, submission):
        self._sub = submission

    def __getattr__(self, name):
        return getattr(self._sub, name)

    def call(self, target: str, *args, grad: bool | None = None,
             timeout: float | None = None, **kwargs):
        ex, func = target.split(".", 1)
        try:
            out = self._sub.probe("guard.call", ex, func, list(args), kwargs, grad,
                                  contract_seeded(ex, func), func in MANUAL.get(ex, ()),
                                  _needs_autograd(ex, func, args, kwargs), timeout=timeout,
                                  expect=_expected(ex))
        except StudentError as err:
            if err.kind != "exception":
                raise
            # The same call again, plain, for the worker's own account of the failure (the
            # names it rebinds). A function that fails only while it is watched (it noticed
            # the guard: its random state, its reading of the signature) fails: the plain
            # call's value never counts.
            self._sub.call(target, *args, grad=grad, timeout=timeout, **kwargs)
            raise
        if not isinstance(out, dict) or "missing" in out:
            # no function of that name where the guard looked: none is run unwatched, even
            # one that a later look would find (a module's own __getattr__ answering twice)
            from grader.exercises import module_of
            raise StudentError("missing", f"{module_of(ex)}.py has no function or class "
                                          f"named {func!r}")
        if grad is False or func in MANUAL.get(ex, ()) or \
                _needs_autograd(ex, func, args, kwargs):   # "it used (no) autograd": measured
            read_fact()      # in the worker, or read by the review (a finding withholds it)
        judge(out.get("guard"))
        return out.get("value")

    def probe(self, name: str, module: str, *args, **kwargs):
        # which of the functions the probe calls are autograd's: told with the probe itself
        out = self._sub.probe(name, module, *args, expect=_expected(module.split("_", 1)[0]),
                              **kwargs)
        if isinstance(out, dict) and "guard" in out:
            judge(out.pop("guard"))
        return out


def _expected(ex: str) -> list | None:
    """guard.expect's arguments for a probe of `ex`: the functions whose contract is autograd,
    the names of their count parameters, and their parameters' names in the contract."""
    if ex not in USES_AUTOGRAD:
        return None
    params = {f: list(p) for f in USES_AUTOGRAD[ex] if (p := contract_parameters(ex, f))}
    return [list(USES_AUTOGRAD[ex]), sorted(COUNTS), params]


# a failure that waits for the check's own comparisons: a wrong value is told first, and this
# only where the check found nothing else (pytest_runtest_call in grader/checks/conftest.py)
DEFERRED: list = []


def deferred_failure() -> CheckFailure | None:
    """The failure a check's calls left for its end (and none left for the next check)."""
    if not DEFERRED:
        return None
    message, hint = DEFERRED.pop()
    DEFERRED.clear()
    try:
        fail(message, hint)
    except CheckFailure as exc:
        return exc


def _needs_autograd(ex: str, func: str, args, kwargs) -> bool:
    """The contract asks `func` to compute with autograd (USES_AUTOGRAD), and this call gives
    none of its counts (COUNTS, by the reference's parameter names; any int argument where
    there is no reference) the value zero (accumulated_grad(x, 0) may run no backward)."""
    if func not in USES_AUTOGRAD.get(ex, ()):
        return False
    names = contract_parameters(ex, func)
    given = list(zip(names, args)) + list((kwargs or {}).items()) if names is not None else \
        [(None, a) for a in (*args, *(kwargs or {}).values())]
    return not any((n is None or n in COUNTS) and type(v) is int and v == 0 for n, v in given)


@functools.lru_cache(maxsize=None)
def contract_parameters(ex: str, func: str) -> tuple | None:
    """The parameters' names of the reference's `func` (the contract's), or None where there
    is no reference (a student's kit)."""
    import inspect
    try:
        from grader.engine.reference import solution_module
        return tuple(inspect.signature(getattr(solution_module(ex), func)).parameters)
    except Exception:  # noqa: BLE001 - no reference here, or no such function
        return None


def contract_seeded(ex: str, func: str) -> bool | None:
    """Does the contract give `func` a seed: has the reference's function a `seed` parameter?
    Read on the trusted side, so that a student's function cannot hide it (a __signature__ of
    its own); None where there is no reference (a student's kit)."""
    names = contract_parameters(ex, func)
    return None if names is None else "seed" in names


def judge(found) -> None:
    """Fail the check when a watched call changed an input or the global random state."""
    if not isinstance(found, dict):
        return
    func = str(found.get("func", "the function"))
    why = found.get("no_autograd")
    if why and not DEFERRED:   # after the values (deferred_failure)
        said = "could not be checked" if why == "uncopied" else \
            "is not judged to use autograd" if why in ("apart", "raised") else \
            "computed its answer without autograd"
        DEFERRED.append((f"{func}(...) {said}: "
                         f"{NOT_AUTOGRAD.get(str(why), NOT_AUTOGRAD['none'])}",
                         UNCOPIED if why == "uncopied" else
                         APART if why in ("apart", "raised") else UNUSED_GRADIENTS
                         if why == "unused" else NO_AUTOGRAD))
    if found.get("autograd"):
        used = found["autograd"]
        what, unseen = (used[0], bool(used[1])) if isinstance(used, list) and len(used) == 2 \
            else (used, False)
        what = str(what)[:80]
        if unseen:
            fail(f"{func}(...) is called with autograd off and must compute its answer itself: "
                 f"it {what}, where autograd would be out of sight.", MANUAL_USES_AUTOGRAD)
        fail(f"{func}(...) used autograd though it is called with autograd off (it {what}).",
             MANUAL_USES_AUTOGRAD)
    rng = [str(g) for g in found.get("rng") or []]
    if rng:
        fail(f"{func}(...) changed the global random state ({', '.join(rng)}).",
             rng_changed_hint(func, rng))
    changed = found.get("changed") or []
    if changed:
        name, what, ops = changed[0]
        fail(f"{func}(...) changed its argument {name} in place ({what}).",
             input_changed_hint(func, str(name), str(what), [str(o) for o in ops]))
