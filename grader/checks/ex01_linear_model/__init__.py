"""ex01: the linear model, by exhaustive search.

Its reference is solutions/ex01_linear_model.py.
ships/ goes to students; private/ never leaves the instructor (grader/exercises.py).
"""
