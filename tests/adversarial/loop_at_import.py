"""`while True` at the top level of the file."""
while True:
    pass
