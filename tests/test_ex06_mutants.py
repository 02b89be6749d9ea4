"""Wrong variants of ex06 fail the right checks, and the messages name the mistake."""
import pytest
import torch

from tests.conftest import failing, messages

CUDA_ONLY = {"forward_cpu", "predict_cpu"}

MUTANTS = [
    # (name, code, target that must fail, words the message must contain)
    ("module_named_fc", """
     class LinearRegression(nn.Module):
         def __init__(self, input_dim, output_dim):
             super().__init__()
             self.fc = nn.Linear(input_dim, output_dim)
         def forward(self, x):
             return self.fc(x)
     """, "LinearRegression", "should hold the submodules"),
    ("module_dims_swapped", """
     class LinearRegression(nn.Module):
         def __init__(self, input_dim, output_dim):
             super().__init__()
             self.linear = nn.Linear(output_dim, input_dim)
         def forward(self, x):
             return x @ self.linear.weight + self.linear.bias.mean()
     """, "LinearRegression", "should have the parameters"),
    ("forward_no_bias", """
     _Orig = LinearRegression
     class LinearRegression(_Orig):
         def forward(self, x):
             return x @ self.linear.weight.T
     """, "LinearRegression", "bias is missing"),
    ("forward_calls_backward", """
     _Orig = LinearRegression
     class LinearRegression(_Orig):
         def forward(self, x):
             out = self.linear(x)
             out.sum().backward(retain_graph=True)
             return out
     """, "LinearRegression", "filled the .grad"),
    ("forward_changes_weights", """
     _Orig = LinearRegression
     class LinearRegression(_Orig):
         def forward(self, x):
             out = self.linear(x)
             with torch.no_grad():
                 self.linear.weight.mul_(0.5)
             return out
     """, "LinearRegression", "changed the parameter"),
    ("forward_cpu", """
     _Orig = LinearRegression
     class LinearRegression(_Orig):
         def forward(self, x):
             return self.linear(x).cpu()
     """, "LinearRegression", "left on the CPU"),
    ("optimizer_adam", """
     def make_optimizer(model, lr):
         return torch.optim.Adam(model.parameters(), lr=lr)
     """, "make_optimizer", "torch.optim.SGD"),
    ("optimizer_momentum", """
     def make_optimizer(model, lr):
         return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
     """, "make_optimizer", "momentum"),
    ("optimizer_fixed_lr", """
     def make_optimizer(model, lr):
         return torch.optim.SGD(model.parameters(), lr=0.01)
     """, "make_optimizer", "the optimizer's lr"),
    ("optimizer_weight_only", """
     def make_optimizer(model, lr):
         return torch.optim.SGD([model.linear.weight], lr=lr)
     """, "make_optimizer", "pass model.parameters()"),
    ("step_no_zero_grad", """
     def train_step(model, loss_fn, optimizer, X, Y):
         loss = loss_fn(model(X), Y)
         loss.backward()
         optimizer.step()
         return loss.item()
     """, "train_step", "never zeroed"),
    ("step_zero_after_backward", """
     def train_step(model, loss_fn, optimizer, X, Y):
         loss = loss_fn(model(X), Y)
         loss.backward()
         optimizer.zero_grad()
         optimizer.step()
         return loss.item()
     """, "train_step", "never move"),
    ("step_zero_after_step", """
     def train_step(model, loss_fn, optimizer, X, Y):
         loss = loss_fn(model(X), Y)
         loss.backward()
         optimizer.step()
         optimizer.zero_grad()
         return loss.item()
     """, "train_step", "already in .grad"),
    ("step_loss_after_update", """
     def train_step(model, loss_fn, optimizer, X, Y):
         optimizer.zero_grad()
         loss_fn(model(X), Y).backward()
         optimizer.step()
         return loss_fn(model(X), Y).item()
     """, "train_step", "after each update"),
    ("step_returns_tensor", """
     def train_step(model, loss_fn, optimizer, X, Y):
         optimizer.zero_grad()
         loss = loss_fn(model(X), Y)
         loss.backward()
         optimizer.step()
         return loss
     """, "train_step", "loss.item()"),
    ("train_no_zero_grad", """
     def train(model, X, Y, lr, n_iter):
         loss_fn, optimizer, losses = nn.MSELoss(), make_optimizer(model, lr), []
         for _ in range(n_iter):
             loss = loss_fn(model(X), Y)
             loss.backward()
             optimizer.step()
             losses.append(loss.item())
         return losses
     """, "train", "never zeroed"),
    ("train_sum_loss", """
     def train(model, X, Y, lr, n_iter):
         loss_fn = nn.MSELoss(reduction="sum")
         optimizer = make_optimizer(model, lr)
         return [train_step(model, loss_fn, optimizer, X, Y) for _ in range(n_iter)]
     """, "train", "sum over the samples"),
    ("train_loss_after_update", """
     def train(model, X, Y, lr, n_iter):
         loss_fn, optimizer, losses = nn.MSELoss(), make_optimizer(model, lr), []
         for _ in range(n_iter):
             train_step(model, loss_fn, optimizer, X, Y)
             with torch.no_grad():
                 losses.append(loss_fn(model(X), Y).item())
         return losses
     """, "train", "after each update"),
    ("train_tensor_losses", """
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
    ("predict_with_graph", """
     def predict(model, x):
         return model(x)
     """, "predict", "requires grad"),
    ("predict_cpu", """
     def predict(model, x):
         with torch.no_grad():
             return model(x).cpu()
     """, "predict", "left on the CPU"),
]


@pytest.mark.parametrize("name,code,target,words", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_mutant_is_caught(grade, name, code, target, words):
    if name in CUDA_ONLY and not torch.cuda.is_available():
        pytest.skip("a result left on the CPU can only be seen on a CUDA machine")
    keyword = {"LinearRegression": "structure or forward"}.get(target, target)
    result = grade("ex06", code, keyword=keyword)
    assert failing(result, target), f"mutant {name} passed every check of {target}"
    assert words in messages(result, target), messages(result, target)


def test_reference_passes_every_check(grade):
    result = grade("ex06")
    assert not failing(result), messages(result)
    assert result.score == result.max_score > 0


def test_course_number_is_recorded():
    """The recorded course run really ends with f(5) ≈ 10 (y = 2x)."""
    from grader.checking import expected
    from grader.checks.ex06_nn_linear.ships.test_visible import CASES
    state = expected(CASES["train_course"])["state"]
    f5 = 5 * state["linear.weight"].item() + state["linear.bias"].item()
    assert abs(f5 - 10.0) < 0.1
