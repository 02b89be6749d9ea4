"""The hold-out of planted mistakes (issue 11): wrong student programs written fresh, the way
students err, and never used to write a hint. They measure how often a wrong answer gets a named
mistake (a hint) rather than only "wrong value", on mistakes nobody tuned the checks for.

Each tests/holdout/exNN_*.py holds HOLDOUT, a list of `Wrong`: the code replaces functions of the
reference solution (appended to it, as a mutant is), `target` is the function whose checks must
fail, `what` says the mistake in a few words. tests/checks/test_holdout.py grades each one and asserts
it loses points; bench/bench_named.py prints how many are named.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Wrong:
    name: str
    target: str
    code: str
    what: str


def holdout() -> dict[str, list[Wrong]]:
    """{exercise: its hold-out mistakes}, from the files tests/holdout/exNN_*.py."""
    out = {}
    for path in sorted(HERE.glob("ex[0-9][0-9]_*.py")):
        module = importlib.import_module(f"tests.holdout.{path.stem}")
        out[path.stem[:4]] = list(module.HOLDOUT)
    return out
