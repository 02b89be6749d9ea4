"""How often a planted mistake gets a name: a table, not a timed test (issue 11).

    python bench/bench_named.py                # every exercise's hold-out
    python bench/bench_named.py --exercises ex04 ex10 --show

The hold-out (tests/holdout/exNN_*.py) holds wrong student programs written fresh, never the
mutants the hints were written against. Each one is graded through the real grader (a sandboxed
worker, every check of its target, visible and hidden, as tests/checks/test_mutants.py grades mutants)
and counted:

  wrong       the hold-out mistakes of the exercise
  lose        those that lose points (all must: a wrong program with full marks is a bug)
  named vis   those that a failing visible check names (a hint the student sees locally)
  named any   those that some failing check names, visible or hidden

A hint counts as a name unless it is one of the generic questions (GENERIC) that the
trajectory comparison asks when it knows no mistake ("is the prediction or the loss itself
computed differently?"). --show prints each program's first failing message.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEED = 1234
# the hints the comparisons give when no known mistake matches: questions, not names
GENERIC = ("the very first value already differs", "the very first update differs")


def is_named(check) -> bool:
    return any(not h.startswith(GENERIC) for h in check.hints)


def grade_wrong(zygote, ex: str, wrong, folder: Path):
    """The GradeResult of one hold-out program: the reference with `wrong.code` appended."""
    from grader.exercises import module_of
    from grader.engine.runner import grade_submission
    source = (ROOT / "solutions" / f"{module_of(ex)}.py").read_text()
    folder.mkdir(parents=True)
    (folder / f"{module_of(ex)}.py").write_text(
        source + "\n\n# --- hold-out mistake ---\n" + textwrap.dedent(wrong.code))
    return grade_submission(folder, zygote, exercises=[ex], targets=[wrong.target], seed=SEED)


def outcome(result, target: str) -> dict:
    failing = [c for c in result.checks if c.target == target
               and c.status in ("failed", "error", "not started")]
    return {"lose": result.score < result.max_score,
            "named_visible": any(c.visible and is_named(c) for c in failing),
            "named_any": any(is_named(c) for c in failing),
            "hints": sorted({h for c in failing for h in c.hints}),
            "first": failing[0].message if failing else ""}


def measure(exercises=None, zygote=None, show=False) -> dict[str, list[tuple]]:
    """{exercise: [(wrong, outcome), ...]} for the hold-out of `exercises` (all by default)."""
    from grader.sandbox import Zygote
    from tests.holdout import holdout
    corpus = holdout()
    own = zygote is None
    zygote = zygote or Zygote()
    out = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for ex, wrongs in corpus.items():
                if exercises and ex not in exercises:
                    continue
                out[ex] = []
                for w in wrongs:
                    result = grade_wrong(zygote, ex, w, Path(tmp) / ex / w.name)
                    o = outcome(result, w.target)
                    out[ex].append((w, o))
                    if show:
                        print(f"--- {ex} {w.name} ({w.what}): lose={o['lose']} "
                              f"named_visible={o['named_visible']} named_any={o['named_any']}")
                        print(textwrap.indent(o["first"][:1200], "    "))
    finally:
        if own:
            zygote.close()
    return out


def table(measured: dict) -> str:
    rows = [f"{'exercise':<10}{'wrong':>7}{'lose':>7}{'named vis':>11}{'named any':>11}"]
    totals = [0, 0, 0, 0]
    for ex, items in measured.items():
        counts = [len(items), sum(o["lose"] for _, o in items),
                  sum(o["named_visible"] for _, o in items), sum(o["named_any"] for _, o in items)]
        totals = [t + c for t, c in zip(totals, counts)]
        rows.append(f"{ex:<10}" + "".join(f"{c:>{w}}" for c, w in zip(counts, (7, 7, 11, 11))))
    rows.append(f"{'all':<10}" + "".join(f"{c:>{w}}" for c, w in zip(totals, (7, 7, 11, 11))))
    n = totals[0] or 1
    rows.append(f"named in a visible check: {totals[2] / n:.0%}; in any check: "
                f"{totals[3] / n:.0%}")
    unnamed = [f"{ex} {w.name}" for ex, items in measured.items() for w, o in items
               if not o["named_any"]]
    if unnamed:
        rows.append("not named: " + ", ".join(unnamed))
    full = [f"{ex} {w.name}" for ex, items in measured.items() for w, o in items if not o["lose"]]
    if full:
        rows.append("FULL MARKS (a grading bug): " + ", ".join(full))
    return "\n".join(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercises", nargs="*")
    parser.add_argument("--show", action="store_true", help="print each first failing message")
    args = parser.parse_args(argv)
    print(table(measure(args.exercises, show=args.show)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
