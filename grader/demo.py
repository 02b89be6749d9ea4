"""`python -m grader demo`: a made-up class, graded end to end in well under a minute.

    python -m grader demo --out demo_class

writes demo_class/class/ (one folder or zip per student, made from the references and the stubs
with mistakes planted in them), grades it with grade-class into demo_class/gradebook.db, prints
the score table, and writes a feedback page per student and the class summary into
demo_class/feedback/ and the grades into demo_class/grades.csv.

The students (for whichever exercises exist):
  ada   the reference solutions: full marks
  ben   the untouched stubs: zero, every check "not started"
  cleo  the references with a classic mistake planted in every other exercise
  dev   a different mistake in the others, and the last exercise not handed in
  eve   half done: the first half of the exercises solved, the rest still stubs
  finn  a zip of three exercises; ex01 calls sys.exit() when imported (costs ex01's points,
        nothing else)
  gus   nbgrader notebooks in one folder per assignment, one mistake planted in a cell
"""
from __future__ import annotations

import json
import shutil
import textwrap
import zipfile
from pathlib import Path

from grader.exercises import EXERCISES, module_of

ROOT = Path(__file__).resolve().parent.parent
MARKER = ".torchdrills-demo"

# Classic mistakes, by exercise: (what is wrong, code appended to the reference; a `def` there
# replaces the reference's function of that name). Written against the contracts of
# CURRICULUM.md; a mistake whose function the reference does not define is not planted.
MISTAKES: dict[str, list[tuple[str, str, str]]] = {
    "ex01": [
        ("forward", "forward adds x + w instead of multiplying", """
            def forward(x, w):
                return x + w
         """),
        ("mse_for_weights", "mse_for_weights sums where the mean is asked for", """
            _ref_mse_for_weights = mse_for_weights
            def mse_for_weights(x_data, y_data, weights):
                return _ref_mse_for_weights(x_data, y_data, weights) * len(x_data)
         """)],
    "ex02": [
        ("gradient", "gradient misses the factor 2 of the derivative of a square", """
            _ref_gradient = gradient
            def gradient(xs, ys, w):
                return _ref_gradient(xs, ys, w) / 2
         """),
        ("cost", "cost sums where the mean is asked for", """
            _ref_cost = cost
            def cost(xs, ys, w):
                return _ref_cost(xs, ys, w) * len(xs)
         """)],
    "ex03": [
        ("analytic_grad_of_mean", "analytic_grad_of_mean forgets the 1/N of the mean", """
            _ref_analytic = analytic_grad_of_mean
            def analytic_grad_of_mean(x):
                return _ref_analytic(x) * x.numel()
         """),
        ("to_numpy", "to_numpy fails on a tensor that requires grad (no .detach())", """
            def to_numpy(t):
                return t.cpu().numpy()
         """)],
    "ex04": [
        ("backward_steps", "backward_steps flips the sign of dloss/dw", """
            _ref_backward_steps = backward_steps
            def backward_steps(x, y, w):
                steps = dict(_ref_backward_steps(x, y, w))
                steps["dloss_dw"] = -steps["dloss_dw"]
                return steps
         """),
        ("quadratic_grads", "quadratic_grads misses the factor 2", """
            _ref_quadratic_grads = quadratic_grads
            def quadratic_grads(x, y, w1, w2, b):
                return tuple(g / 2 for g in _ref_quadratic_grads(x, y, w1, w2, b))
         """)],
    "ex05": [
        ("mse_loss", "mse_loss sums where the mean is asked for", """
            def mse_loss(y, y_pred):
                return ((y_pred - y) ** 2).sum()
         """),
        ("sgd_update_", "sgd_update_ adds the gradient (climbs the loss)", """
            import torch as _torch
            def sgd_update_(params, lr):
                with _torch.no_grad():
                    for p in params:
                        p += lr * p.grad
         """)],
    "ex06": [
        ("train_step", "train_step never zeroes the gradients", """
            def train_step(model, loss_fn, optimizer, X, Y):
                loss = loss_fn(model(X), Y)
                loss.backward()
                optimizer.step()
                return float(loss.item())
         """),
        ("make_optimizer", "make_optimizer ignores the learning rate", """
            import torch as _torch
            def make_optimizer(model, lr):
                return _torch.optim.SGD(model.parameters(), lr=0.1)
         """)],
    "ex07": [
        ("bce_loss", "bce_loss does not clamp the logs: p = 0 or 1 gives inf", """
            import torch as _torch
            def bce_loss(p, y):
                return -(y * _torch.log(p) + (1 - y) * _torch.log(1 - p)).mean()
         """),
        ("accuracy", "accuracy counts p > 0.5 as 0", """
            import torch as _torch
            def accuracy(model, x, y):
                with _torch.no_grad():
                    return float(((model(x) < 0.5).float() == y).float().mean())
         """)],
    "ex08": [
        ("train_full_batch", "train_full_batch never zeroes the gradients", """
            import torch as _torch
            def train_full_batch(model, x, y, lr, epochs):
                loss_fn = _torch.nn.BCELoss()
                opt = _torch.optim.SGD(model.parameters(), lr=lr)
                losses = []
                for _ in range(epochs):
                    loss = loss_fn(model(x), y)
                    loss.backward()
                    opt.step()
                    losses.append(float(loss.item()))
                return losses
         """),
        ("load_csv", "load_csv returns the labels with shape (N,), not (N, 1)", """
            _ref_load_csv = load_csv
            def load_csv(path):
                x, y = _ref_load_csv(path)
                return x, y.reshape(-1)
         """)],
    "ex09": [
        ("make_loader", "make_loader drops the last, incomplete batch", """
            import torch as _torch
            def make_loader(dataset, batch_size, shuffle, seed):
                return _torch.utils.data.DataLoader(
                    dataset, batch_size=batch_size, shuffle=shuffle, drop_last=True,
                    generator=_torch.Generator().manual_seed(seed))
         """),
        ("make_loader", "make_loader ignores the seed: the order cannot be repeated", """
            import torch as _torch
            def make_loader(dataset, batch_size, shuffle, seed):
                return _torch.utils.data.DataLoader(dataset, batch_size=batch_size,
                                                    shuffle=shuffle)
         """)],
    "ex10": [
        ("softmax", "softmax does not subtract the max: nan at logits of 1000", """
            import torch as _torch
            def softmax(z, dim=-1):
                e = _torch.exp(z)
                return e / e.sum(dim=dim, keepdim=True)
         """),
        ("cross_entropy_grad", "cross_entropy_grad forgets to divide by N", """
            _ref_ce_grad = cross_entropy_grad
            def cross_entropy_grad(logits, targets):
                return _ref_ce_grad(logits, targets) * logits.shape[0]
         """)],
    "ex11": [
        ("poly_grads", "poly_grads misses the factor 2", """
            _ref_poly_grads = poly_grads
            def poly_grads(x, y, y_pred):
                return tuple(g / 2 for g in _ref_poly_grads(x, y, y_pred))
         """),
        ("poly_loss", "poly_loss takes the mean where the sum is asked for", """
            _ref_poly_loss = poly_loss
            def poly_loss(y_pred, y):
                return _ref_poly_loss(y_pred, y) / len(y)
         """)],
    "ex12": [
        ("poly_grads_tensor", "poly_grads_tensor flips the sign of every gradient", """
            _ref_poly_grads_tensor = poly_grads_tensor
            def poly_grads_tensor(x, y, y_pred):
                return tuple(-g for g in _ref_poly_grads_tensor(x, y, y_pred))
         """),
        ("fit_optim", "fit_optim always uses SGD, even when RMSprop is asked for", """
            _ref_fit_optim = fit_optim
            def fit_optim(model, x, y, lr, steps, optimizer="sgd"):
                return _ref_fit_optim(model, x, y, lr, steps, "sgd")
         """)],
}

CRASH = "import sys\nsys.exit('this file stops the program when it is imported')\n"


def available(exercises=None) -> list[str]:
    """The exercises that exist in this checkout: a reference and a stub."""
    out = []
    for ex in exercises or EXERCISES:
        name = module_of(ex)
        if (ROOT / "solutions" / f"{name}.py").exists() and \
                (ROOT / "exercises" / f"{name}.py").exists():
            out.append(ex)
    return out


def _reference(ex) -> str:
    return (ROOT / "solutions" / f"{module_of(ex)}.py").read_text()


def _stub(ex) -> str:
    return (ROOT / "exercises" / f"{module_of(ex)}.py").read_text()


def _mistake(ex, which: int):
    """(description, code) of a planted mistake of `ex` that fits its reference, or None."""
    options = MISTAKES.get(ex, [])
    source = _reference(ex)
    fitting = [m for m in options if f"def {m[0]}(" in source]
    if not fitting:
        return None
    _, what, code = fitting[which % len(fitting)]
    return what, textwrap.dedent(code).strip() + "\n"


def _with_mistake(ex, which):
    planted = _mistake(ex, which)
    if planted is None:   # no known mistake fits: this exercise is left unsolved instead
        return _stub(ex), "not started (no planted mistake fits this exercise)"
    what, code = planted
    return _reference(ex) + "\n\n# --- a planted mistake ---\n" + code, what


def plant_in_notebook(nb: dict, ex: str, which: int) -> str | None:
    """Plant mistake `which` of `ex` in a notebook, at the end of the answer cell that defines
    the function (before its check cell, so nbgrader's run sees it too); its description, or
    None when no mistake fits."""
    planted = _mistake(ex, which)
    if planted is None:
        return None
    what, code = planted
    target = next(m[0] for m in MISTAKES[ex] if textwrap.dedent(m[2]).strip() + "\n" == code)
    for cell in nb.get("cells", []):
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        if cell.get("cell_type") == "code" and f"def {target}(" in src:
            cell["source"] = src.rstrip("\n") + "\n\n# --- a planted mistake ---\n" + code
            return what
    nb["cells"].append({"cell_type": "code", "execution_count": None, "metadata": {},
                        "outputs": [], "source": code})
    return what


def make_class(out, exercises=None) -> dict[str, list[str]]:
    """Write the demo class into `out`; return {student: [what is planted, ...]}."""
    out = Path(out)
    exs = available(exercises)
    if out.exists():
        if not (out / MARKER).exists():
            raise FileExistsError(f"{out} exists and is not a demo class folder; choose another "
                                  f"--out")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("written by python -m grader demo; safe to delete\n")
    notes: dict[str, list[str]] = {}

    def put(student, ex, text):
        folder = out / student
        folder.mkdir(exist_ok=True)
        (folder / f"{module_of(ex)}.py").write_text(text)

    for ex in exs:
        put("ada", ex, _reference(ex))
        put("ben", ex, _stub(ex))
    notes["ada"] = ["the reference solutions"]
    notes["ben"] = ["the untouched stubs"]

    notes["cleo"], notes["dev"] = [], []
    for i, ex in enumerate(exs):
        who, other = ("cleo", "dev") if i % 2 == 0 else ("dev", "cleo")
        put(other, ex, _reference(ex))
        if who == "dev" and i == len(exs) - 1:
            notes["dev"].append(f"{ex}: not handed in")
            continue
        text, what = _with_mistake(ex, 0)
        put(who, ex, text)
        notes[who].append(f"{ex}: {what}")
    if len(exs) == 1:   # one exercise: dev gets the second mistake of it
        text, what = _with_mistake(exs[0], 1)
        put("dev", exs[0], text)
        notes["dev"] = [f"{exs[0]}: {what}"]

    half = (len(exs) + 1) // 2
    for i, ex in enumerate(exs):
        put("eve", ex, _reference(ex) if i < half else _stub(ex))
    notes["eve"] = [f"solved {', '.join(exs[:half])}" + (f"; {', '.join(exs[half:])} still stubs"
                                                          if exs[half:] else "")]

    finn = out / "_finn"
    for i, ex in enumerate(exs[:3]):
        text = CRASH if i == 0 else _reference(ex)
        (finn / "finn").mkdir(parents=True, exist_ok=True)
        (finn / "finn" / f"{module_of(ex)}.py").write_text(text)
    with zipfile.ZipFile(out / "finn.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted((finn / "finn").iterdir()):
            zf.write(f, f"finn/{f.name}")
    shutil.rmtree(finn)
    notes["finn"] = [f"a zip of {', '.join(exs[:3])} only; {exs[0]} calls sys.exit() when "
                     f"imported"]

    notes["gus"] = []
    for i, ex in enumerate(exs):
        name = module_of(ex)
        folder = out / "gus" / name
        folder.mkdir(parents=True, exist_ok=True)
        source = ROOT / "source_notebooks" / name / f"{name}.ipynb"
        plant = i == len(exs) // 2
        if source.exists():
            nb = json.loads(source.read_text())
            what = plant_in_notebook(nb, ex, 1) if plant else None
            (folder / f"{name}.ipynb").write_text(json.dumps(nb, indent=1))
        else:
            text, what = _with_mistake(ex, 1) if plant else (_reference(ex), None)
            (folder / f"{name}.py").write_text(text)
        if what:
            notes["gus"].append(f"{ex}: {what}")
    notes["gus"].insert(0, "nbgrader notebooks, one folder per assignment")
    return notes


def run_demo(out="demo_class", *, jobs=None, exercises=None, seed=None,
             progress=True) -> int:
    import time

    from grader.classrun import grade_class
    from grader.gradebook import Gradebook
    out = Path(out)
    exs = available(exercises)
    if not exs:
        print("error: no exercise has both a reference (solutions/) and a stub (exercises/)")
        return 1
    started = time.perf_counter()
    notes = make_class(out / "class", exs)
    print(f"demo class: {len(notes)} students in {out / 'class'}, exercises {', '.join(exs)}")
    for student, what in notes.items():
        print(f"  {student:<5} {'; '.join(what)}")
    run = grade_class(out / "class", db=out / "gradebook.db", jobs=jobs, seed=seed,
                      exercises=exs, html_dir=out / "feedback", progress=progress)
    print(run.line())
    print()
    with Gradebook(out / "gradebook.db") as book:
        print(book.format_table())
        book.export_csv(out / "grades.csv")
    print()
    print(f"feedback pages: {out / 'feedback'}/<student>.html; "
          f"class summary: {out / 'feedback' / 'summary.html'}")
    print(f"grades as CSV: {out / 'grades.csv'}; gradebook: {out / 'gradebook.db'}")
    print(f"demo done in {time.perf_counter() - started:.1f} s")
    return 0
