"""Every input kind a contract names is one a check passes: zero_grads_(params) takes "an
iterable of leaf tensors (e.g. [w, b], or model.parameters())", and model.parameters() is a
generator, walked once. A function that walks params twice zeroes every .grad of a list and
misses some of a generator's; the check that hands it a generator fails and says why, and only
where the same leaves in a list are zeroed (the generator is then the one difference)."""
import pytest

from grader.checks.ex03_autograd_basics.ships.mistakes import ONE_PASS
from tests.conftest import failing

pytestmark = pytest.mark.ex03


# each walks params twice (or asks for what a generator lacks): right for a list only
TWO_PASSES = {
    "any_first": """
        def zero_grads_(params):
            if not any(p.grad is not None for p in params):
                return None
            for p in params:
                if p.grad is not None:
                    p.grad.zero_()
        """,
    "len_first": """
        def zero_grads_(params):
            for i in range(len(params)):
                if params[i].grad is not None:
                    params[i].grad.zero_()
        """,
    "counted_first": """
        def zero_grads_(params):
            n = sum(1 for p in params if p.grad is not None)
            if n == 0:
                return
            for p in params:
                if p.grad is not None:
                    p.grad.zero_()
        """,
    "checked_then_zeroed": """
        def zero_grads_(params):
            for p in params:
                assert p.is_leaf, "zero_grads_ takes leaves"
            for p in params:
                if p.grad is not None:
                    p.grad.zero_()
        """,
}

# right for both: the generator walked once, or made a list first
ONE_PASS_FORMS = {
    "listed_first": """
        def zero_grads_(params):
            params = list(params)
            if not any(p.grad is not None for p in params):
                return None
            for p in params:
                if p.grad is not None:
                    p.grad.zero_()
        """,
    "filtered": """
        def zero_grads_(params):
            for g in [p.grad for p in params if p.grad is not None]:
                g.zero_()
        """,
}


def _generator_check(result):
    return [c for c in result.checks if "test_zero_grads_one_pass" in c.nodeid]


@pytest.mark.parametrize("name", sorted(TWO_PASSES))
def test_a_second_walk_over_a_generator_is_named(grade, name):
    result = grade("ex03", TWO_PASSES[name], targets=["zero_grads_"], device="cpu")
    [check] = _generator_check(result)
    assert check.status == "failed", check.message
    assert ONE_PASS in check.message and ONE_PASS in check.hints, check.message
    others = [c for c in failing(result, "zero_grads_") if c is not check]
    assert not any(ONE_PASS in c.message for c in others)


@pytest.mark.parametrize("name", sorted(ONE_PASS_FORMS))
def test_one_walk_gets_every_point(grade, name):
    result = grade("ex03", ONE_PASS_FORMS[name], targets=["zero_grads_"], device="cpu")
    assert _generator_check(result)[0].status == "passed"
    assert not failing(result, "zero_grads_"), [c.message for c in failing(result)]


def test_a_mistake_a_list_shows_too_is_not_blamed_on_the_generator(grade):
    wrong = """
        def zero_grads_(params):
            for p in params:
                if p.grad is not None:
                    p.grad = None
        """
    result = grade("ex03", wrong, targets=["zero_grads_"], device="cpu")
    [check] = _generator_check(result)
    assert check.status == "failed"
    assert ONE_PASS not in check.message
