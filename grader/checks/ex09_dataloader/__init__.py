"""ex09: Dataset and DataLoader, training on mini-batches.

Its reference is solutions/ex09_dataloader.py.
ships/ goes to students; private/ never leaves the instructor (grader/exercises.py).
"""
