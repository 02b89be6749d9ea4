"""The grading engine, the checks and the command line of the PyTorch exercises."""
__version__ = "0.1.0"
