"""ex03: autograd basics: the graph, leaves, grad_fn, no_grad and accumulation.

Its reference is solutions/ex03_autograd_basics.py.
ships/ goes to students; private/ never leaves the instructor (grader/exercises.py).
"""
