"""ex11: fitting sin(x) with a cubic, in NumPy, by hand.

Its reference is solutions/ex11_numpy_polynomial.py.
ships/ goes to students; private/ never leaves the instructor (grader/exercises.py).
"""
