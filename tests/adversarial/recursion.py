"""forward recurses forever."""
def forward(x, w):
    return forward(x, w) + 0
