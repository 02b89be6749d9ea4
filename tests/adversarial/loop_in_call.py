"""best_weight never returns."""
def best_weight(x_data, y_data, weights):
    while True:
        pass
