"""Overwrite a fake gradebook, delete other students' files (one in a plain folder, one in the
folder of a submission being graded next to it), write into the grader; forward raises if any
of it worked."""
import os

_done = []
for _attempt in (lambda: open("__OUTSIDE__/gradebook.db", "w").write("alice,100\n"),
                 lambda: os.remove("__OUTSIDE__/other_student/ex01_linear_model.py"),
                 lambda: os.remove("__OTHER__/ex01_linear_model.py"),
                 lambda: open("__OTHER__/ex01_linear_model.py", "a").write("\nforward = 0\n"),
                 lambda: open("__ROOT__/grader/injected.py", "w").write("x = 1\n"),
                 lambda: open("__ROOT__/grader/checks/ex01_linear_model/private/injected.py",
                              "w").write("x\n")):
    try:
        _attempt()
        _done.append(_attempt)
    except OSError:
        pass
_right_forward = forward


def forward(x, w):
    if _done:
        raise RuntimeError(f"wrote outside its folder {len(_done)} time(s)")
    return _right_forward(x, w)
