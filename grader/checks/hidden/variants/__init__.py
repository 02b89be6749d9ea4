"""Trusted code of the checks that never ships and is never importable in a worker: the runs
with a known mistake (and the models they need), computed in the grading process to name a
student's mistake. The hidden checks call these functions on their inputs; `build` records
their values on the visible checks' fixed inputs (grader.checks.training.Recorded), so that the
visible checks name the same mistakes from data alone.

One module per exercise (ex06 also serves ex07 and ex08). Each function takes the mistake it
is to make by name and refuses a name it does not know: none of them falls back to the right
computation.
"""
