"""forward leaves files in every scratch place it can write to (/tmp, /dev/shm, TMPDIR, HOME,
its folder), for the next student graded on the same zygote to find."""
import os


def forward(x, w):
    for place in ("/tmp", "/dev/shm", os.environ.get("TMPDIR", "."), os.environ.get("HOME", "."),
                  "."):
        try:
            with open(os.path.join(place, "left-by-__MARKER__"), "w") as f:
                f.write("__MARKER__")
        except OSError:
            pass
    return x * w
