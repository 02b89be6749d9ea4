"""mse_for_weights returns inf for every weight."""
def mse_for_weights(x_data, y_data, weights):
    return np.full(len(_as_array(weights)), np.inf)
