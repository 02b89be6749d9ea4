"""The wrong programs of ex06: each is the reference with one known mistake (the code is
appended to the reference, so a `def` replaces the reference's function of that name), and it
must fail a check of its target with a message that holds its words (tests/checks/test_mutants.py)."""
from grader.checks.api import Mutant

# a result left on the CPU: only a CUDA machine can show these mistakes
CUDA_ONLY = {"forward_cpu", "predict_cpu"}

MUTANTS = [
    Mutant("module_is_sequential", """
     class LinearRegression(nn.Sequential):
         def __init__(self, input_dim, output_dim):
             super().__init__(nn.Linear(input_dim, output_dim))
     """, "LinearRegression", "load their parameters into your model by name"),
    Mutant("module_named_fc", """
     class LinearRegression(nn.Module):
         def __init__(self, input_dim, output_dim):
             super().__init__()
             self.fc = nn.Linear(input_dim, output_dim)
         def forward(self, x):
             return self.fc(x)
     """, "LinearRegression", "should hold the submodules"),
    Mutant("module_dims_swapped", """
     class LinearRegression(nn.Module):
         def __init__(self, input_dim, output_dim):
             super().__init__()
             self.linear = nn.Linear(output_dim, input_dim)
         def forward(self, x):
             return x @ self.linear.weight + self.linear.bias.mean()
     """, "LinearRegression", "should have the parameters"),
    Mutant("forward_no_bias", """
     _Orig = LinearRegression
     class LinearRegression(_Orig):
         def forward(self, x):
             return x @ self.linear.weight.T
     """, "LinearRegression", "bias is missing"),
    Mutant("forward_calls_backward", """
     _Orig = LinearRegression
     class LinearRegression(_Orig):
         def forward(self, x):
             out = self.linear(x)
             out.sum().backward(retain_graph=True)
             return out
     """, "LinearRegression", "filled the .grad"),
    Mutant("forward_changes_weights", """
     _Orig = LinearRegression
     class LinearRegression(_Orig):
         def forward(self, x):
             out = self.linear(x)
             with torch.no_grad():
                 self.linear.weight.mul_(0.5)
             return out
     """, "LinearRegression", "changed the parameter"),
    Mutant("forward_cpu", """
     _Orig = LinearRegression
     class LinearRegression(_Orig):
         def forward(self, x):
             return self.linear(x).cpu()
     """, "LinearRegression", "left on the CPU"),
    Mutant("optimizer_adam", """
     def make_optimizer(model, lr):
         return torch.optim.Adam(model.parameters(), lr=lr)
     """, "make_optimizer", "torch.optim.SGD"),
    Mutant("optimizer_momentum", """
     def make_optimizer(model, lr):
         return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
     """, "make_optimizer", "momentum"),
    Mutant("optimizer_fixed_lr", """
     def make_optimizer(model, lr):
         return torch.optim.SGD(model.parameters(), lr=0.01)
     """, "make_optimizer", "the optimizer's lr"),
    Mutant("optimizer_weight_only", """
     def make_optimizer(model, lr):
         return torch.optim.SGD([model.linear.weight], lr=lr)
     """, "make_optimizer", "pass model.parameters()"),
    Mutant("step_no_zero_grad", """
     def train_step(model, loss_fn, optimizer, X, Y):
         loss = loss_fn(model(X), Y)
         loss.backward()
         optimizer.step()
         return loss.item()
     """, "train_step", "never zeroed"),
    Mutant("step_zero_after_backward", """
     def train_step(model, loss_fn, optimizer, X, Y):
         loss = loss_fn(model(X), Y)
         loss.backward()
         optimizer.zero_grad()
         optimizer.step()
         return loss.item()
     """, "train_step", "never move"),
    Mutant("step_zero_after_step", """
     def train_step(model, loss_fn, optimizer, X, Y):
         loss = loss_fn(model(X), Y)
         loss.backward()
         optimizer.step()
         optimizer.zero_grad()
         return loss.item()
     """, "train_step", "already in .grad"),
    Mutant("step_loss_after_update", """
     def train_step(model, loss_fn, optimizer, X, Y):
         optimizer.zero_grad()
         loss_fn(model(X), Y).backward()
         optimizer.step()
         return loss_fn(model(X), Y).item()
     """, "train_step", "after each update"),
    Mutant("step_returns_tensor", """
     def train_step(model, loss_fn, optimizer, X, Y):
         optimizer.zero_grad()
         loss = loss_fn(model(X), Y)
         loss.backward()
         optimizer.step()
         return loss
     """, "train_step", "loss.item()"),
    Mutant("train_no_zero_grad", """
     def train(model, X, Y, lr, n_iter):
         loss_fn, optimizer, losses = nn.MSELoss(), make_optimizer(model, lr), []
         for _ in range(n_iter):
             loss = loss_fn(model(X), Y)
             loss.backward()
             optimizer.step()
             losses.append(loss.item())
         return losses
     """, "train", "never zeroed"),
    Mutant("train_sum_loss", """
     def train(model, X, Y, lr, n_iter):
         loss_fn = nn.MSELoss(reduction="sum")
         optimizer = make_optimizer(model, lr)
         return [train_step(model, loss_fn, optimizer, X, Y) for _ in range(n_iter)]
     """, "train", "sum over the samples"),
    Mutant("train_loss_after_update", """
     def train(model, X, Y, lr, n_iter):
         loss_fn, optimizer, losses = nn.MSELoss(), make_optimizer(model, lr), []
         for _ in range(n_iter):
             train_step(model, loss_fn, optimizer, X, Y)
             with torch.no_grad():
                 losses.append(loss_fn(model(X), Y).item())
         return losses
     """, "train", "after each update"),
    Mutant("train_tensor_losses", """
     def train(model, X, Y, lr, n_iter):
         loss_fn, optimizer, losses = nn.MSELoss(), make_optimizer(model, lr), []
         for _ in range(n_iter):
             optimizer.zero_grad()
             loss = loss_fn(model(X), Y)
             loss.backward()
             optimizer.step()
             losses.append(loss)
         return losses
     """, "train", "loss.item()"),
    Mutant("predict_with_graph", """
     def predict(model, x):
         return model(x)
     """, "predict", "requires grad"),
    Mutant("predict_cpu", """
     def predict(model, x):
         with torch.no_grad():
             return model(x).cpu()
     """, "predict", "left on the CPU"),
    Mutant("step_never_zeroes", """
     def train_step(model, loss_fn, optimizer, X, Y):
         loss = loss_fn(model(X), Y)
         loss.backward()
         optimizer.step()
         return float(loss.item())
     """, "train_step", "never zeroed",
           what="train_step never zeroes the gradients"),
    Mutant("optimizer_ignores_lr", """
     import torch as _torch
     def make_optimizer(model, lr):
         return _torch.optim.SGD(model.parameters(), lr=0.1)
     """, "make_optimizer", "the optimizer's lr",
           what="make_optimizer ignores the learning rate"),
]

# planted in the demo class (grader/instructor/demo.py), in this order
DEMO = ("step_never_zeroes", "optimizer_ignores_lr")
