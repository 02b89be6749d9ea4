"""Exercise 06 as the course notes write it: super(Model, self).__init__(), y_pred = model(x)
first, then criterion, optimizer.zero_grad(), loss.backward(), optimizer.step()."""
import torch


class LinearRegression(torch.nn.Module):
    def __init__(self, input_dim, output_dim):
        """In the constructor we instantiate one nn.Linear module."""
        super(LinearRegression, self).__init__()
        self.linear = torch.nn.Linear(input_dim, output_dim)

    def forward(self, x):
        """Accept a tensor of input data and return a tensor of output data."""
        y_pred = self.linear(x)
        return y_pred


def make_optimizer(model, lr):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    return optimizer


def train_step(model, loss_fn, optimizer, X, Y):
    # forward pass: compute the predicted y by passing x to the model
    y_pred = model(X)
    # compute and keep the loss
    loss = loss_fn(y_pred, Y)
    # zero gradients, perform a backward pass, and update the weights
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.data.item()


def train(model, X, Y, lr, n_iter):
    criterion = torch.nn.MSELoss()
    optimizer = make_optimizer(model, lr)
    losses = []
    for epoch in range(n_iter):
        losses.append(train_step(model, criterion, optimizer, X, Y))
    return losses


def predict(model, x):
    with torch.no_grad():
        y_pred = model(x)
    return y_pred


if __name__ == "__main__":
    x_data = torch.tensor([[1.0], [2.0], [3.0]])
    y_data = torch.tensor([[2.0], [4.0], [6.0]])
    model = LinearRegression(1, 1)
    losses = train(model, x_data, y_data, lr=0.01, n_iter=500)
    for epoch in range(0, 500, 50):
        print(epoch, losses[epoch])
    hour_var = torch.tensor([[4.0]])
    print("predict (after training)", 4, predict(model, hour_var).item())
