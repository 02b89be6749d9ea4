"""mse_surface asks for 10 GB of memory."""
def mse_surface(x_data, y_data, ws, bs):
    big = torch.ones(10 * 1024**3, dtype=torch.uint8)
    return big.sum()
