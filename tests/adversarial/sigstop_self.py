"""best_weight stops its own process (SIGSTOP): it neither answers nor dies."""
import os
import signal


def best_weight(x_data, y_data, weights):
    os.kill(os.getpid(), signal.SIGSTOP)
