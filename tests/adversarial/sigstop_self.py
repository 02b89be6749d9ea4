"""mse_surface stops its own process (SIGSTOP): it neither answers nor dies."""
import os
import signal


def mse_surface(x_data, y_data, ws, bs):
    os.kill(os.getpid(), signal.SIGSTOP)
