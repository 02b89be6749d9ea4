"""Visible checks catch and name what their hidden twins do (issue 20, item 4): a student who
runs `python -m grader check` hears of the mistake, in the same words as the hidden check,
instead of "All done". Each mistake is the reference with one line changed."""
import pytest

from grader.exercises import module_of
from tests.conftest import ROOT, failing

# (exercise, target, the line as the reference writes it, the line with the mistake, words of
# the hint that names it)
FAULTS = [
    ("ex11", "fit_numpy", "        if t % 100 == 99:\n", "        if t % 100 == 0:\n",
     "the losses of steps 0, 100, 200 are recorded"),
    ("ex07", "bce_loss", "    return -(y * log_p + (1 - y) * log_1mp).mean()\n",
     "    return -(y * log_p + (1 - y) * log_1mp).mean(dim=0)\n",
     "the mean is taken along dim 0 only"),
    ("ex12", "Polynomial3",
     '        return f"y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + " \\\n'
     '               f"{self.d.item()} x^3"\n',
     '        return f"y = {self.a.item():.2f} + {self.b.item():.2f} x + '
     '{self.c.item():.2f} x^2 + " \\\n               f"{self.d.item():.2f} x^3"\n',
     "the numbers are rounded to 2 decimal places"),
]


@pytest.mark.parametrize("ex,target,right,wrong,words", FAULTS,
                         ids=[f"{f[0]}-{f[1]}" for f in FAULTS])
def test_a_visible_check_names_the_mistake(grade, ex, target, right, wrong, words):
    source = (ROOT / "solutions" / f"{module_of(ex)}.py").read_text()
    assert source.count(right) == 1, f"the reference's line changed: {right!r}"
    result = grade(ex, files={f"{module_of(ex)}.py": source.replace(right, wrong)},
                   targets=[target], device="cpu")
    visible = [c for c in failing(result, target) if c.visible]
    assert visible, f"no visible check of {ex}.{target} fails"
    named = [h for c in visible for h in c.hints]
    assert any(words in h for h in named), [c.message for c in visible]
