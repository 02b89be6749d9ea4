"""Write a well-framed reply whose header is not JSON, then return normally."""
import gc
import os
import struct


def forward_wb(x, w, b):
    worker = next(o for o in gc.get_objects() if type(o).__name__ == "Worker")
    head = b'{"tree": {"status": "ok", "value": 1.0'   # cut short
    os.write(worker.res_fd, struct.pack("<4sIQ", b"TDR1", len(head), 0) + head)
    return x * w + b
