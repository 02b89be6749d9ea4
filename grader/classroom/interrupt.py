"""Ctrl-C during a class run stops it, whatever code it lands in.

Python turns Ctrl-C into KeyboardInterrupt where the main thread happens to be; code that
catches every exception there (an import inside torch's own, which ran while the run asked
for the device: the run went on and graded the whole class, exit 0) swallows it. While a class
run watches (`watching()`), Ctrl-C is also remembered, and the run's loops ask `check()`
between steps: a swallowed Ctrl-C still stops the run at its next step.

    with watching():
        for entry in entries:
            check()          # KeyboardInterrupt where Ctrl-C was pressed, swallowed or not
            ...
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

_pressed = False


def _handler(signum, frame):
    global _pressed
    _pressed = True
    raise KeyboardInterrupt


@contextmanager
def watching():
    """Remember Ctrl-C while the block runs (in the main thread, where Python's own handler is
    in place; elsewhere, e.g. a run started in a thread, nothing changes)."""
    global _pressed
    mine = threading.current_thread() is threading.main_thread() and \
        signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if mine:
        _pressed = False
        signal.signal(signal.SIGINT, _handler)
    try:
        yield
    finally:
        if mine:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            _pressed = False


def check() -> None:
    """KeyboardInterrupt if Ctrl-C was pressed while watching, even where it was swallowed."""
    if _pressed:
        raise KeyboardInterrupt
