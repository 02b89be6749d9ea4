"""mse_for_weights returns a Python list instead of a float64 array."""
def mse_for_weights(x_data, y_data, weights):
    x, y = _as_array(x_data), _as_array(y_data)
    return [float(np.mean(loss(x, y, float(w)))) for w in _as_array(weights)]
