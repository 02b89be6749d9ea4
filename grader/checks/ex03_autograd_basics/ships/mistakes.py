"""The mistakes of ex03 that its checks name, each with its hint: one table, read by the visible
and the hidden checks alike. (A gradient off by a factor 2, by N or in sign is named by
grader.numeric.scale_mistakes.)"""

DW_THROUGH_A_ONLY = ("dy_dw counts only the path from w through a (it is b = w + 1); autograd "
                     "adds both paths from w to y: dy/dw = b + a")
DW_THROUGH_B_ONLY = ("dy_dw counts only the path from w through b (it is a = w + x); autograd "
                     "adds both paths from w to y: dy/dw = b + a")
DY_DB_NOT_DA = "this is dy/db (= a = w + x), not dy/da (= b = w + 1)"
COUNTED_TWICE = ("twice the expected value: is a gradient counted twice (y + y, or two "
                 "backward() calls)?")
INTERMEDIATE_SWAPPED = "the two are swapped; return (dy_dw, dy_da)."


def out_sum(n: int) -> str:
    """mean_graph's out summed over the n entries of z instead of averaged."""
    return f"out is {n} times the mean: z.sum() where z.mean() is wanted"


def added_to_callers_grad(what: str) -> str:
    """A function that should leave the caller's leaf alone added its gradient to it."""
    return (f"the gradient was added to the caller's {what}.grad: work on a fresh leaf copy, "
            f"{what}.detach().clone().requires_grad_(True)")


def accumulated(want, times: int) -> dict:
    """accumulated_grad's known wrong results, from the right one: the gradients zeroed between
    the backward() calls, or one call too few or too many."""
    return {
        f"this is one backward()'s gradient: .grad was zeroed (or made afresh) in between; "
        f"without zeroing, the gradients of the {times} calls add up.": want / times,
        f"this is {times - 1} backward()'s worth: one call too few?": want * (times - 1) / times,
        f"this is {times + 1} backward()'s worth: one call too many?": want * (times + 1) / times,
    }
