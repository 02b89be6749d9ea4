"""forward returns a tensor on the 'meta' device (shape and dtype, no values)."""
def forward(x, w):
    if isinstance(x, torch.Tensor):
        return (x * w).to("meta")
    return x * w
