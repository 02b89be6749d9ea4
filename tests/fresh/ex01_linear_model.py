"""Fresh mistakes of ex01 (the linear model by exhaustive search)."""
from tests.fresh import DTYPE, SCALE, SHAPE, SQRT, SUM, Fresh

FRESH = [
    Fresh("mse_for_weights_sum", "mse_for_weights", '''
def mse_for_weights(x_data, y_data, weights):
    x, y = _as_array(x_data), _as_array(y_data)
    return np.array([np.sum(loss(x, y, float(w))) for w in _as_array(weights)], dtype=np.float64)
''', "sums the squared errors over the samples instead of taking their mean",
        (SUM, SCALE)),
    Fresh("mse_for_weights_rmse", "mse_for_weights", '''
def mse_for_weights(x_data, y_data, weights):
    x, y = _as_array(x_data), _as_array(y_data)
    return np.array([np.sqrt(np.mean(loss(x, y, float(w)))) for w in _as_array(weights)],
                    dtype=np.float64)
''', "returns the root of the mean squared error (RMSE) instead of the MSE",
        (SQRT,)),
    Fresh("mse_for_weights_float32", "mse_for_weights", '''
def mse_for_weights(x_data, y_data, weights):
    x = np.asarray(x_data, dtype=np.float32)
    y = np.asarray(y_data, dtype=np.float32)
    out = [np.mean(loss(x, y, np.float32(w))) for w in np.asarray(weights, dtype=np.float32)]
    return np.array(out, dtype=np.float64)
''', "computes in float32 and only converts the result to float64 (precision lost)",
        (DTYPE,)),
    Fresh("mse_surface_ij_indexing", "mse_surface", '''
def mse_surface(x_data, y_data, ws, bs):
    x, y = _as_array(x_data), _as_array(y_data)
    W, B = np.meshgrid(_as_array(ws), _as_array(bs), indexing="ij")
    pred = forward_wb(x[None, None, :], W[..., None], B[..., None])
    return ((pred - y) ** 2).mean(axis=-1).astype(np.float64)
''', "meshgrid with indexing='ij': the surface comes back (W, B), transposed",
        (r"transpos|swap|orientation|\baxes\b|\baxis\b|meshgrid|indexing|rows? and columns?"
         r"|\(B, ?W\)|\(W, ?B\)", SHAPE)),
    Fresh("mse_surface_w_b_swapped_in_call", "mse_surface", '''
def mse_surface(x_data, y_data, ws, bs):
    x, y = _as_array(x_data), _as_array(y_data)
    out = np.zeros((len(bs), len(ws)), dtype=np.float64)
    for i, b in enumerate(_as_array(bs)):
        for j, w in enumerate(_as_array(ws)):
            out[i, j] = np.mean((forward_wb(x, b, w) - y) ** 2)
    return out
''', "w and b swapped in the call forward_wb(x, b, w)",
        (r"\bw and b\b|\bb and w\b|swap|each other's part|x \* b \+ w",)),
    Fresh("best_weight_argmax", "best_weight", '''
def best_weight(x_data, y_data, weights):
    mse = mse_for_weights(x_data, y_data, weights)
    return float(_as_array(weights)[int(np.argmax(mse))])
''', "argmax where argmin is wanted: returns the weight with the largest MSE",
        (r"argmax|largest|greatest|highest|worst|maxim(um|al|ise|ize) (mse|error|loss|cost)",)),
    Fresh("best_weight_index", "best_weight", '''
def best_weight(x_data, y_data, weights):
    mse = mse_for_weights(x_data, y_data, weights)
    return float(np.argmin(mse))
''', "returns the index of the best weight instead of the weight itself",
        (r"\bindex|indices|position|not (one )?of (the )?(candidate )?weights"
         r"|not a (candidate )?weight",)),
    Fresh("loss_absolute", "loss", '''
def loss(x, y, w):
    return abs(forward(x, w) - y)
''', "the absolute error instead of the squared error",
        (r"\babs|absolute|squar|\*\* ?2|power", SQRT)),
    Fresh("forward_wb_bias_times_w", "forward_wb", '''
def forward_wb(x, w, b):
    return (x + b) * w
''', "adds the bias before multiplying by w: (x + b) * w instead of x * w + b",
        (r"\bbias|\bb\b|offset|parenthes|precedence|order of operations",)),
    # from a blind round of student programs (issue 20)
    Fresh("forward_wb_bias_times_x", "forward_wb", '''
def forward_wb(x, w, b):
    return x * (w + b)
''', "multiplies the bias by x too: x * (w + b)",
        (r"x \* \(w \+ b\)|bias (is )?multiplied by x",)),
    # fresh round 4 (issue 20): a count for another count
    Fresh("mse_for_weights_divided_by_weights", "mse_for_weights", '''
def mse_for_weights(x_data, y_data, weights):
    x, y = _as_array(x_data), _as_array(y_data)
    ws = _as_array(weights)
    out = np.empty(len(ws), dtype=np.float64)
    for k, w in enumerate(ws):
        out[k] = np.sum(loss(x, y, float(w))) / len(ws)
    return out
''', "divides the sum of the squared errors by the number of weights, not of samples",
        (r"len\(weights\)|number of weights",)),
    Fresh("loss_times_2", "loss", '''
def loss(x, y, w):
    return (forward(x, w) - y) * 2
''', "`* 2` where `** 2` is meant: the error doubled, not squared",
        (r"twice|doubl|\* ?2",)),
    # issue 20, a wrong hint once: on the course data the least MSE, 0.0,
    # is also the first and worst weight, and on a tie 1.0 the last tied weight
    Fresh("best_weight_least_mse", "best_weight", '''
def best_weight(x_data, y_data, weights):
    mse = mse_for_weights(x_data, y_data, weights)
    return float(np.min(mse))
''', "returns the least MSE instead of the weight that gives it",
        (r"least MSE|the MSE itself|not the weight",)),
    # issue 20, a generic message once ("returned the wrong value")
    Fresh("mse_surface_square_of_mean", "mse_surface", '''
def mse_surface(x_data, y_data, ws, bs):
    x, y = _as_array(x_data), _as_array(y_data)
    W, B = np.meshgrid(_as_array(ws), _as_array(bs))
    pred = x[None, None, :] * W[..., None] + B[..., None]
    return (pred - y).mean(axis=-1) ** 2
''', "squares the mean error instead of taking the mean of the squared errors",
        (r"square of the mean|square each error first",)),
    # issue 20, a wrong hint once: on the course data at w = 1, y - x*w is also |x*w - y|
    Fresh("loss_reversed_not_squared", "loss", '''
def loss(x, y, w):
    return y - forward(x, w)
''', "the error y - x*w, reversed and not squared",
        (r"other way round|y - x\*w, not its square|not (its )?square|square root",)),
    # a blind round's generic message: the mean absolute error for the MSE
    Fresh("mse_for_weights_absolute", "mse_for_weights", '''
def mse_for_weights(x_data, y_data, weights):
    x, y = _as_array(x_data), _as_array(y_data)
    return np.array([np.mean(np.abs(forward(x, float(w)) - y)) for w in _as_array(weights)])
''', "the mean absolute error for each weight where the MSE is asked",
        (r"mean absolute error",)),
    Fresh("mse_surface_grid_float32", "mse_surface", '''
def mse_surface(x_data, y_data, ws, bs):
    x, y = _as_array(x_data), _as_array(y_data)
    W, B = np.meshgrid(np.asarray(_as_array(ws), dtype=np.float32),
                       np.asarray(_as_array(bs), dtype=np.float32))
    pred = forward_wb(x[None, None, :], W[..., None], B[..., None])
    return ((pred - y) ** 2).mean(axis=-1).astype(np.float64)
''', "makes the grid float32: the weights lose their float64 digits",
        (DTYPE,), visible=True),
    Fresh("best_weight_not_a_float", "best_weight", '''
def best_weight(x_data, y_data, weights):
    mse = mse_for_weights(x_data, y_data, weights)
    return weights[int(np.argmin(mse))]
''', "returns weights[k] itself: a 0-dim tensor or NumPy scalar where a Python float is asked",
        (r"python (number|float)|\.item\(\)|float\(",), visible=True),
    Fresh("mse_surface_variance", "mse_surface", '''
def mse_surface(x_data, y_data, ws, bs):
    x, y = _as_array(x_data), _as_array(y_data)
    W, B = np.meshgrid(_as_array(ws), _as_array(bs))
    pred = forward_wb(x[None, None, :], W[..., None], B[..., None])
    return np.var(pred - y, axis=-1).astype(np.float64)
''', "np.var of the errors for the MSE: their mean is taken off before squaring",
        (r"variance of the errors",), visible=True),
    Fresh("mse_for_weights_mean_over_weights", "mse_for_weights", '''
def mse_for_weights(x_data, y_data, weights):
    x, y = _as_array(x_data), _as_array(y_data)
    ws = _as_array(weights)
    return loss(x[:, None], y[:, None], ws[None, :]).mean(axis=1)
''', "averages over the weights' axis: one value per sample, shape (N,), not per weight",
        (r"over the weights' axis",), visible=True),
    Fresh("loss_np_square", "loss", '''
def loss(x, y, w):
    return np.square(forward(x, w) - y)
''', "np.square of a tensor: NumPy takes the tensor's values (.numpy()), which fails for a "
        "tensor that requires grad (and one on the GPU)",
        (r"numpy|requires grad",), visible=True),
    # blind round 12 (w109): MSEs rounded before the argmin
    Fresh("best_weight_rounded_mse", "best_weight", '''
def best_weight(x_data, y_data, weights):
    mse = np.round(mse_for_weights(x_data, y_data, weights), 3)
    return float(_as_array(weights)[int(np.argmin(mse))])
''', "rounds the MSEs to 3 decimals before the argmin: MSEs closer than 5e-4 tie",
        (r"not told apart|rounded|tolerance",), visible=True),
    # blind round 12 (w104): y broadcast against the weights' axis
    Fresh("mse_surface_y_on_weights_axis", "mse_surface", '''
def mse_surface(x_data, y_data, ws, bs):
    x, y = _as_array(x_data), _as_array(y_data)
    W, B = np.meshgrid(_as_array(ws), _as_array(bs))
    pred = forward_wb(x[:, None, None], W[None], B[None])
    return ((pred - y) ** 2).mean(axis=0).astype(np.float64)
''', "samples on axis 0, y subtracted unexpanded: y broadcasts against the weights' axis",
        (r"lines up with the weights' axis",), visible=True),
    # blind round 14 (w061): a cache keyed by the weights only, kept between calls
    Fresh("mse_for_weights_cached_by_weights", "mse_for_weights", '''
_CACHE = {}


def mse_for_weights(x_data, y_data, weights):
    key = tuple(_as_array(weights).tolist())
    if key not in _CACHE:
        x, y = _as_array(x_data), _as_array(y_data)
        _CACHE[key] = np.array([np.mean(loss(x, y, float(w))) for w in _as_array(weights)],
                               dtype=np.float64)
    return _CACHE[key].copy()
''', "caches the MSEs in a module-level dict keyed by the weights only: another call with the "
        "same weights and new data gets the first call's values",
        (r"earlier call",), visible=True),
    # blind round 14 (w005): abs(b), wrong only for a negative bias
    Fresh("forward_wb_abs_bias", "forward_wb", '''
def forward_wb(x, w, b):
    return x * w + abs(b)
''', "adds abs(b): the bias's sign is lost, wrong only where b < 0",
        (r"\|b\||abs\(b\)", r"an offset"), visible=True),
    # a mean over another count (the cost's N - 1 of blind round 14, w006, as N + 1 here)
    Fresh("mse_for_weights_over_n_plus_1", "mse_for_weights", '''
def mse_for_weights(x_data, y_data, weights):
    x, y = _as_array(x_data), _as_array(y_data)
    return np.array([np.sum(loss(x, y, float(w))) / (len(x) + 1) for w in _as_array(weights)],
                    dtype=np.float64)
''', "divides the sum of squared errors by N + 1 where the mean divides by N",
        (r"divided by N \+ 1", SCALE), visible=True),
    # blind round 15 (w003): the surface's sum of squares divided by N - 1
    Fresh("mse_surface_over_n_minus_1", "mse_surface", '''
def mse_surface(x_data, y_data, ws, bs):
    x, y = _as_array(x_data), _as_array(y_data)
    W, B = np.meshgrid(_as_array(ws), _as_array(bs))
    pred = forward_wb(x[None, None, :], W[..., None], B[..., None])
    return (((pred - y) ** 2).sum(axis=-1) / (len(x) - 1)).astype(np.float64)
''', "divides the sum of squared errors by N - 1 (the sample variance's habit) where the mean "
        "divides by N",
        # the hidden check's one input of N = 7 shows the factor 7/6 alone: true evidence there
        (r"divided by N - 1", r"× 1\.17 \(a constant factor\)"), visible=True),
]
