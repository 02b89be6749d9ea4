"""What students of ex03 get: the visible checks, the table of mistakes and their hints, and the
recorded values."""

# Its code builds no torch.optim optimizer.
USES_OPTIM = False
