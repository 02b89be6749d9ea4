"""The mistakes of ex01 that its checks name, each with its hint: one table, read by the visible
and the hidden checks alike."""

NOT_SQUARED = "this is the error x*w - y, not its square"
MEAN_NOT_PER_SAMPLE = "this is the mean, not the per-sample squared errors"
BIAS_SUBTRACTED = "the bias is subtracted instead of added"
SURFACE_TRANSPOSED = ("rows and columns are swapped: the result's shape is (len(bs), len(ws)), "
                      "entry [i, j] for b = bs[i], w = ws[j] (np.meshgrid(ws, bs) gives that "
                      "orientation)")
LAST_ON_TIE = "this is the last of the tied weights: keep the first (np.argmin does)"
ABSOLUTE = "this is the absolute error |x*w - y|: square it, (x*w - y) ** 2"
INDEX_NOT_WEIGHT = ("this is the position of the best weight in the list (np.argmin's index): "
                    "return the weight itself, weights[index]")
BIAS_SCALED = "(x + b) * w multiplies the bias by w too: the model is x * w + b"


def sum_not_mean(n: int) -> str:
    """The MSE summed over the n samples instead of averaged."""
    return f"this is {n} times the MSE: a sum where the mean is wanted."
BIAS_TIMES_X = ("this is x * (w + b): the bias is multiplied by x too; it is added after the "
                "product, x * w + b")


def forward_wb_mistakes(x, w, b) -> dict:
    """{hint: what forward_wb returns with that mistake} on these inputs. x * (w + b) is named
    only where b is neither 0 nor 1: there it is x * w, or x * w + x, which other slips give."""
    named = {BIAS_SUBTRACTED: x * w - b, BIAS_SCALED: (x + b) * w}
    if b not in (0, 1):
        named[BIAS_TIMES_X] = x * (w + b)
    return named
