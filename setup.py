"""The build: setup.cfg holds everything but which packages go in.

A plain `pip wheel .` leaves the answers out, solutions/ and every grader/checks/*/private/ (the
references and the hidden checks): a wheel published by mistake publishes no answer. The
autograder's image (cluster workers, a grading server) needs them, and says so:

    TORCHDRILLS_WITH_ANSWERS=1 pip wheel . --no-deps -w dist/

An editable install (`pip install -e .`) copies nothing: it points at this checkout, answers
included, as the instructor's own commands need.
"""
import os
import sys

from setuptools import find_packages, setup

WITH_ANSWERS = os.environ.get("TORCHDRILLS_WITH_ANSWERS", "") == "1" \
    or any(command in ("editable_wheel", "develop") for command in sys.argv[1:])


def is_answer(package: str) -> bool:
    """solutions, solutions.*, and every private/ folder (grader.checks.ex01_linear_model.private)"""
    return package.split(".")[0] == "solutions" or "private" in package.split(".")


PACKAGES = find_packages(include=["grader", "grader.*", "solutions", "exercises"])
setup(packages=[p for p in PACKAGES if WITH_ANSWERS or not is_answer(p)])
