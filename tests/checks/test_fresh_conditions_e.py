"""The hints added for the fresh mistakes of tests/fresh, continued from
tests/checks/test_fresh_conditions.py (same rule: each tried against a program with the same
symptom for another reason, which must not get it):

  ex07 the default momentum of the signature: an optimizer made anew each epoch (its momentum
       lost) is not told so
  ex11 the default lr of the signature: d updated at half the lr (wrong with the defaults
       passed too) is not told so
  ex11 a term at one power of x more (d * x**4): the cubic term doubled is not named so
  ex11 a gradient at one power of x more (grad_d of x**4): grad_d doubled is not
  ex11 one wrong value told by its own factor (grad_a × 1/2): grad_a a mean (× 1/N) is not
  ex12 initial values that depend on earlier calls: a's update at twice the lr (the start right
       on every call) is not told so
  ex12 float32 for float64, its precision said (forward's x.float()): a float64 result computed
       in float32 and cast back is not told its dtype
  ex12 string()'s values rounded (:g): values in the wrong places are not
"""
from __future__ import annotations

from tests.checks.test_fresh_conditions import any_hint, fresh_code, hints_of
from tests.conftest import failing


# -- ex11 poly_forward: the cubic term at x**4, or the cubic term doubled (the last value alone
#    wrong on x = [0, 1, 2] in neither case: x = 1 tells 2 d from d)

CUBE_DOUBLED = """
def poly_forward(x, a, b, c, d):
    return a + b * x + c * x ** 2 + 2 * d * x ** 3
"""


def test_fourth_power_only_where_the_term_is_d_x4(grade):
    right = hints_of(grade("ex11", fresh_code("ex11", "poly_forward_cube_as_fourth_power"),
                           targets=["poly_forward"]), "poly_forward", visible=True)
    assert any_hint(right, r"d multiplies x\*\*4"), right
    other = hints_of(grade("ex11", CUBE_DOUBLED, targets=["poly_forward"]), "poly_forward")
    assert not any_hint(other, r"x\*\*4"), other


# -- ex11 poly_grads: grad_d at x**4, or grad_d doubled (grad_d alone wrong in both)

GRAD_D_DOUBLED = """
def poly_grads(x, y, y_pred):
    r = 2.0 * (y_pred - y)
    return (float(r.sum()), float((r * x).sum()), float((r * x ** 2).sum()),
            float(2 * (r * x ** 3).sum()))
"""


def test_gradient_power_only_where_grad_d_sums_x4(grade):
    right = hints_of(grade("ex11", fresh_code("ex11", "poly_grads_d_fourth_power"),
                           targets=["poly_grads"]), "poly_grads", visible=True)
    assert any_hint(right, r"grad_d uses x\*\*4"), right
    other = hints_of(grade("ex11", GRAD_D_DOUBLED, targets=["poly_grads"]), "poly_grads")
    assert not any_hint(other, r"x\*\*4"), other


# -- ex11 poly_grads: grad_a alone wrong, half the expected one, or its mean (1/N)

GRAD_A_MEAN = """
def poly_grads(x, y, y_pred):
    r = 2.0 * (y_pred - y)
    return (float(r.mean()), float((r * x).sum()), float((r * x ** 2).sum()),
            float((r * x ** 3).sum()))
"""


def test_one_value_halved_only_where_it_is_half(grade):
    right = hints_of(grade("ex11", fresh_code("ex11", "poly_grads_a_without_2"),
                           targets=["poly_grads"]), "poly_grads", visible=True)
    assert any_hint(right, r"index 0 \(the first\) is wrong: it is the expected one × 1/2"), \
        right
    other = hints_of(grade("ex11", GRAD_A_MEAN, targets=["poly_grads"]), "poly_grads")
    assert any_hint(other, r"index 0") and not any_hint(other, r"× 1/2|× 2\b"), other


# -- ex12 Polynomial3.forward in float32 for a float64 model: returned in float32, or cast back
#    to float64 (the dtype right, the values float32's)

_POLY3 = """
class Polynomial3(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.randn(()))
        self.b = nn.Parameter(torch.randn(()))
        self.c = nn.Parameter(torch.randn(()))
        self.d = nn.Parameter(torch.randn(()))

    def forward(self, x):
        return {forward}

    def string(self):
        return {string}
"""
ITEMS = ('f"y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + '
         '{self.d.item()} x^3"')
CAST_BACK = _POLY3.format(
    forward="(self.a.float() + self.b.float() * x.float() + self.c.float() * x.float() ** 2 "
            "+ self.d.float() * x.float() ** 3).to(x.dtype)", string=ITEMS)


def test_float32_precision_only_where_the_result_is_float32(grade):
    right = hints_of(grade("ex12", fresh_code("ex12", "polynomial3_forward_casts_to_float32"),
                           targets=["Polynomial3"]), "Polynomial3", visible=True)
    assert any_hint(right, r"float32 where float64 is asked, so only float32's precision"), right
    other = hints_of(grade("ex12", CAST_BACK, targets=["Polynomial3"]), "Polynomial3")
    assert not any_hint(other, r"float32 where float64 is asked"), other


# -- ex12 Polynomial3.string: the values rounded by :g, or in the wrong places (a and b swapped)

SWAPPED_IN_TEXT = _POLY3.format(
    forward="self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3",
    string='f"y = {self.b.item()} + {self.a.item()} x + {self.c.item()} x^2 + '
           '{self.d.item()} x^3"')


def test_values_in_full_only_where_the_text_rounds_them(grade):
    right = hints_of(grade("ex12", fresh_code("ex12", "polynomial3_string_g_format"),
                           targets=["Polynomial3"]), "Polynomial3", visible=True)
    assert any_hint(right, r"each value in full"), right
    other = hints_of(grade("ex12", SWAPPED_IN_TEXT, targets=["Polynomial3"]), "Polynomial3")
    assert other and not any_hint(other, r"in full|rounds"), other



# -- ex07 train_logistic with the default momentum: another default, or an optimizer made anew
#    each epoch (wrong with momentum=0.9 passed too)

OPTIMIZER_EACH_EPOCH = """
def train_logistic(model, x, y, lr, epochs, momentum=0.9):
    loss_fn = nn.BCELoss()
    losses = []
    for _ in range(epochs):
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
"""


def test_default_momentum_only_where_passing_it_makes_the_run_right(grade):
    right = hints_of(grade("ex07", fresh_code("ex07", "train_logistic_default_momentum_half"),
                           targets=["train_logistic"]), "train_logistic", visible=True)
    assert any_hint(right, r"default for momentum differs"), right
    result = grade("ex07", OPTIMIZER_EACH_EPOCH, targets=["train_logistic"])
    other = hints_of(result, "train_logistic")
    assert failing(result, "train_logistic") and not any_hint(other, r"default"), other


# -- ex11 fit_numpy with its defaults: another default lr, or d moved at half the lr

D_AT_HALF_LR = """
def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
    rng = np.random.default_rng(seed)
    a, b, c, d = (float(rng.standard_normal()) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = poly_forward(x, a, b, c, d)
        loss = poly_loss(y_pred, y)
        if t % 100 == 99:
            losses.append(loss)
        grad_a, grad_b, grad_c, grad_d = poly_grads(x, y, y_pred)
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr / 2 * grad_d
    return (a, b, c, d), losses
"""


def test_default_lr_only_where_passing_it_makes_the_run_right(grade):
    right = hints_of(grade("ex11", fresh_code("ex11", "fit_numpy_default_lr_1e5"),
                           targets=["fit_numpy"]), "fit_numpy", visible=True)
    assert any_hint(right, r"default for lr differs"), right
    result = grade("ex11", D_AT_HALF_LR, targets=["fit_numpy"])
    other = hints_of(result, "fit_numpy")
    assert failing(result, "fit_numpy") and not any_hint(other, r"default"), other


# -- ex12 fit_tensor: steps=0 right, a later run wrong: a generator kept between calls, or a's
#    update at twice the lr

A_AT_TWICE_LR = """
def fit_tensor(x, y, lr=1e-6, steps=2000, seed=0):
    g = torch.Generator().manual_seed(seed)
    a, b, c, d = (torch.randn((), generator=g).to(x.device, x.dtype) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            losses.append(loss.item())
        grad_a, grad_b, grad_c, grad_d = poly_grads_tensor(x, y, y_pred)
        a -= 2 * lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
"""


def test_state_between_calls_only_where_a_second_call_draws_otherwise(grade):
    right = hints_of(grade("ex12", fresh_code("ex12", "fit_tensor_generator_kept_between_calls"),
                           targets=["fit_tensor"]), "fit_tensor", visible=True)
    assert any_hint(right, r"depend on earlier calls"), right
    result = grade("ex12", A_AT_TWICE_LR, targets=["fit_tensor"])
    other = hints_of(result, "fit_tensor")
    assert failing(result, "fit_tensor") and not any_hint(other, r"earlier calls"), other
