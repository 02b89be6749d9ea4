"""ex10: softmax and cross-entropy for several classes.

Its reference is solutions/ex10_softmax_classifier.py.
ships/ goes to students; private/ never leaves the instructor (grader/exercises.py).
"""
