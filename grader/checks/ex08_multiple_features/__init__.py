"""ex08: eight features in, one probability out: a network 8 → 6 → 4 → 1 with sigmoids.

Its reference is solutions/ex08_multiple_features.py.
ships/ goes to students; private/ never leaves the instructor (grader/exercises.py).
"""
