"""Reference solutions: the single source of the stubs, the notebooks and the checks."""
