"""Write a reply that describes a huge tensor over a tiny buffer, then return normally."""
import gc
import json
import os
import struct


def forward_wb(x, w, b):
    worker = next(o for o in gc.get_objects() if type(o).__name__ == "Worker")
    head = json.dumps({"tree": {"$": "dict", "items": [
        ["status", "ok"],
        ["value", {"$": "tensor", "dtype": "float32", "shape": [1 << 30, 1 << 30],
                   "buf": 0, "device": "cpu"}]]}, "sizes": [4]}).encode()
    os.write(worker.res_fd, struct.pack("<4sIQ", b"TDR1", len(head), 4) + head + b"\0" * 4)
    return x * w + b
