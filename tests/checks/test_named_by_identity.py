"""A type is told by what it is, never by the name it gives itself: a check that asks for torch's
own class (torch.optim.SGD, nn.Linear) reads it by identity in the worker, so a class of hers that
calls itself SGD (with torch's __module__) or Linear is not taken for it; a subclass of torch's own
class is."""
import pytest

from tests.conftest import failing

FAKE_SGD = """
    class SGD:
        __module__ = "torch.optim.sgd"

        def __init__(self, params, lr):
            self.param_groups = [{"params": list(params), "lr": lr, "momentum": 0,
                                  "weight_decay": 0}]

        def zero_grad(self):
            for p in self.param_groups[0]["params"]:
                p.grad = None

        def step(self):
            with torch.no_grad():
                for p in self.param_groups[0]["params"]:
                    if p.grad is not None:
                        p -= self.param_groups[0]["lr"] * p.grad

    SGD.__qualname__ = "SGD"

    def make_optimizer(model, lr):
        return SGD(model.parameters(), lr)
    """

FAKE_LINEAR = """
    class Linear(nn.Module):
        def __init__(self, d, o):
            super().__init__()
            self.weight = nn.Parameter(torch.empty(o, d))
            self.bias = nn.Parameter(torch.empty(o))
            nn.init.kaiming_uniform_(self.weight, a=5 ** 0.5)
            nn.init.uniform_(self.bias, -1 / d ** 0.5, 1 / d ** 0.5)

        def forward(self, x):
            return x @ self.weight.T + self.bias

    class LinearRegression(nn.Module):
        def __init__(self, in_features=1, out_features=1):
            super().__init__()
            self.linear = Linear(in_features, out_features)

        def forward(self, x):
            return self.linear(x)
    """

SUBCLASSES = """
    class Linear(nn.Linear):
        pass

    class SGD(torch.optim.SGD):
        pass

    class LinearRegression(nn.Module):
        def __init__(self, in_features=1, out_features=1):
            super().__init__()
            self.linear = Linear(in_features, out_features)

        def forward(self, x):
            return self.linear(x)

    def make_optimizer(model, lr):
        return SGD(model.parameters(), lr=lr)
    """


@pytest.mark.ex06
@pytest.mark.parametrize("code, target", [(FAKE_SGD, "make_optimizer"),
                                          (FAKE_LINEAR, "LinearRegression")],
                         ids=["optimizer", "layer"])
def test_a_class_named_as_torchs_own_is_not_taken_for_it(grade, code, target):
    result = grade("ex06", code, device="cpu")
    lost = [c for c in failing(result, target) if c.visible]
    assert lost, [(c.title, c.status) for c in result.checks if c.target == target]
    assert any("a class of its own" in c.message for c in lost), [c.message for c in lost]


@pytest.mark.ex06
def test_a_subclass_of_torchs_own_is_taken_for_it(grade):
    result = grade("ex06", SUBCLASSES, device="cpu")
    assert not failing(result), [c.message for c in failing(result)]


ADAM_IN_SGD = """
    class SGD(torch.optim.SGD):
        def __init__(self, params, lr):
            super().__init__(params, lr=lr)
            self._adam = torch.optim.Adam(self.param_groups[0]["params"], lr=lr)

        def step(self, closure=None):
            return self._adam.step()

    def make_optimizer(model, lr):
        return SGD(model.parameters(), lr=lr)
    """


@pytest.mark.ex06
def test_a_subclass_is_judged_by_the_steps_it_takes(grade):
    """Taken for torch.optim.SGD by what it is, a subclass still has to step as SGD does: two
    steps on uneven gradients tell another rule (Adam's, whose first step on gradients of one
    sign matches SGD's at lr)."""
    result = grade("ex06", ADAM_IN_SGD, targets=["make_optimizer"], device="cpu")
    assert [c for c in failing(result, "make_optimizer") if c.visible], \
        [(c.title, c.status) for c in result.checks if c.target == "make_optimizer"]


META_MRO = """
    class _Looks(type):
        @property
        def __mro__(cls):
            return (cls, torch.optim.SGD, torch.optim.Optimizer, object)

    class Plain(metaclass=_Looks):
        def __init__(self, params, lr):
            self.param_groups = [{"params": list(params), "lr": lr, "momentum": 0,
                                  "weight_decay": 0}]

        def zero_grad(self):
            for p in self.param_groups[0]["params"]:
                p.grad = None

        def step(self):
            with torch.no_grad():
                for p in self.param_groups[0]["params"]:
                    if p.grad is not None:
                        p -= self.param_groups[0]["lr"] * p.grad

    def make_optimizer(model, lr):
        return Plain(model.parameters(), lr)
    """


@pytest.mark.ex06
def test_a_metaclass_cannot_answer_for_a_classs_ancestry(grade):
    result = grade("ex06", META_MRO, targets=["make_optimizer"], device="cpu")
    assert any("a class of its own" in c.message for c in failing(result, "make_optimizer")
               if c.visible), [c.message for c in failing(result)]
