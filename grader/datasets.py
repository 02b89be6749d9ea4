"""The data sets of ex08-ex10, made here with a fixed seed and shipped in grader/data/.

    python -m grader.datasets          # (re)write grader/data/*.csv

- diabetes.csv: 759 rows, 8 features scaled to [-1, 1] and a 0/1 label in the last column, a
  synthetic stand-in for the classic Pima diabetes table (no download needed).
- three_class.csv: 450 rows, 4 features and a class label 0, 1 or 2 in the last column.

Inside a grading worker the files sit next to the submission, so `load_csv("diabetes.csv")` works
there; on the trusted side use `path("diabetes.csv")`.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "data"
FILES = ("diabetes.csv", "three_class.csv")
SEED = 20240607


def path(name: str) -> Path:
    return DATA_DIR / name


def make_diabetes(n=759, seed=SEED) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # correlated raw features, a logistic label, then every feature scaled to [-1, 1]
    mix = rng.normal(size=(8, 8)) * 0.4 + np.eye(8)
    raw = rng.normal(size=(n, 8)) @ mix
    weights = np.array([0.6, 1.4, -0.3, 0.2, 0.3, 1.0, 0.5, 0.4])
    logits = raw @ weights * 0.9 + 0.6
    label = (rng.uniform(size=n) < 1 / (1 + np.exp(-logits))).astype(np.float64)
    lo, hi = raw.min(axis=0), raw.max(axis=0)
    scaled = 2 * (raw - lo) / (hi - lo) - 1
    return np.column_stack([np.round(scaled, 6), label])


def make_three_class(per_class=150, seed=SEED + 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = np.array([[2.0, 0.0, 1.0, -1.0], [-1.0, 2.0, -1.0, 0.5], [-1.0, -2.0, 0.5, 1.0]])
    rows = []
    for k, c in enumerate(centers):
        x = rng.normal(size=(per_class, 4)) * 0.9 + c
        rows.append(np.column_stack([x, np.full(per_class, k)]))
    data = np.concatenate(rows)
    return np.round(data[rng.permutation(len(data))], 6)


def render(name: str) -> str:
    data = {"diabetes.csv": make_diabetes, "three_class.csv": make_three_class}[name]()
    fmt = ["%.6f"] * (data.shape[1] - 1) + ["%d"]
    lines = [",".join(f % v for f, v in zip(fmt, row)) for row in data]
    return "\n".join(lines) + "\n"


def write_all() -> list[Path]:
    DATA_DIR.mkdir(exist_ok=True)
    out = []
    for name in FILES:
        path(name).write_text(render(name))
        out.append(path(name))
    return out


if __name__ == "__main__":
    for p in write_all():
        print(f"wrote {p}")
