"""Fresh mistakes of ex11 (the cubic fit of sin(x) in NumPy by hand)."""
from tests.fresh import DTYPE, HALF, LR, SCALE, SEED, Fresh

FRESH = [
    Fresh("make_sine_data_no_endpoint", "make_sine_data", '''
def make_sine_data(n=2000):
    x = np.linspace(-np.pi, np.pi, n, endpoint=False)
    return x, np.sin(x)
''', "endpoint=False: pi is not included and the spacing is 2pi/n",
        (r"endpoint|both ends|\bends?\b|\blast\b|spacing|linspace|\bpi\b|π|included|step",)),
    Fresh("make_sine_data_float32", "make_sine_data", '''
def make_sine_data(n=2000):
    x = np.linspace(-np.pi, np.pi, n, dtype=np.float32)
    return x, np.sin(x)
''', "float32 arrays where float64 is asked",
        (DTYPE,)),
    Fresh("poly_forward_a_b_swapped", "poly_forward", '''
def poly_forward(x, a, b, c, d):
    return b + a * x + c * x ** 2 + d * x ** 3
''', "a and b swapped: b is the constant term and a multiplies x",
        (r"swap|exchanged|coefficient|\ba and b\b|\bb and a\b|constant term|linear term",)),
    Fresh("poly_forward_c_d_swapped", "poly_forward", '''
def poly_forward(x, a, b, c, d):
    return a + b * x + c * x ** 3 + d * x ** 2
''', "c and d swapped: c multiplies x**3 and d x**2",
        (r"\bc and d\b|\bd and c\b|swap",)),
    Fresh("poly_loss_mean", "poly_loss", '''
def poly_loss(y_pred, y):
    return float(np.mean((y_pred - y) ** 2))
''', "the mean of the squared errors where their sum is asked",
        (SCALE, r"\bmean\b|average|\bsum")),
    Fresh("poly_loss_not_squared", "poly_loss", '''
def poly_loss(y_pred, y):
    return float(np.sum(y_pred - y))
''', "forgets to square the errors",
        (r"squar|\*\* ?2|\babs|power",)),
    Fresh("poly_grads_no_2", "poly_grads", '''
def poly_grads(x, y, y_pred):
    r = y_pred - y
    return (float(r.sum()), float((r * x).sum()), float((r * x ** 2).sum()),
            float((r * x ** 3).sum()))
''', "forgets the 2 of d(r^2)/dr: every gradient is half",
        (HALF, SCALE)),
    Fresh("poly_grads_sign", "poly_grads", '''
def poly_grads(x, y, y_pred):
    g = 2.0 * (y - y_pred)
    return (float(g.sum()), float((g * x).sum()), float((g * x ** 2).sum()),
            float((g * x ** 3).sum()))
''', "2 (y - y_pred): every gradient has the wrong sign",
        (r"2 \* \(y_pred - y\)", r"opposite sign of the expected one")),
    Fresh("poly_grads_d_uses_x_squared", "poly_grads", '''
def poly_grads(x, y, y_pred):
    g = 2.0 * (y_pred - y)
    return (float(g.sum()), float((g * x).sum()), float((g * x ** 2).sum()),
            float((g * x ** 2).sum()))
''', "copy-paste: grad_d uses x**2 instead of x**3",
        (r"grad_d|\bd\b|x\s*\*\*\s*3|x\^3|x³|cub|fourth|\blast\b",)),
    Fresh("fit_numpy_d_with_grad_c", "fit_numpy", '''
def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
    rng = np.random.default_rng(seed)
    a, b, c, d = (float(rng.standard_normal()) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = poly_forward(x, a, b, c, d)
        loss = poly_loss(y_pred, y)
        if t % 100 == 99:
            losses.append(loss)
        grad_a, grad_b, grad_c, grad_d = poly_grads(x, y, y_pred)
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_c
    return (a, b, c, d), losses
''', "copy-paste: d is updated with grad_c",
        (r"d is updated with grad_c|grad_c",)),
    Fresh("fit_numpy_global_rng", "fit_numpy", '''
def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
    np.random.seed(seed)
    a, b, c, d = (float(np.random.randn()) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = poly_forward(x, a, b, c, d)
        loss = poly_loss(y_pred, y)
        if t % 100 == 99:
            losses.append(loss)
        grad_a, grad_b, grad_c, grad_d = poly_grads(x, y, y_pred)
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
''', "seeds and draws from the global np.random state instead of default_rng(seed)",
        (SEED, r"initial|starting")),
    Fresh("fit_numpy_fixed_lr", "fit_numpy", '''
def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
    rng = np.random.default_rng(seed)
    a, b, c, d = (float(rng.standard_normal()) for _ in range(4))
    learning_rate = 1e-6
    losses = []
    for t in range(steps):
        y_pred = poly_forward(x, a, b, c, d)
        loss = poly_loss(y_pred, y)
        if t % 100 == 99:
            losses.append(loss)
        grad_a, grad_b, grad_c, grad_d = poly_grads(x, y, y_pred)
        a -= learning_rate * grad_a
        b -= learning_rate * grad_b
        c -= learning_rate * grad_c
        d -= learning_rate * grad_d
    return (a, b, c, d), losses
''', "uses the tutorial's learning rate 1e-6 instead of the lr argument",
        (LR, SCALE)),
    Fresh("fit_numpy_records_every_step", "fit_numpy", '''
def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
    rng = np.random.default_rng(seed)
    a, b, c, d = (float(rng.standard_normal()) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = poly_forward(x, a, b, c, d)
        loss = poly_loss(y_pred, y)
        losses.append(loss)
        grad_a, grad_b, grad_c, grad_d = poly_grads(x, y, y_pred)
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
''', "records the loss of every step instead of the steps with t % 100 == 99",
        (r"every step|t ?% ?100|\b99\b|recorded (steps|losses)",)),
    # from a blind round of student programs (issue 20)
    Fresh("fit_numpy_records_step_0", "fit_numpy", '''
def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
    rng = np.random.default_rng(seed)
    a, b, c, d = (float(rng.standard_normal()) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = poly_forward(x, a, b, c, d)
        loss = poly_loss(y_pred, y)
        if t % 100 == 0:
            losses.append(loss)
        grad_a, grad_b, grad_c, grad_d = poly_grads(x, y, y_pred)
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
''', "records the losses of steps 0, 100, 200, ... (t % 100 == 0)",
        (r"steps? 0\b|t % 100 == 0",)),
    Fresh("fit_numpy_rng_per_coefficient", "fit_numpy", '''
def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
    a = float(np.random.default_rng(seed).standard_normal())
    b = float(np.random.default_rng(seed).standard_normal())
    c = float(np.random.default_rng(seed).standard_normal())
    d = float(np.random.default_rng(seed).standard_normal())
    losses = []
    for t in range(steps):
        y_pred = poly_forward(x, a, b, c, d)
        loss = poly_loss(y_pred, y)
        if t % 100 == 99:
            losses.append(loss)
        grad_a, grad_b, grad_c, grad_d = poly_grads(x, y, y_pred)
        a, b, c, d = a - lr * grad_a, b - lr * grad_b, c - lr * grad_c, d - lr * grad_d
    return (a, b, c, d), losses
''', "a new generator of the same seed for each coefficient: a, b, c, d all equal",
        (r"same number|generator|\brng\b|seed",)),
    # issue 20, a generic message once
    Fresh("poly_loss_square_of_sum", "poly_loss", '''
def poly_loss(y_pred, y):
    return float(np.sum(y_pred - y) ** 2)
''', "squares the sum of the errors instead of summing their squares",
        (r"square of the sum|square each error first",)),
    # a blind round's message that named the wrong item only
    Fresh("poly_grads_times_2", "poly_grads", '''
def poly_grads(x, y, y_pred):
    grad_y_pred = 2.0 * (y_pred - y)
    return (float(grad_y_pred.sum()), float((grad_y_pred * x).sum()),
            float((grad_y_pred * x * 2).sum()), float((grad_y_pred * x ** 3).sum()))
''', "grad_c with x * 2 where x ** 2 is wanted",
        (r"x \* 2 where x \*\* 2",)),
    # blind round 8 (w132): the loss recorded per point
    Fresh("fit_numpy_loss_per_point", "fit_numpy", '''
def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
    rng = np.random.default_rng(seed)
    a, b, c, d = (float(rng.standard_normal()) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = poly_forward(x, a, b, c, d)
        loss = poly_loss(y_pred, y)
        if t % 100 == 99:
            losses.append(loss / len(x))
        grad_a, grad_b, grad_c, grad_d = poly_grads(x, y, y_pred)
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
''', "records the loss divided by the number of points (the mean) instead of the loss",
        (r"divided by N = \d+|per point",)),
    # blind round 8 (w157): the same draws in another order
    Fresh("fit_numpy_draws_d_first", "fit_numpy", '''
def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
    rng = np.random.default_rng(seed)
    d, c, b, a = (float(rng.standard_normal()) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = poly_forward(x, a, b, c, d)
        loss = poly_loss(y_pred, y)
        if t % 100 == 99:
            losses.append(loss)
        grad_a, grad_b, grad_c, grad_d = poly_grads(x, y, y_pred)
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
''', "draws the coefficients in the order d, c, b, a",
        (r"order d, c, b, a",)),
    # blind round 8 (w133): the gradients taken anew after a's update
    Fresh("fit_numpy_regrad_after_a", "fit_numpy", '''
def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
    rng = np.random.default_rng(seed)
    a, b, c, d = (float(rng.standard_normal()) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = poly_forward(x, a, b, c, d)
        loss = poly_loss(y_pred, y)
        if t % 100 == 99:
            losses.append(float(loss))
        grad_a, grad_b, grad_c, grad_d = poly_grads(x, y, y_pred)
        a -= lr * grad_a
        y_pred = poly_forward(x, a, b, c, d)
        grad_a, grad_b, grad_c, grad_d = poly_grads(x, y, y_pred)
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
''', "recomputes the gradients after updating a (not one forward pass per step)",
        (r"taken anew after a was updated",)),
    # blind round 10 (w078, w080, w081): one term or one gradient alone wrong, told by its
    # relation to the expected one (a power of x more, a factor)
    Fresh("poly_forward_cube_as_fourth_power", "poly_forward", '''
def poly_forward(x, a, b, c, d):
    x2 = x * x
    return a + b * x + c * x2 + d * (x2 * x2)
''', "the cubic term written d * x2 * x2: d multiplies x^4",
        (r"d multiplies x\*\*4",), visible=True),
    Fresh("poly_grads_d_fourth_power", "poly_grads", '''
def poly_grads(x, y, y_pred):
    grad_y_pred = 2.0 * (y_pred - y)
    gx = grad_y_pred * x
    gx2 = gx * x
    gx3 = gx2 * x * x
    return (float(grad_y_pred.sum()), float(gx.sum()), float(gx2.sum()), float(gx3.sum()))
''', "grad_d sums 2 r x^4 (one multiplication by x too many)",
        (r"grad_d uses x\*\*4",), visible=True),
    Fresh("poly_grads_a_without_2", "poly_grads", '''
def poly_grads(x, y, y_pred):
    grad_y_pred = 2.0 * (y_pred - y)
    gx = grad_y_pred * x
    gx2 = gx * x
    gx3 = gx2 * x
    return (float((y_pred - y).sum()), float(gx.sum()), float(gx2.sum()), float(gx3.sum()))
''', "grad_a alone lacks the factor 2: the sum of r, not of 2 r",
        (r"index 0 \(the first\) is wrong: it is the expected one × 1/2",), visible=True),
    # blind round 10 (w084): another default lr in the signature
    Fresh("fit_numpy_default_lr_1e5", "fit_numpy", '''
def fit_numpy(x, y, lr=1e-5, steps=2000, seed=0):
    rng = np.random.default_rng(seed)
    a, b, c, d = (float(rng.standard_normal()) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = poly_forward(x, a, b, c, d)
        loss = poly_loss(y_pred, y)
        if t % 100 == 99:
            losses.append(loss)
        grad_a, grad_b, grad_c, grad_d = poly_grads(x, y, y_pred)
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
''', "the signature's default lr is 1e-5, not the docstring's 1e-6",
        (r"default for lr differs",), visible=True),
    # blind round 11 (w076): the sign of one coefficient's step
    Fresh("fit_numpy_d_step_sign", "fit_numpy", '''
def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
    rng = np.random.default_rng(seed)
    a, b, c, d = (float(rng.standard_normal()) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = poly_forward(x, a, b, c, d)
        loss = poly_loss(y_pred, y)
        if t % 100 == 99:
            losses.append(loss)
        grad_a, grad_b, grad_c, grad_d = poly_grads(x, y, y_pred)
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d += lr * grad_d
    return (a, b, c, d), losses
''', "d += lr * grad_d: only d's update has the wrong sign",
        (r"d's update in step 1 is .*the opposite sign",), visible=True),
    # blind round 11 (w114): a mutable default list of losses
    Fresh("fit_numpy_mutable_default_losses", "fit_numpy", '''
def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0, losses=[]):
    rng = np.random.default_rng(seed)
    a, b, c, d = (float(rng.standard_normal()) for _ in range(4))
    for t in range(steps):
        y_pred = poly_forward(x, a, b, c, d)
        loss = poly_loss(y_pred, y)
        if t % 100 == 99:
            losses.append(loss)
        grad_a, grad_b, grad_c, grad_d = poly_grads(x, y, y_pred)
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
''', "a default argument losses=[]: the losses pile up across calls",
        (r"losses of an earlier call are still in the list",), visible=True),
    # blind round 11 (w074): the rng made without the seed
    Fresh("fit_numpy_rng_without_seed", "fit_numpy", '''
def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
    rng = np.random.default_rng()
    a, b, c, d = (float(rng.standard_normal()) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = poly_forward(x, a, b, c, d)
        loss = poly_loss(y_pred, y)
        if t % 100 == 99:
            losses.append(loss)
        grad_a, grad_b, grad_c, grad_d = poly_grads(x, y, y_pred)
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
''', "np.random.default_rng() without the seed: other initial values on every call",
        (r"initial values change from call to call",), visible=True),
    # blind round 12 (w1109): the sum taken in float32 on float64 arrays
    Fresh("poly_loss_sum_in_float32", "poly_loss", '''
def poly_loss(y_pred, y):
    return float(np.square(y_pred - y).sum(dtype=np.float32))
''', "sums the squared errors in float32 (sum(dtype=np.float32)): float32's rounding",
        (DTYPE,), visible=True),
    # blind round 12 (w1107): grad_a the mean of the residuals' gradient, the others sums
    Fresh("poly_grads_a_mean", "poly_grads", '''
def poly_grads(x, y, y_pred):
    grad_y_pred = 2.0 * (y_pred - y)
    return (float(grad_y_pred.mean()), float((grad_y_pred * x).sum()),
            float((grad_y_pred * x ** 2).sum()), float((grad_y_pred * x ** 3).sum()))
''', "grad_a is the mean of 2 (y_pred - y), not its sum: grad_a alone is 1/N of the right one",
        (r"grad_a, is wrong: it is 1/\d+ of the expected one, and the input has N = \d+",),
        visible=True),
    # blind round 13 (w041): grad_d with 3 x**2, the derivative of x**3 in x
    Fresh("poly_grads_d_derivative_in_x", "poly_grads", '''
def poly_grads(x, y, y_pred):
    grad_y_pred = 2.0 * (y_pred - y)
    return (float(grad_y_pred.sum()), float((grad_y_pred * x).sum()),
            float((grad_y_pred * x ** 2).sum()), float((grad_y_pred * 3 * x * x).sum()))
''', "grad_d uses 3 x**2 (the derivative of x**3 with respect to x) where x**3 is wanted",
        (r"derivative of x\*\*3 with respect to x",), visible=True),
    # blind round 13 (w042): half the sum of squares
    Fresh("poly_loss_half_sse", "poly_loss", '''
def poly_loss(y_pred, y):
    return float(np.square(y_pred - y).sum() / 2)
''', "returns half the sum of squared errors (the 1/2 convention)",
        (r"half the sum of squared errors|1/2 convention",), visible=True),
    # blind round 14 (w066): one rng made at import, the seed ignored, its state carried over
    Fresh("fit_numpy_module_level_rng", "fit_numpy", '''
_RNG = np.random.default_rng(0)

def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
    rng = _RNG
    a, b, c, d = (float(rng.standard_normal()) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = poly_forward(x, a, b, c, d)
        loss = poly_loss(y_pred, y)
        if t % 100 == 99:
            losses.append(loss)
        grad_a, grad_b, grad_c, grad_d = poly_grads(x, y, y_pred)
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
''', "draws from a module-level default_rng(0): the seed is ignored and each call goes on "
        "from the draws of the one before", (r"initial values change from call to call",),
        visible=True),
]
