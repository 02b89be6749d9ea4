"""ex07: logistic regression: sigmoid, binary cross-entropy, two Gaussian clusters.

Its reference is solutions/ex07_logistic_regression.py.
ships/ goes to students; private/ never leaves the instructor (grader/exercises.py).
"""
