"""Checks inside a notebook: the check cells of the exercise notebooks call `run_checks`.

    # grader: checks for ex01.forward (3 points)
    from grader.notebook import run_checks
    run_checks("ex01", "forward", In)                # the visible checks of ex01.forward
    ### BEGIN HIDDEN TESTS
    run_checks("ex01", "forward", In, hidden=True)   # its hidden checks (removed on release)
    ### END HIDDEN TESTS

The code this kernel has run (IPython's `In`, minus check cells and magics) becomes a one-file
submission, and a grading process started once per kernel (`python -m grader.notebook serve`)
runs that target's checks on it through the sandboxed grader, exactly as `python -m grader grade`
would: the cell builds the grading request (grader.request.GradeRequest) and sends it, as JSON,
with the submission's folder. The student's code never runs in that grading process, and the kernel itself imports
neither pytest nor the checks. A cell that raised in the notebook is skipped in the submission
too, so an exploratory cell with a typo costs nothing.

A passing cell prints one line. A failing one raises `ChecksFailed` (an AssertionError) whose
message says which checks fail and why; in IPython it is shown without a traceback, so nbgrader
scores the cell 0 and its feedback shows the message only. Nothing is written to stderr.

The hidden checks draw new random inputs each run; set GRADER_SEED=7 for repeatable ones.
"""
from __future__ import annotations

import atexit
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.exercises import check_file, module_of
from grader.request import GradeRequest
# one loader for the kernel's history and for `grade` on notebooks: a cell that raises is skipped
from grader.notebook_source import CHECK_CELL_TAG, cells_to_module, is_magic  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
ANSWER_SECONDS = 900.0   # the sandbox's own limits stop a submission long before this


class ChecksFailed(AssertionError):
    """Some checks of a notebook cell's target do not pass; the message says which and why."""


# ----------------------------------------------------------------------------------------------
# the kernel's history as a module

def history_cells(history) -> list[str]:
    """The code cells of an IPython input history, minus check cells, magics and shell lines."""
    cells = []
    for src in history or []:
        src = str(src or "")
        if not src.strip() or src.lstrip().startswith(CHECK_CELL_TAG):
            continue
        cells.append("\n".join(ln for ln in src.splitlines() if not is_magic(ln)) + "\n")
    return cells


# ----------------------------------------------------------------------------------------------
# the grading process, one per kernel

class _Server:
    def __init__(self):
        self.log = tempfile.TemporaryFile()
        from grader.sandbox import with_package_path
        env = with_package_path()
        env["PYTHONWARNINGS"] = "ignore"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "grader.notebook", "serve"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self.log, cwd=str(ROOT), env=env,
            start_new_session=True)
        self.counter = 0
        self.buf = b""

    def ask(self, request: dict) -> dict:
        self.counter += 1
        request = dict(request, id=self.counter)
        self.proc.stdin.write((json.dumps(request) + "\n").encode())
        self.proc.stdin.flush()
        deadline = time.monotonic() + ANSWER_SECONDS
        fd = self.proc.stdout.fileno()
        while True:
            while b"\n" not in self.buf:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([fd], [], [], left)[0]:
                    raise RuntimeError(f"no answer within {ANSWER_SECONDS:.0f} s")
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    self.log.seek(0)
                    tail = self.log.read()[-1500:].decode(errors="replace")
                    raise RuntimeError("the grading process stopped" +
                                       (f":\n{tail}" if tail.strip() else ""))
                self.buf += chunk
            line, self.buf = self.buf.split(b"\n", 1)
            answer = json.loads(line)
            if answer.get("id") == self.counter:
                return answer

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self.log.close()


_server: _Server | None = None


def _ask(request: dict) -> dict:
    global _server
    if _server is None or not _server.alive():
        _server = _Server()
    try:
        return _server.ask(request)
    except BaseException:
        # a stopped, stuck or interrupted server is replaced on the next call
        _server.proc.kill()
        _server.close()
        _server = None
        raise


@atexit.register
def _stop_server():
    global _server
    if _server is not None:
        _server.close()
        _server = None


def serve() -> int:
    """`python -m grader.notebook serve`: answer grading requests, one JSON line each, until
    stdin closes. Keeps one zygote for all of them."""
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)   # stray prints must not mix with answers
    sys.stdout = sys.stderr
    import warnings
    warnings.simplefilter("ignore")
    from grader.sandbox import Zygote
    zygote = Zygote()   # first: it imports torch while this process does the same
    from grader.runner import grade_submission
    for line in sys.stdin:
        req = None
        try:
            req = json.loads(line)
            result = grade_submission(req["submission"], zygote,
                                      GradeRequest.from_dict(req["request"]))
            answer = {"ok": True, "result": result.to_dict()}
        except Exception as exc:  # noqa: BLE001 - the kernel shows it as a failed cell
            answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            zygote.close()
            zygote = Zygote()
        answer["id"] = req.get("id") if isinstance(req, dict) else None
        answers.write(json.dumps(answer) + "\n")
    zygote.close()
    return 0


# ----------------------------------------------------------------------------------------------
# what a check cell calls

def check_request(ex: str, target: str, hidden: bool = False,
                  device: str = "all") -> GradeRequest:
    """A check cell's request: the visible (or hidden) checks of `ex`.`target`. The visible
    ones on fixed inputs (seed 0), the hidden ones on new random inputs each run; GRADER_SEED
    in the environment fixes the seed of both."""
    seed = int(os.environ["GRADER_SEED"]) if os.environ.get("GRADER_SEED") else (
        None if hidden else 0)
    return GradeRequest(exercises=(ex,), checks="hidden" if hidden else "visible",
                        targets=(target,), device=device, seed=seed)


def run_checks(ex: str, target: str, In=None, hidden: bool = False, device: str = "all"):
    """Run the visible (or, with hidden=True, the hidden) checks of `ex`.`target` on the code
    this kernel has run. Prints one line when they pass; raises ChecksFailed when not.

        run_checks("ex02", "gradient", In)
    """
    __tracebackhide__ = True
    _install_display()
    kind = "hidden" if hidden else "visible"
    try:
        request = check_request(ex, target, hidden, device)
        module = module_of(ex)
        if In is None:
            In = _kernel_history()
        checks_file = check_file(ex, kind)
        if hidden and not checks_file.exists():
            raise ChecksFailed(f"{ex}.{target}: the hidden checks are not installed here "
                               f"({checks_file} is missing).")
        folder = Path(tempfile.mkdtemp(prefix="grader-nb-"))
        try:
            (folder / f"{module}.py").write_text(cells_to_module(history_cells(In)))
            answer = _ask({"submission": str(folder), "request": request.to_dict()})
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    except ChecksFailed:
        raise
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # noqa: BLE001 - one clear message, never a long traceback
        raise ChecksFailed(f"{ex}.{target}: the {kind} checks could not run "
                           f"({type(exc).__name__}: {exc}).") from None
    if not answer.get("ok"):
        raise ChecksFailed(f"{ex}.{target}: the {kind} checks could not run "
                           f"({answer.get('error')}).")
    from grader.result import GradeResult
    ok, text = summary(GradeResult.from_dict(answer["result"]), ex, target, kind)
    if not ok:
        raise ChecksFailed(text)
    print(text)


def summary(result, ex: str, target: str, kind: str) -> tuple[bool, str]:
    """(all pass?, what to tell the student) for one target's checks."""
    name = f"{ex}.{target}"
    if result.errors:
        return False, f"{name}: the grader could not load its checks:\n" + \
            "\n".join(e[:600] for e in result.errors)
    counted = [c for c in result.checks if c.counted]
    skipped = [c for c in result.checks if not c.counted]
    if not counted:
        if kind == "visible" and not skipped:
            return True, (f"{name}: no visible checks for this one; the graders' hidden "
                          f"checks test it.")
        reasons = "; ".join(sorted({c.message for c in skipped}))
        return True, f"{name}: no {kind} checks ran here" + (f" ({reasons})." if reasons
                                                              else ".")
    passed = [c for c in counted if c.status == "passed"]
    if len(passed) == len(counted):
        return True, f"{name}: all {len(counted)} {kind} checks pass."
    if all(c.status == "not started" for c in counted):
        return False, (f"{name}: not started: it still raises NotImplementedError.\n"
                       f"Write it in the cell above, run that cell, then run this one again.")
    lines = [f"{name}: {len(passed)} of {len(counted)} {kind} checks pass"]
    for c in counted:
        if c.status == "passed":
            continue
        lines.append(f"  x {c.title}" + (f" [{c.params}]" if c.params else ""))
        lines.extend(f"      {m}" for m in (c.message or c.status).splitlines()[:12])
    if kind == "hidden":
        lines.append(f"(hidden checks use random inputs; seed {result.seed})")
    return False, "\n".join(lines)


def _kernel_history():
    shell = _shell()
    if shell is None:
        raise RuntimeError("pass the notebook's input history: run_checks(ex, target, In)")
    return shell.user_ns.get("In", [])


def _shell():
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return None
    try:
        return ipython.get_ipython()
    except Exception:  # noqa: BLE001
        return None


def _show_message(shell, etype, value, tb, tb_offset=None):
    """IPython shows a ChecksFailed as its message alone: no traceback, no cell source."""
    stb = [f"{etype.__name__}: {value}"]
    shell._showtraceback(etype, value, stb)
    return stb


def _install_display():
    shell = _shell()
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return
    current = getattr(shell, "custom_exceptions", ())
    if current and not all(getattr(c, "__name__", "") == "ChecksFailed" for c in current):
        return  # the kernel has its own handler: leave it alone
    shell.set_custom_exc((ChecksFailed,), _show_message)


if __name__ == "__main__":
    if sys.argv[1:] == ["serve"]:
        sys.exit(serve())
    print("usage: python -m grader.notebook serve", file=sys.stderr)
    sys.exit(2)
