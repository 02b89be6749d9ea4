"""A grading request: which checks to run on a submission, and how. One value.

    request = GradeRequest(exercises=("ex02",), checks="visible", seed=0)
    result = grade_submission("alice/", zygote, request)          # grader.engine.runner

Every front end builds one, once: the command line (`grade`, `check`), the class run (one per
class, sent to its grading processes as plain data), a notebook's check cell (sent to its
grading process as JSON) and the Gradescope runner. The runner hands it to pytest inside the
plugin object of the run (grader.engine.runner.GradingSession), where the checks' fixtures read it
(grader/checks/conftest.py).

This module imports neither pytest nor torch: a notebook's kernel builds requests with it.
"""
from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Literal

from grader.exercises import EXERCISES, module_of

if TYPE_CHECKING:
    from grader.sandbox import Limits

Checks = Literal["visible", "hidden", "all"]
Device = Literal["cpu", "cuda", "all"]
CHECKS: tuple[str, ...] = ("visible", "hidden", "all")
DEVICES: tuple[str, ...] = ("cpu", "cuda", "all")


class BadRequest(ValueError):
    """A request that cannot be graded as asked (the message is for people)."""


@dataclass(frozen=True)
class GradeRequest:
    """What to grade, and how.

    exercises  the exercises whose checks run, e.g. ("ex01", "ex02") (empty: every exercise)
    checks     "visible" (what students run themselves), "hidden" (only the grader's), or "all"
    targets    only the checks of these functions or classes, e.g. {"forward"} (None: all)
    device     the device of the device checks: "cpu", "cuda" or "all"
    seed       the seed of the hidden checks' random inputs (None: a new random one, drawn here,
               once: every request holds its seed, so whoever reads it grades on the same)
    keyword    a pytest -k expression over the checks' names (None: every check)
    limits     the sandbox's limits for the submission's worker (None: the defaults)
    """

    exercises: tuple[str, ...] = ()
    checks: Checks = "all"
    targets: frozenset[str] | None = None
    device: Device = "all"
    seed: int | None = None
    keyword: str | None = None
    limits: Limits | None = field(default=None, hash=False)

    def __post_init__(self):
        exercises = tuple(self.exercises or EXERCISES)
        for ex in exercises:
            module_of(ex)   # an unknown one raises grader.exercises.UnknownExercise
        if self.checks not in CHECKS:
            raise BadRequest(f"checks must be one of {', '.join(CHECKS)}, not {self.checks!r}")
        if self.device not in DEVICES:
            raise BadRequest(f"device must be one of {', '.join(DEVICES)}, not {self.device!r}")
        if isinstance(self.targets, str):
            raise BadRequest(f"targets is a collection of names, not the string "
                             f"{self.targets!r}")
        set_ = object.__setattr__   # frozen: the normal forms are set once, here
        set_(self, "exercises", exercises)
        set_(self, "targets", frozenset(self.targets) if self.targets else None)
        set_(self, "seed", random.SystemRandom().randrange(2**31) if self.seed is None
             else int(self.seed))
        set_(self, "keyword", self.keyword or None)

    def to_dict(self) -> dict:
        """The request as plain data (JSON-ready), to cross a process boundary."""
        return {"exercises": list(self.exercises), "checks": self.checks,
                "targets": sorted(self.targets) if self.targets else None,
                "device": self.device, "seed": self.seed, "keyword": self.keyword,
                "limits": asdict(self.limits) if self.limits is not None else None}

    @classmethod
    def from_dict(cls, data: dict) -> "GradeRequest":
        data = dict(data)
        unknown = set(data) - {f for f in cls.__dataclass_fields__}
        if unknown:
            raise BadRequest(f"unknown fields of a grading request: {', '.join(sorted(unknown))}")
        if data.get("limits") is not None:
            from grader.sandbox import Limits
            data["limits"] = Limits(**data["limits"])
        return cls(**data)
