"""Change global state to disturb later checks: default dtype and device, seeds, autograd,
thread count, print options; again inside a call."""
torch.set_default_dtype(torch.float64)
torch.set_default_device("meta")
torch.manual_seed(1)
np.random.seed(1)
torch.set_grad_enabled(False)
_right_forward = forward


def forward(x, w):
    torch.set_default_dtype(torch.float16)
    torch.manual_seed(12345)
    np.random.seed(12345)
    return _right_forward(x, w)
