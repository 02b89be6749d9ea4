"""ex12: the cubic fit of sin(x) again, with tensors, autograd, nn.Module and torch.optim.

Its reference is solutions/ex12_tensor_polynomial.py.
ships/ goes to students; private/ never leaves the instructor (grader/exercises.py).
"""
