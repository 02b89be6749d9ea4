"""ex04: backpropagation, by hand and with autograd.

Its reference is solutions/ex04_backprop.py.
ships/ goes to students; private/ never leaves the instructor (grader/exercises.py).
"""
