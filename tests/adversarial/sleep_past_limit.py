"""mse_surface sleeps far past the time limit."""
import time


def mse_surface(x_data, y_data, ws, bs):
    time.sleep(600)
