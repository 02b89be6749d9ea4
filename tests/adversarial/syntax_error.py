# replaces the whole submission
"""A syntax error: nothing can be imported."""
def forward(x, w)
    return x * w
