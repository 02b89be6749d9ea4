"""mse_surface returns a 40 MB array (past the cap on results: 32 MB in this test suite,
256 MB by default)."""
def mse_surface(x_data, y_data, ws, bs):
    return np.zeros(40 * 1024**2 // 8)
