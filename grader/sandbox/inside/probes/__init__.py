"""Probes: small trusted helpers that run *inside* a worker, next to the student's module.

A check that needs more than one call (build a model, load a state, train it, look at its
gradients) sends one probe request instead: `sub.probe("common.module_run", "ex06", ...)` runs
`grader.sandbox.inside.probes.common.module_run(student_module, ...)` in the worker and returns plain data.
Probes only ever see the student module as an argument; whatever they return is checked on the
trusted side like any other result, so a submission that tampers with them gains nothing.
"""
import importlib
import pkgutil


def load_all():
    """Import every probe module (the zygote does this once, before forking)."""
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
