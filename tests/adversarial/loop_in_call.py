"""mse_surface never returns."""
def mse_surface(x_data, y_data, ws, bs):
    while True:
        pass
