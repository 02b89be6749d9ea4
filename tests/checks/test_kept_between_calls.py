"""State kept between calls is seen: a check calls make_optimizer twice on one model, at two
learning rates, and each call must give an optimizer at its own lr. An optimizer kept between
calls (by id(model), or made once for the file) hands back the first one, which a single call
per fresh model cannot show (ids of freed models come back); the message names the optimizer
kept. A cache keyed by every argument is right, and gets every point."""
import pytest

from grader.checks.ex06_nn_linear.ships.mistakes import OPTIMIZER_KEPT
from tests.conftest import failing

pytestmark = pytest.mark.ex06

KEPT = {
    "by_id": """
        _OPTIMIZERS = {}

        def make_optimizer(model, lr):
            if id(model) not in _OPTIMIZERS:
                _OPTIMIZERS[id(model)] = torch.optim.SGD(model.parameters(), lr=lr)
            return _OPTIMIZERS[id(model)]
        """,
    "once_per_model": """
        _LAST = {}

        def make_optimizer(model, lr):
            if _LAST.get("model") is not model:
                _LAST["model"] = model
                _LAST["opt"] = torch.optim.SGD(model.parameters(), lr=lr)
            return _LAST["opt"]
        """,
    "attribute_on_model": """
        def make_optimizer(model, lr):
            if not hasattr(model, "_sgd"):
                model._sgd = torch.optim.SGD(model.parameters(), lr=lr)
            return model._sgd
        """,
}

HONEST = {
    "cached_by_all_arguments": """
        import functools

        @functools.lru_cache(maxsize=None)
        def _sgd(model, lr):
            return torch.optim.SGD(model.parameters(), lr=lr)

        def make_optimizer(model, lr):
            return _sgd(model, lr)
        """,
    "groups_written_out": """
        def make_optimizer(model, lr):
            return torch.optim.SGD([{"params": list(model.parameters())}], lr=lr)
        """,
}


@pytest.mark.parametrize("name", sorted(KEPT))
def test_an_optimizer_kept_between_calls_is_named(grade, name):
    result = grade("ex06", KEPT[name], targets=["make_optimizer"], device="cpu")
    visible = [c for c in failing(result, "make_optimizer") if c.visible]
    assert visible, [(c.title, c.status) for c in result.checks if c.target == "make_optimizer"]
    assert any(OPTIMIZER_KEPT in c.hints for c in visible), [c.message for c in visible]


@pytest.mark.parametrize("name", sorted(HONEST))
def test_a_new_optimizer_per_call_gets_every_point(grade, name):
    result = grade("ex06", HONEST[name], targets=["make_optimizer"], device="cpu")
    assert not failing(result, "make_optimizer"), [c.message for c in failing(result)]
