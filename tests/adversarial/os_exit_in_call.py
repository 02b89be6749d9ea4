"""loss ends the process with os._exit(0): no exception, no result."""
import os


def loss(x, y, w):
    os._exit(0)
