"""What the visible and the hidden checks of ex12 share: the comparisons of a fit_optim run and
of Polynomial3.string() (each names the mistakes of mistakes.py it can tell)."""
import re

import torch

from grader.checks.ex12_tensor_polynomial.ships import mistakes as hints
from grader.checks.api import TOL, assert_close, assert_trajectory, fail, refuse_steps_that_never_move

# A few float64 steps of a cubic fit, judged at float64's resolution: correct programs (a
# Horner form, a design matrix, another order of the sums) agree to about 1e-15 relative, and
# one computation in float32 (a forward pass on x.float()) parts by about 1e-8 after one step.
FLOAT64_STEPS = {"rtol": 1e-10, "atol": 1e-12}


def check_optim(got, want, args, call, variant, dtype=torch.float32):
    """The probe ex12.fit_optim's run against the reference's, optimizer step by step, then the
    recorded losses and the final state; `variant(**kw)` gives the run with the known mistake
    kw (recorded, or trusted code)."""
    state, x, y, lr, steps, optimizer = args
    refuse_steps_that_never_move(got, want, state, call, per="step")
    assert_trajectory(got["steps"], want["steps"], call=call, start=state, mistakes=lambda: {
        text: variant(**kw)["steps"] for text, kw in hints.optim_mistakes(optimizer).items()})
    assert_trajectory(got["losses"], want["losses"], call=call, dtype=dtype,
                      step_name=lambda k: f"step {100 * k + 99}", mistakes=lambda: {
        hints.OPTIM_LOSS_AFTER_STEP: variant(**hints.LOSS_AFTER_STEP)["losses"]})


NUMBER = r"(-?(?:\d+\.?\d*(?:e[-+]?\d+)?|nan|inf))"
PATTERN = re.compile(rf"^y = {NUMBER} \+ {NUMBER} x \+ {NUMBER} x\^2 \+ {NUMBER} x\^3$")


def check_string(got, want, call):
    """The text must have the format, and its numbers the model's values: close to them
    (float32 precision), then each in full, as Python writes the float .item() gives."""
    if not isinstance(got, str):
        fail(f"{call} should return a str, got {type(got).__name__}.")
    if got == want:
        return
    m = PATTERN.match(got.strip())
    if not m:
        # the condition: what str() of a Parameter or a tensor writes is in the text
        shown = "Parameter containing" in got or "tensor(" in got
        fail(f"{call} returned {got!r}, expected the format {want!r}.",
             hints.PARAMETER_FORMATTED if shown else None)
    values = [float(v) for v in m.groups()]
    w = [float(v) for v in PATTERN.match(want).groups()]
    rtol, atol = TOL[torch.float32]
    assert_close(values, w, call=call, context="the numbers in the text", rtol=rtol, atol=atol,
                 mistakes=_rounded(m.groups(), w))
    # close, and each in full: the text of a value is the value itself, not a rounding of it
    short = [(t, v) for t, v, x in zip(m.groups(), w, values) if x != v]
    if short:
        text, value = short[0]
        fail(f"{call} returned {got!r}, expected {want!r}: the numbers are the model's values "
             f"rounded ({text} where the value is {value!r}).", hints.STRING_ROUNDED)


def _rounded(texts, want) -> dict:
    """{hint: the values rounded as the student's text shows them}, when every number of the
    text has the same count of decimals (a format such as :.2f): each is then the wanted
    value rounded to that many places exactly when the text was rounded."""
    places = {len(t.split(".", 1)[1]) if "." in t and "e" not in t else None for t in texts}
    if len(places) != 1 or None in places:
        return {}
    n = places.pop()
    return {hints.string_rounded(n): [round(v, n) for v in want]}
