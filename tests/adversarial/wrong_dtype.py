"""forward returns float64 for float32 input."""
def forward(x, w):
    if isinstance(x, torch.Tensor):
        return x.double() * w
    return x * w
