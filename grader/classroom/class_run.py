"""What a class run did: its counts, its class mean and the one line grade-class prints.

    run = ClassRun(folder="class1", db="g.db", seed=17, jobs=2, total=7, graded=7,
                   seconds=13.2, mean=201.6, max_score=330)
    run.line()   # 'graded 7 of 7 submissions in 13.2 s with 2 jobs, seed 17; class mean ...'
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ClassRun:
    """What a class run did (see `line()`)."""

    folder: str
    db: str
    seed: int
    jobs: int
    total: int = 0
    graded: int = 0
    skipped: int = 0
    failed: int = 0             # graded, but with a grader error (crash, time limit, bad zip)
    seconds: float = 0.0
    mean: float = 0.0           # of the exercises it graded (all: every one graded), raw
    max_score: float = 0.0      # their points
    # under a course file: the mean as the course counts each exercise (the attempt that
    # counts), before late penalties and after them
    course_means: tuple[float, float] | None = None
    html_dir: str | None = None
    cluster: str | None = None  # the Dask scheduler it ran on
    students: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)    # "bob: left out '../x.py': ..."
    csv: str | None = None      # the CSV written
    csv_problem: str = ""       # why the CSV asked for was not written

    def line(self, penalties: bool = False) -> str:
        """'graded 7 of 7 submissions in 13.2 s with 2 jobs, seed 17; class mean 201.6 / 330;
        gradebook g.db'. The class mean is of the run's exercises, out of their points;
        `penalties` (grade-class's line, under a course file): 'class mean 18.0 / 18 before
        late penalties, 16.2 after'."""
        text = (f"graded {self.graded} of {self.total} submissions"
                + (f" ({self.skipped} already in the gradebook)" if self.skipped else "")
                + f" in {self.seconds:.1f} s with {self.jobs} "
                + (f"Dask worker{'s' * (self.jobs != 1)} at {self.cluster}" if self.cluster
                   else f"job{'s' * (self.jobs != 1)}")
                + f", seed {self.seed}")
        if self.total:
            if penalties and self.course_means is not None:
                raw, after = self.course_means
                text += (f"; class mean {raw:.1f} / {self.max_score:g} before late "
                         f"penalties, {after:.1f} after")
            else:
                text += f"; class mean {self.mean:.1f} / {self.max_score:g}"
        if self.failed:
            text += f"; {self.failed} could not be fully graded (see the gradebook's errors)"
        return text + f"; gradebook {self.db}"
