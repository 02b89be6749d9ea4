"""forward_wb writes 100 MB straight to file descriptor 1 (past Python's sys.stdout)."""
import os


def forward_wb(x, w, b):
    block = b"x" * (1 << 20)
    for _ in range(100):
        os.write(1, block)
    return x * w + b
