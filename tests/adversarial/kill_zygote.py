"""forward tries to SIGKILL its parent (the zygote that forks every worker)."""
import os
import signal


def forward(x, w):
    os.kill(os.getppid(), signal.SIGKILL)
    return x * w
