"""forward_wb raises KeyboardInterrupt (as if Ctrl-C was pressed)."""
def forward_wb(x, w, b):
    raise KeyboardInterrupt
