"""Patch builtins (abs, round, print), then return a wrong forward_wb."""
import builtins

builtins.abs = lambda x: 0
builtins.round = lambda x, *a: 0
builtins.print = lambda *a, **k: None


def forward_wb(x, w, b):
    return x * w - b
