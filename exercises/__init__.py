"""Exercise stubs (generated from solutions/ by `python -m grader build`)."""
