"""forward_wb sleeps far past the time limit."""
import time


def forward_wb(x, w, b):
    time.sleep(600)
    return x * w + b
