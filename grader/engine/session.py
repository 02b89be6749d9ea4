"""The checks, collected once per grading process and run again for every submission.

    checks = collected(args, request)    # a live pytest session over the check files
    checks.run(grading)                  # every item once more, for one submission

`pytest.main` builds a config, collects the check modules, runs the items and tears it all down
for each submission; building and collecting was about 0.1 s of the 0.85 s a submission cost on
one core. Here the session stays alive and its items run again, the way pytest-rerunfailures
runs an item again: `pytest_runtest_protocol` per item, the last one with no next item, so that
every fixture, the session-scoped `sub` and `seed` among them, is torn down after each pass.

A check skipped by a mark it got at collection (a CUDA check on a machine without a GPU, a
device not asked for) ends the same way for every submission without touching it: its reports of
the first pass are handed to the next passes again (copies), instead of running it (about a third
of the items on a CPU machine).

Nothing of a submission outlives its pass: its GradingSession hears the pass's reports through
the one plugin the session keeps (`_Relay`: a plugin registered per pass would stay in pytest's
records for good), and is let go after it; what pytest keeps on the items between passes (their
user_properties, where the plots go, and captured output) and in the terminal reporter is
cleared; stdin, which pytest's capture holds while a session lives, is given back between
passes. A pass that raises drops the session (the next one collects anew). One session per
process (forked processes collect their own) and per collection: the check files and -k, the
device and the targets.
"""
from __future__ import annotations

import contextlib
import copy
import io
import os
import sys
from collections import OrderedDict

import pytest

# where the checks find the GradingSession (grader.engine.runner) of their run
SESSION = pytest.StashKey()


@contextlib.contextmanager
def no_plugin_autoload():
    """Third-party pytest plugins installed beside the grader (hypothesis, anyio, benchmark...)
    are not needed by the checks and cost 0.2 s or more to load on every run."""
    saved = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = saved


_SESSIONS: OrderedDict = OrderedDict()
_KEEP = 4    # sessions kept per process (a notebook's check cells ask for a few target sets)


class _Relay:
    """The plugin of a session: its GradingSession of the moment (the collection's, then each
    pass's) is in the config's stash, where the checks find it, and hears every report."""

    def __init__(self, current):
        self.current = current

    def pytest_configure(self, config):
        config.stash[SESSION] = self.current

    def pytest_collectreport(self, report):
        if self.current is not None:
            self.current.pytest_collectreport(report)

    recording = None    # nodeid -> list: the reports of those items are kept there too

    def pytest_runtest_logreport(self, report):
        if self.recording is not None and report.nodeid in self.recording:
            self.recording[report.nodeid].append(report)
        if self.current is not None:
            self.current.pytest_runtest_logreport(report)


class CollectedChecks:
    """A pytest session whose check items were collected once (see the module docstring)."""

    def __init__(self, args: list[str], holder):
        """`holder`: a GradingSession with the request and no submission, for the collection
        (the checks' conftest reads the device and the targets from it)."""
        from _pytest.config import _prepareconfig
        from _pytest.main import Session

        self.holder, self.sink, self.broken = holder, io.StringIO(), False
        self.relay = _Relay(holder)
        with _callers_streams(), contextlib.redirect_stdout(self.sink), no_plugin_autoload():
            self.config = config = _prepareconfig(list(args), plugins=[self.relay])
            try:
                config._do_configure()
                self.session = Session.from_config(config)
                self.session.exitstatus = 0
                config.hook.pytest_sessionstart(session=self.session)
                config.hook.pytest_collection(session=self.session)
            except BaseException:
                config._ensure_unconfigure()
                raise
            self._between_passes()
        self.key = SESSION
        self.replayed: dict[str, list] = {}     # nodeid -> the reports of a skip by its mark
        self.errors = list(holder.errors)   # what could not be collected: told every pass
        self.runnable = not self.session.testsfailed  # as pytest: no run after such errors

    @property
    def items(self):
        return self.session.items

    def run(self, grading) -> None:
        """Run every item for one submission; its results go to `grading` (a GradingSession)."""
        config, items = self.config, self.session.items
        self.relay.current = config.stash[self.key] = grading
        grading.errors += self.errors
        with _callers_streams():
            try:
                if self.runnable:
                    self.session.testsfailed = 0
                    with contextlib.redirect_stdout(self.sink):
                        self._run_items(items)
            except BaseException:
                self.broken = True
                raise
            finally:
                self.relay.current = None
                config.stash[self.key] = self.holder
                self._between_passes()
                if self.broken:
                    self.close()

    def _run_items(self, items):
        """Every item's protocol, in order; an item skipped by its mark at an earlier pass only
        hands that pass's reports on again. The last item that runs has no next item, so that
        every fixture is torn down."""
        config = self.config
        runs = [item for item in items if item.nodeid not in self.replayed]
        following = dict(zip(map(id, runs), runs[1:]))
        record = [item for item in runs if _skipped_by_mark(item)]
        reports = {item.nodeid: [] for item in record}
        self.relay.recording = reports
        try:
            for item in items:
                if item.nodeid in self.replayed:
                    for report in self.replayed[item.nodeid]:
                        config.hook.pytest_runtest_logreport(report=_fresh(report))
                else:
                    config.hook.pytest_runtest_protocol(item=item,
                                                        nextitem=following.get(id(item)))
        finally:
            self.relay.recording = None
        for nodeid, got in reports.items():
            if [(r.when, r.outcome) for r in got] == [("setup", "skipped"),
                                                        ("teardown", "passed")]:
                self.replayed[nodeid] = [_fresh(r) for r in got]

    def _between_passes(self):
        for item in self.session.items:
            item.user_properties = []          # plots: the student's values
            item._report_sections = []         # captured output
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.stats.clear()             # the reports of the last pass
        self.sink.seek(0)
        self.sink.truncate()
        for name in ("last_type", "last_value", "last_traceback", "last_exc"):
            if hasattr(sys, name):             # pytest keeps the last failure there
                delattr(sys, name)
        capman = self.config.pluginmanager.get_plugin("capturemanager")
        if capman is not None:
            capman.suspend_global_capture(in_=True)   # stdin back to what it was

    def close(self):
        self.broken = True
        for key, value in list(_SESSIONS.items()):
            if value is self:
                del _SESSIONS[key]
        with _callers_streams(), contextlib.redirect_stdout(self.sink), \
                contextlib.suppress(Exception):
            try:
                self.config.hook.pytest_sessionfinish(session=self.session, exitstatus=0)
            finally:
                self.config._ensure_unconfigure()


@contextlib.contextmanager
def _callers_streams():
    """pytest's capture gives back the streams of the time a session collected, when a pass
    ends or it closes; the caller's may have changed since (a notebook cell's, a test's), and
    the stale ones may be closed: around collecting, a pass and a close, give back the caller's
    stdin, stdout and stderr."""
    streams = sys.stdin, sys.stdout, sys.stderr
    try:
        yield
    finally:
        sys.stdin, sys.stdout, sys.stderr = streams


def _fresh(report):
    """A copy of a report whose results (user_properties) the pass that gets it may change."""
    new = copy.copy(report)
    new.user_properties = [(key, copy.deepcopy(value)) for key, value in report.user_properties]
    return new


def _skipped_by_mark(item) -> bool:
    """Whether the item has an unconditional skip mark (the checks' conftest adds one at
    collection to a CUDA check where there is no GPU): it ends at setup, whatever it is run on."""
    return item.get_closest_marker("skip") is not None


def collected(args: list[str], request, make_holder) -> CollectedChecks:
    """This process's session for these pytest arguments and this request's collection (its
    device and targets), collected now if there is none yet. `make_holder()` gives the
    GradingSession without a submission that the collection reads the request from."""
    key = _key(args, request)
    found = _SESSIONS.get(key)
    if found is not None and not found.broken:
        _SESSIONS.move_to_end(key)
        return found
    if found is not None:
        del _SESSIONS[key]
    checks = CollectedChecks(args, make_holder())
    _SESSIONS[key] = checks
    while len(_SESSIONS) > _KEEP:
        (pid, *_), old = _SESSIONS.popitem(last=False)
        if pid == os.getpid():          # a parent's, inherited by fork: dropped, not closed
            old.close()
    return checks


def _key(args, request) -> tuple:
    return (os.getpid(), tuple(args), request.device, request.targets)


def forget(args=None, request=None) -> None:
    """Drop every session (those of this process closed), or the one of these pytest arguments
    and this request's collection: the next run collects anew."""
    if args is not None:
        found = _SESSIONS.pop(_key(args, request), None)
        if found is not None:
            found.close()
        return
    while _SESSIONS:
        (pid, *_), old = _SESSIONS.popitem()
        if pid == os.getpid():
            old.close()
