"""Exercise 04 as the course notes write it: w = torch.tensor([1.0], requires_grad=True),
l.backward(), w.data = w.data - 0.01 * w.grad.data, w.grad.data.zero_()."""
import torch


def backward_steps(x, y, w):
    # forward
    y_hat = x * w
    r = y_hat - y
    loss = r * r
    # backward, one local derivative at a time
    dloss_dr = 2 * r
    dr_dyhat = 1.0
    dyhat_dw = x
    dloss_dw = dloss_dr * dr_dyhat * dyhat_dw
    return dict(y_hat=float(y_hat), r=float(r), loss=float(loss), dloss_dr=float(dloss_dr),
                dr_dyhat=dr_dyhat, dyhat_dw=float(dyhat_dw), dloss_dw=float(dloss_dw))


def affine_backward_steps(x, y, w, b):
    y_hat = x * w + b
    r = y_hat - y
    loss = r * r
    dloss_dr = 2 * r
    dr_dyhat = 1.0
    dyhat_dw = x
    dyhat_db = 1.0
    return dict(y_hat=float(y_hat), r=float(r), loss=float(loss), dloss_dr=float(dloss_dr),
                dr_dyhat=dr_dyhat, dyhat_dw=float(dyhat_dw), dyhat_db=dyhat_db,
                dloss_dw=float(dloss_dr * dr_dyhat * dyhat_dw),
                dloss_db=float(dloss_dr * dr_dyhat * dyhat_db))


def _data(xs, ys):
    x_data = xs.detach() if torch.is_tensor(xs) else torch.tensor(xs, dtype=torch.float32)
    y_data = torch.as_tensor(ys, dtype=x_data.dtype, device=x_data.device)
    return x_data, y_data


def train_autograd(xs, ys, w0, lr, epochs):
    x_data, y_data = _data(xs, ys)
    w = torch.tensor([w0], dtype=x_data.dtype, device=x_data.device, requires_grad=True)

    def forward(x):
        return x * w

    def loss(y_pred, y_val):
        return (y_pred - y_val) ** 2

    losses = []
    for epoch in range(epochs):
        for x_val, y_val in zip(x_data, y_data):
            y_pred = forward(x_val)
            l = loss(y_pred, y_val)
            l.backward()
            w.data = w.data - lr * w.grad.data
            w.grad.data.zero_()
        losses.append(l.item())
    return w.item(), losses


def quadratic_forward(x, w1, w2, b):
    return w1 * x * x + w2 * x + b


def quadratic_grads(x, y, w1, w2, b):
    y_pred = quadratic_forward(x, w1, w2, b)
    r = y_pred - y
    return 2 * x ** 2 * r, 2 * x * r, 2 * r


def train_quadratic(xs, ys, w1, w2, b, lr, epochs):
    x_data, y_data = _data(xs, ys)
    w1 = torch.tensor([w1], dtype=x_data.dtype, device=x_data.device, requires_grad=True)
    w2 = torch.tensor([w2], dtype=x_data.dtype, device=x_data.device, requires_grad=True)
    b = torch.tensor([b], dtype=x_data.dtype, device=x_data.device, requires_grad=True)
    losses = []
    for epoch in range(epochs):
        for x_val, y_val in zip(x_data, y_data):
            l = (quadratic_forward(x_val, w1, w2, b) - y_val) ** 2
            l.backward()
            w1.data = w1.data - lr * w1.grad.data
            w2.data = w2.data - lr * w2.grad.data
            b.data = b.data - lr * b.grad.data
            w1.grad.data.zero_()
            w2.grad.data.zero_()
            b.grad.data.zero_()
        losses.append(l.item())
    return w1.item(), w2.item(), b.item(), losses
