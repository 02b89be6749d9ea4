"""mse_for_weights sends SIGKILL to its own process."""
import os
import signal


def mse_for_weights(x_data, y_data, weights):
    os.kill(os.getpid(), signal.SIGKILL)
