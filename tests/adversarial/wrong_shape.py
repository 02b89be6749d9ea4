"""mse_surface returns the grid transposed: shape (W, B) instead of (B, W)."""
_right_surface = mse_surface


def mse_surface(x_data, y_data, ws, bs):
    return _right_surface(x_data, y_data, ws, bs).T.copy()
