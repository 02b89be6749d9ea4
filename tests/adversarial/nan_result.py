"""loss returns NaN in every entry."""
def loss(x, y, w):
    return (forward(x, w) - y) ** 2 * float("nan")
