"""forward_wb returns a tensor with an extra leading dimension: (1, N) instead of (N,)."""
def forward_wb(x, w, b):
    if isinstance(x, torch.Tensor) and x.dim() == 1:
        return (x * w + b).unsqueeze(0)
    return x * w + b
