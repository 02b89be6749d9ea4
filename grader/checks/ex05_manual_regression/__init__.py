"""ex05: linear regression with autograd and a hand-written update.

Its reference is solutions/ex05_manual_regression.py.
ships/ goes to students; private/ never leaves the instructor (grader/exercises.py).
"""
