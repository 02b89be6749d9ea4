"""ex02: gradient descent, by hand.

Its reference is solutions/ex02_gradient_descent.py.
ships/ goes to students; private/ never leaves the instructor (grader/exercises.py).
"""
