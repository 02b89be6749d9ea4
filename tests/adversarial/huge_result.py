"""mse_surface returns a 300 MB array (past the cap on results)."""
def mse_surface(x_data, y_data, ws, bs):
    return np.zeros(300 * 1024**2 // 8)
