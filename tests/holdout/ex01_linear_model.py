"""Hold-out mistakes of ex01 (the linear model by exhaustive search)."""
from tests.holdout import Wrong

HOLDOUT = [
    Wrong("loss_absolute", "loss", '''
def loss(x, y, w):
    return abs(forward(x, w) - y)
''', "the absolute error instead of the squared one"),
    Wrong("mse_float32", "mse_for_weights", '''
def mse_for_weights(x_data, y_data, weights):
    x = torch.as_tensor(x_data, dtype=torch.float32)
    y = torch.as_tensor(y_data, dtype=torch.float32)
    return torch.stack([loss(x, y, float(w)).mean() for w in weights]).numpy()
''', "the MSEs computed in float32 torch, returned as a float32 array"),
    Wrong("surface_ij", "mse_surface", '''
def mse_surface(x_data, y_data, ws, bs):
    x, y = np.asarray(x_data, dtype=np.float64), np.asarray(y_data, dtype=np.float64)
    W, B = np.meshgrid(np.asarray(ws, dtype=np.float64), np.asarray(bs, dtype=np.float64),
                       indexing="ij")
    return ((forward_wb(x[None, None, :], W[..., None], B[..., None]) - y) ** 2).mean(axis=-1)
''', "np.meshgrid with indexing='ij': the (W, B) orientation"),
    Wrong("surface_sum", "mse_surface", '''
def mse_surface(x_data, y_data, ws, bs):
    x, y = np.asarray(x_data, dtype=np.float64), np.asarray(y_data, dtype=np.float64)
    out = np.zeros((len(bs), len(ws)))
    for i, b in enumerate(bs):
        for j, w in enumerate(ws):
            out[i, j] = np.sum((forward_wb(x, float(w), float(b)) - y) ** 2)
    return out
''', "the surface holds the sum of squared errors, not the mean"),
    Wrong("best_index", "best_weight", '''
def best_weight(x_data, y_data, weights):
    return float(np.argmin(mse_for_weights(x_data, y_data, weights)))
''', "the index of the best weight, not the weight"),
    Wrong("forward_wb_bias_scaled", "forward_wb", '''
def forward_wb(x, w, b):
    return (x + b) * w
''', "the bias added before the multiplication"),
]
