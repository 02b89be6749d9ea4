"""What never ships of ex11: the hidden checks, the wrong programs, trusted code that computes
known wrong answers. Never importable in a worker."""
