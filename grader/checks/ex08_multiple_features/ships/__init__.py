"""What students of ex08 get: the visible checks, the table of mistakes and their hints, and the
recorded values."""

# Its code (reference or student's) builds a torch.optim optimizer: grading warms one up first.
USES_OPTIM = True
