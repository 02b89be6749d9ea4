"""A corpus of fresh mistakes (issue 20, "What done looks like"): wrong student programs written
from the curriculum, the stubs' docstrings and the references only, without looking at the checks,
the mistakes tables, the mutants or the hold-out. They measure the feedback on mistakes nobody
tuned a hint for:

  named   some failing check of the target gives a hint that matches one of `right`
  wrong   some hint given matches none of `right` (target 0: a wrong hint sends a student to fix
          code that is right)
  passes  the program scores full marks on its target (a grading defect)

Each tests/fresh/exNN_*.py holds FRESH, a list of `Fresh`: `code` replaces one function (or
class) of the reference solution, appended to it as a hold-out mistake is; `target` is the
function whose checks must fail; `what` is the true cause in words; `right` holds regexes
(matched case-insensitively, with re.search): a hint is RIGHT when at least one matches it. They
name the cause or describe evidence that is true of this mistake; none may accept any hint.
`visible`: the mistake must be named by a visible check (one a student runs herself), not only
by a hidden one.
tests/checks/test_fresh_mistakes.py grades every entry.
"""
from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Fresh:
    name: str
    target: str
    code: str
    what: str
    right: tuple[str, ...]
    visible: bool = False

    def is_right(self, hint: str) -> bool:
        return any(re.search(p, hint, re.IGNORECASE) for p in self.right)


def fresh() -> dict[str, list[Fresh]]:
    """{exercise: its fresh mistakes}, from the files tests/fresh/exNN_*.py."""
    out = {}
    for path in sorted(HERE.glob("ex[0-9][0-9]_*.py")):
        module = importlib.import_module(f"tests.fresh.{path.stem}")
        out[path.stem[:4]] = list(module.FRESH)
    return out


# Patterns shared by several entries: each names one cause, or one kind of evidence, that is
# true of every mistake it is used for (an entry lists only those that apply to it).
SUM = r"\bsum(s|med|ming)?\b"
SCALE = r"times|×|factor|scal(e|ed|ing)\b|multiple of|ratio"
HALF = r"\bhalf\b|½|\b0\.5 ?(times|×)|\b2 ?(times|×)|twice|double|factor (of )?2|missing 2|the 2\b"
SIGN = r"\bsign\b|negat|opposite|minus|flipped|−1|-1\b"
SQRT = r"sqrt|√|square root|\broot\b|rmse"
ZERO = (r"zero(ed|ing|_grad|_\(\))?|accumulat|pile|stale|add(s|ed)? up|leak|never reset"
        r"|previous (step|gradient)")
RECORD = (r"after (the |its |each |every )?(optimizer )?(update|step)|before (the |its |each |every )?"
          r"(optimizer )?(update|step)|one (step|update) (late|early|ahead|behind|later|earlier)|shifted"
          r"|off by one|next step|previous step|moment")
OFF_BY_ONE = (r"off by one|one (more|fewer|less|too many|too few)|extra|\brange\(|length|len\("
              r"|number of (values|costs|losses|steps|entries|epochs|iterations)|how many")
SEED = (r"\bseed|global|generator|random state|manual_seed|\brng\b|reproduc|default_rng"
        r"|np\.random")
DTYPE = r"float32|float64|dtype|precision|single|double|\bhalf precision"
LR = r"\blr\b|learning rate|step size"
MOMENTUM = r"momentum|velocity"
SHAPE = r"\bshape|dimension|\bdim\b|\(N,\)|\(N, ?1\)|squeez|unsqueez|broadcast"
LOSS_ITSELF = r"loss itself"
