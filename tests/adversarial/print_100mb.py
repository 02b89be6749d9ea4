"""loss prints 100 MB, then returns the right value."""
def loss(x, y, w):
    line = "spam " * 20_000
    for _ in range(1_000):
        print(line)
    return (forward(x, w) - y) ** 2
