"""Write a frame header announcing a 1 TB result on the result pipe, then hang."""
import gc
import os
import struct
import time


def forward_wb(x, w, b):
    worker = next(o for o in gc.get_objects() if type(o).__name__ == "Worker")
    os.write(worker.res_fd, struct.pack("<4sIQ", b"TDR1", 10, 1 << 40))
    time.sleep(600)

