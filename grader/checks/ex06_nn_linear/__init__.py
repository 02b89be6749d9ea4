"""ex06: nn.Linear, nn.MSELoss, torch.optim.SGD and a module of your own.

Its reference is solutions/ex06_nn_linear.py.
ships/ goes to students; private/ never leaves the instructor (grader/exercises.py).
"""
