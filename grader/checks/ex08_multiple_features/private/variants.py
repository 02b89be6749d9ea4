"""The known wrong answers of ex08 computed in the grading process: DeepBinaryClassifier's
forward pass done the usual wrong ways. Its known wrong training loops are ex06's
(grader.checks.ex06_nn_linear.private.variants.train_variant)."""
import torch


def deep_forward_mistakes(state, x):
    """What the usual wrong forward passes of DeepBinaryClassifier (ex08) return, from the
    state {layers.k.weight, layers.k.bias}: {key: output}."""
    n = len(state) // 2
    weights = [(state[f"layers.{k}.weight"].to(x.device), state[f"layers.{k}.bias"].to(x.device))
               for k in range(n)]

    def run(hidden, last):
        h = x
        for k, (w, b) in enumerate(weights):
            h = h @ w.T + b
            h = last(h) if k == n - 1 else hidden(h)
        return h
    return {"no_last_sigmoid": run(torch.sigmoid, lambda h: h),
            "relu_hidden": run(torch.relu, torch.sigmoid),
            "last_sigmoid_only": run(lambda h: h, torch.sigmoid)}
