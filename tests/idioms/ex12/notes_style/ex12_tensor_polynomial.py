"""Exercise 12 as "Learning PyTorch with Examples" writes it (PyTorch: Tensors, Tensors and
autograd, Custom nn Modules, optim), with the seeded generator the exercise asks for."""
import torch


def poly_grads_tensor(x, y, y_pred):
    grad_y_pred = 2.0 * (y_pred - y)
    grad_a = grad_y_pred.sum()
    grad_b = (grad_y_pred * x).sum()
    grad_c = (grad_y_pred * x ** 2).sum()
    grad_d = (grad_y_pred * x ** 3).sum()
    return grad_a, grad_b, grad_c, grad_d


def fit_tensor(x, y, lr=1e-6, steps=2000, seed=0):
    dtype, device = x.dtype, x.device
    g = torch.Generator().manual_seed(seed)
    # Randomly initialize weights
    a = torch.randn((), generator=g).to(device, dtype)
    b = torch.randn((), generator=g).to(device, dtype)
    c = torch.randn((), generator=g).to(device, dtype)
    d = torch.randn((), generator=g).to(device, dtype)

    learning_rate = lr
    losses = []
    for t in range(steps):
        # Forward pass: compute predicted y
        y_pred = a + b * x + c * x ** 2 + d * x ** 3

        # Compute and print loss
        loss = (y_pred - y).pow(2).sum().item()
        if t % 100 == 99:
            losses.append(loss)

        # Backprop to compute gradients of a, b, c, d with respect to loss
        grad_a, grad_b, grad_c, grad_d = poly_grads_tensor(x, y, y_pred)

        # Update weights using gradient descent
        a -= learning_rate * grad_a
        b -= learning_rate * grad_b
        c -= learning_rate * grad_c
        d -= learning_rate * grad_d
    return (a, b, c, d), losses


def fit_autograd(x, y, lr=1e-6, steps=2000, seed=0):
    g = torch.Generator().manual_seed(seed)
    a = torch.randn((), generator=g).to(x.device, x.dtype).requires_grad_()
    b = torch.randn((), generator=g).to(x.device, x.dtype).requires_grad_()
    c = torch.randn((), generator=g).to(x.device, x.dtype).requires_grad_()
    d = torch.randn((), generator=g).to(x.device, x.dtype).requires_grad_()

    learning_rate = lr
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            losses.append(loss.item())

        # Use autograd to compute the backward pass.
        loss.backward()

        # Manually update weights using gradient descent.
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad

            # Manually zero the gradients after updating weights
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return (a, b, c, d), losses


class Polynomial3(torch.nn.Module):
    def __init__(self):
        """
        In the constructor we instantiate four parameters and assign them as
        member parameters.
        """
        super().__init__()
        self.a = torch.nn.Parameter(torch.randn(()))
        self.b = torch.nn.Parameter(torch.randn(()))
        self.c = torch.nn.Parameter(torch.randn(()))
        self.d = torch.nn.Parameter(torch.randn(()))

    def forward(self, x):
        return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

    def string(self):
        return f'y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + ' \
               f'{self.d.item()} x^3'


def fit_optim(model, x, y, lr, steps, optimizer="sgd"):
    criterion = torch.nn.MSELoss(reduction='sum')
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr)
    elif optimizer == "rmsprop":
        opt = torch.optim.RMSprop(model.parameters(), lr=lr)
    else:
        raise ValueError("optimizer must be 'sgd' or 'rmsprop'")
    losses = []
    for t in range(steps):
        # Forward pass: Compute predicted y by passing x to the model
        y_pred = model(x)

        # Compute and print loss
        loss = criterion(y_pred, y)
        if t % 100 == 99:
            losses.append(loss.item())

        # Zero gradients, perform a backward pass, and update the weights.
        opt.zero_grad()
        loss.backward()
        opt.step()
    return losses


if __name__ == "__main__":
    import math

    # Create Tensors to hold input and outputs.
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    (a, b, c, d), losses = fit_tensor(x, y)
    print(f'Result: y = {a.item()} + {b.item()} x + {c.item()} x^2 + {d.item()} x^3')
    model = Polynomial3()
    fit_optim(model, x, y, lr=1e-6, steps=2000)
    print(f'Result: {model.string()}')
