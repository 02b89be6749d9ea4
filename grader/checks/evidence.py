"""A mistake named from two inputs: a hint whose value matched on one input stays only where a
second input, of other values, shows the same mistake. On one input a value can equal what a
mistake gives by chance: on the course data of ex01 the least MSE, 0.0, is also the first weight
of the list, and in ex02 14 // 3 = 4 is also the square of the mean error, (-2) ** 2.

    mistakes=lambda: also_on({hints.SQUARE_OF_MEAN: sq_mean}, second)

`second` is (what the function returned on the other input, the right answer there, {hint: what
that mistake gives there}), or None where the call on it failed (no evidence either way)."""
from __future__ import annotations

import numpy as np

from grader.engine.compare.mistakes import scale_mistakes as _scale_mistakes
from grader.engine.compare.values import as_array

# the sign hint of grader.engine.compare.mistakes.scale_mistakes speaks of ex02's formula
_MSE_SIGN = "the sign is flipped: the derivative of (x*w - y)**2"


def same_values(a, b, rtol: float = 1e-4, atol: float = 1e-6) -> bool:
    """Whether a and b hold the same numbers (numbers, arrays, tensors or lists of them), as
    closely as a mistake is matched (grader.engine.compare.mistakes.name_mistake): a float32
    result of the same mistake still matches."""
    x, y = as_array(a), as_array(b)
    if x is None or y is None or x.shape != y.shape:
        return False
    return bool(np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=False))


def also_on(named: dict, second) -> dict:
    """The entries of `named` ({hint: the value its mistake gives on the check's input}) whose
    mistake the second input shows too: there the function returned that mistake's value, and
    that value is not the right answer (a mistake that changes nothing on the second input
    shows nothing). {} where `second` is None."""
    if second is None:
        return {}
    got2, want2, named2 = second
    return {hint: value for hint, value in named.items()
            if hint in named2 and same_values(got2, named2[hint])
            and not same_values(named2[hint], want2)}


def scale_mistakes(expected, n: int | None = None, *, factor2: bool = True,
                   rows: int | None = None, sign: str | None = None) -> dict:
    """grader.engine.compare.mistakes.scale_mistakes, whose sign hint speaks of the derivative
    of (x*w - y)**2 and of an update: `sign`, where given, is the hint said instead, in the
    words of the function checked (bce_grad_logits has neither that formula nor an update)."""
    m = _scale_mistakes(expected, n, factor2=factor2, rows=rows)
    if sign is None:
        return m
    return {(sign if hint.startswith(_MSE_SIGN) else hint): value for hint, value in m.items()}


def summed(what: str, n: int, n2: int) -> str:
    """The hint for a sum where a mean is wanted, said only where two inputs of different sizes
    show each its own size as the factor: `n` times the mean on the check's input, `n2` times
    on the second (the same text goes into the first input's mistakes and the second's, so
    that also_on can keep it). A factor N on one input alone may come from anything else."""
    return (f"a sum where the mean is wanted: the {what} is N times the expected value on two "
            f"inputs of different sizes ({n} times with N = {n}, {n2} times with N = {n2}); "
            f"divide by the number of values (.mean())")


def other_counts(what: str, n: int, n2: int) -> dict:
    """{hint: k} for a mean divided by N + k (k = -1, +1) where N is meant, each said only where
    two inputs of different sizes show each its own N / (N + k) as the factor (the same text
    goes into both inputs' mistakes: a value times over_count(n, k) on the first, times
    over_count(n2, k) on the second, for also_on)."""
    out = {}
    for k in (-1, 1):
        if min(n, n2) + k <= 0 or n == n2:
            continue
        d = f"N {'-' if k < 0 else '+'} 1"
        out[(f"the {what} is divided by {d} where the mean divides by N: it is N / ({d}) times "
             f"the expected value on two inputs of different sizes ({n}/{n + k} with N = {n}, "
             f"{n2}/{n2 + k} with N = {n2}); divide by the number of values, N (.mean())")] = k
    return out


def over_count(n: int, k: int) -> float:
    """The factor of a mean of n values divided by n + k instead of n."""
    return n / (n + k)


def sigmoid_inputs(outputs: dict, state: dict) -> dict:
    """{hint: output} from {"name+name": what the model returns with a sigmoid applied to the
    input of those layers} (ex06's private variants.sigmoid_inputs); `state`: the model's
    state, whose "<layer>.weight" keys name its layers in order. Each hint says where the
    values show the sigmoid."""
    layers = [k[:-len(".weight")] for k in state if k.endswith(".weight")]
    out = {}
    for key, value in outputs.items():
        names = key.split("+")
        if names == layers[:1]:
            where = f"to x itself, before the first layer ({names[0]})"
        elif names == layers and len(names) > 1:
            where = f"to the input of every layer ({', '.join(names)})"
        else:
            where = f"to the input of {' and '.join(names)}"
        out[f"this is the output with a sigmoid applied {where}: x goes into the first layer "
            f"as it is, and no sigmoid comes before a layer (an activation, where the model "
            f"has one, follows its layer)"] = value
    return out



def defaults_that_differ(run, defaults: dict, right) -> list | None:
    """Which defaults of a signature a run with them left out does not take as the contract
    says: `run(**kw)` makes the call with the keywords kw passed, the others left to the
    signature; `right(result)` says whether a result is the reference's; `defaults` {name: the
    contract's default}. None where the run with every one of them passed is still not right
    (the defaults are not the cause), or where a run fails; else the names each of which,
    passed alone, makes the run right (all of them where no one alone does)."""
    try:
        if not right(run(**defaults)):
            return None
        alone = [k for k in defaults if right(run(**{k: defaults[k]}))]
    except Exception:   # noqa: BLE001 - a run that fails is no evidence either way
        return None
    return alone or list(defaults)


def default_differs(names, defaults: dict, behaves: str | None = None) -> str:
    """The hint where passing the contract's defaults `names` (of `defaults`) makes a run right;
    `behaves`, where given, is what the run with them left out equals (e.g. "momentum=0"),
    a condition the caller tested on values."""
    given = " and ".join(f"{k}={defaults[k]!r}" for k in names)
    seen = f"; left out, the run is the one with {behaves}" if behaves else ""
    return (f"with {given} passed, the run is the reference's: the signature's default for "
            f"{' and '.join(names)} differs from the docstring's ({given}){seen}")


def argument_ignored(name: str, given, default) -> str:
    """The hint for a run made with `name`=`given` passed that equals the run with the
    signature's default `default` (a condition the check tests on values: the two runs differ)."""
    return (f"with {name}={given!r} passed, the run is the one with {name}={default!r}, the "
            f"default: the {name} argument given is not used (a value written in, or the "
            f"argument not passed on where it is needed)")


def kept_between_calls(first, second) -> bool:
    """Whether a list a function returns outlives its call: two calls with the same arguments,
    the second's list begins with every item of the first's and goes on (a default argument
    `losses=[]`, made once when the function is defined, or a list made outside it)."""
    a, b = (list(v) if isinstance(v, (list, tuple)) else None for v in (first, second))
    return a is not None and b is not None and bool(a) and len(b) > len(a) and \
        same_values(b[:len(a)], a, rtol=0.0, atol=0.0)


def list_kept(name: str) -> str:
    """The hint for a returned list `name` that kept an earlier call's items."""
    return (f"the {name} of an earlier call are still in the list: it outlives the call, as a "
            f"default argument {name}=[] does (Python makes that list once, when the function "
            f"is defined) or a list made outside the function. Make a new list in every call: "
            f"{name} = [] inside the function")


def earlier_answer(call: str) -> str:
    """The hint for an answer that equals what an earlier call, `call`, on other inputs gave
    (a condition the check tests on values: the two right answers differ)."""
    return (f"this is the answer of an earlier call, {call}: what differs in this call's inputs "
            f"is not used. A result kept between calls (a cache keyed by only some of the arguments, "
            f"or a variable outside the function) is returned again; compute the answer from "
            f"every argument in each call")


def last_update_missing(n: int, unit: str = "update") -> str:
    """The hint for final parameters that are the reference run's after n - 1 of its n units."""
    return (f"the parameters are the reference run's after {n - 1} {unit}s, where {n} are asked: "
            f"the last update is missing (a loop of n - 1 {unit}s with the last loss recorded "
            f"apart, or the parameters read before the last {unit})")
