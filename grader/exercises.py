"""The twelve exercises, by number: the one list every part of the package reads."""
from __future__ import annotations

EXERCISES = {
    "ex01": "ex01_linear_model",
    "ex02": "ex02_gradient_descent",
    "ex03": "ex03_autograd_basics",
    "ex04": "ex04_backprop",
    "ex05": "ex05_manual_regression",
    "ex06": "ex06_nn_linear",
    "ex07": "ex07_logistic_regression",
    "ex08": "ex08_multiple_features",
    "ex09": "ex09_dataloader",
    "ex10": "ex10_softmax_classifier",
    "ex11": "ex11_numpy_polynomial",
    "ex12": "ex12_tensor_polynomial",
}

# Exercises whose code (reference or student's) builds a torch.optim optimizer.
USES_OPTIM = {"ex06", "ex07", "ex08", "ex09", "ex10", "ex12"}


class UnknownExercise(KeyError):
    """A name that is no exercise of the course: bad input, said plainly (`str()` is the
    message, without the quotes a KeyError adds)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def uses_optim(exercises) -> bool:
    return any(ex[:4] in USES_OPTIM for ex in exercises)


def module_of(ex: str) -> str:
    """'ex02' (or 'ex02_gradient_descent') -> 'ex02_gradient_descent'."""
    key = ex[:4]
    if key not in EXERCISES:
        raise UnknownExercise(f"unknown exercise {ex!r}; known: {', '.join(EXERCISES)}")
    return EXERCISES[key]


def parse_list(text: str | None) -> list[str]:
    """'ex02,ex3, 4' -> ['ex02', 'ex03', 'ex04']; None or 'all' -> every exercise."""
    if not text or text == "all":
        return list(EXERCISES)
    out = []
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        digits = part.lower().removeprefix("ex").split("_")[0]
        if not digits.isdigit():
            raise UnknownExercise(f"unknown exercise {part!r}")
        key = f"ex{int(digits):02d}"
        module_of(key)
        out.append(key)
    return out
