"""Checks inside a notebook: the check cells of the exercise notebooks call `run_checks`.

    # grader: checks for ex01.forward (3 points)
    from grader.notebook import run_checks
    run_checks("ex01", "forward", In)                # the visible checks of ex01.forward
    ### BEGIN HIDDEN TESTS
    run_checks("ex01", "forward", In, hidden=True)   # its hidden checks (removed on release)
    ### END HIDDEN TESTS

The code this kernel has run (IPython's `In`, minus check cells and magics) becomes a
one-notebook submission, and a grading process started once per kernel (`python -m
grader.notebook serve`) runs that target's checks on it through the sandboxed grader, exactly as
`python -m grader grade` would on a handed-in notebook: the cell builds the grading request
(grader.engine.request.GradeRequest) and sends it, as JSON, with the submission's folder. The student's
code never runs in that grading process, and the kernel itself imports neither pytest nor the
checks. A cell that raised in the notebook is skipped in the submission
too, so an exploratory cell with a typo costs nothing.

A passing cell prints one line. A failing one raises `ChecksFailed` (an AssertionError) whose
message says which checks fail and why; in IPython it is shown without a traceback, so nbgrader
scores the cell 0 and its feedback shows the message only. Nothing is written to stderr.

The hidden checks draw new random inputs each run; set GRADER_SEED=7 for repeatable ones. A
hidden check shows its name and passed / not passed, never its message, values or seed.

In the sandboxed kernel (grader.instructor.nbkernel), the kernel cannot start a grading process: there
GRADER_CHECKS_SOCKET names a Unix socket of its trusted launcher, and a check cell sends the
cells, the exercise and the target there as one JSON line; the launcher grades them outside the
sandbox (`answer_check`) and sends back the text to show and whether the checks pass.
"""
from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

from grader.exercises import check_file, module_of
from grader.engine.request import GradeRequest
# one JSON line each way: the grading process's answers, a check cell's request to the sandboxed
# kernel's launcher and the launcher's answer
from grader.engine.service import Service, dropped, read_line, running, start_json_lines
from grader.engine.serving import grading_failed
# one loader for the kernel's history and for `grade` on notebooks: a cell that raises is skipped
from grader.sandbox.notebooks import (ASSIGNED, CHECK_CELL_TAG, script_python,  # noqa: F401
                                      cells_to_module, given_nothing, is_magic)

ROOT = Path(__file__).resolve().parent.parent
ANSWER_SECONDS = 900.0   # the sandbox's own limits stop a submission long before this
CHECKS_SOCKET = "GRADER_CHECKS_SOCKET"   # set in the sandboxed kernel: its launcher's socket
MAX_CHECK_REQUEST = 16 << 20             # bytes of one request from a kernel (its cells)
MAX_CHECK_ANSWER = 1 << 20


class ChecksFailed(AssertionError):
    """Some checks of a notebook cell's target do not pass; the message says which and why."""


# ----------------------------------------------------------------------------------------------
# the kernel's history as a module

def history_cells(history) -> list[str]:
    """The code cells of an IPython input history, minus check cells, magics and shell lines.
    The history holds IPython's transformed code: a cell magic is given back as the cell it was
    (`%%writefile helpers.py`: the notebook loader makes it that module), and what a shell or
    line magic gave (`files = get_ipython().getoutput('ls')`) is None, as the loader has it."""
    cells = []
    for src in history or []:
        src = str(src or "")
        if not src.strip() or src.lstrip().startswith(CHECK_CELL_TAG):
            continue
        magic = _cell_magic(src)
        if magic is not None:
            cells.append(magic)
            continue
        lines = []           # a line magic that runs Python (%time w = fit()): that Python
        for ln in script_python(src.encode()).decode("utf-8", "replace").splitlines():
            given = _GIVEN_BY_IPYTHON.match(ln)
            if given:
                kind = "!" if given.group(3) in ("getoutput", "system") else "%"
                lines.append(given.group(1) + given_nothing(given.group(2), kind))
            elif not is_magic(ln):
                lines.append(ln)
        cells.append("\n".join(lines) + "\n")
    return cells


_GIVEN_BY_IPYTHON = re.compile(ASSIGNED + r"get_ipython\(\)\.(getoutput|run_line_magic|system)\(")


def _cell_magic(src: str) -> str | None:
    """`get_ipython().run_cell_magic('writefile', 'helpers.py', '...')` (IPython's form of a
    cell magic) as the cell it was, or None for any other cell."""
    import ast
    text = src.strip()
    if not text.startswith("get_ipython().run_cell_magic("):
        return None
    try:
        call = ast.parse(text, mode="eval").body
        name, line, body = (ast.literal_eval(a) for a in call.args)
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        return None
    if not all(isinstance(v, str) for v in (name, line, body)):
        return None
    return f"%%{name} {line}\n{body}"


def history_notebook(cells: list[str]) -> dict:
    """A notebook (nbformat 4) of these code cells, for the grader's notebook loader."""
    return {"cells": [{"cell_type": "code", "metadata": {}, "source": c, "outputs": [],
                       "execution_count": None} for c in cells],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


# ----------------------------------------------------------------------------------------------
# the grading process, one per kernel

class _Server(Service):
    """This kernel's grading process (grader.engine.service): `python -m grader.notebook serve`
    in a session of its own, its stderr kept in a temporary file for the message if it stops;
    one JSON line each way (grader.engine.serving), each answer matched to its request by id.
    Closing its input ends it; killed after 10 s."""

    def __init__(self):
        self.log = tempfile.TemporaryFile()
        from grader.sandbox import with_package_path
        env = with_package_path()
        env["PYTHONWARNINGS"] = "ignore"
        super().__init__(*start_json_lines(
            [sys.executable, "-m", "grader.notebook", "serve"], stderr=self.log, cwd=str(ROOT),
            env=env, start_new_session=True), grace=10)
        self.counter = 0

    def ask(self, request: dict) -> dict:
        """Its answer to `request`: {"ok": True, "result"}, or {"ok": False, "error": one line}
        where it could not read the request, its zygote could not start or the grading
        machinery failed on the submission."""
        self.counter += 1
        number = self.counter
        started = time.monotonic()
        try:
            if self.layers is None:     # the handshake, once
                ready = self.wait_ready(ANSWER_SECONDS)
                if not ready.get("ready"):      # it ends
                    return {"ok": False, "error": str(ready.get("error") or
                                                      ready.get("lacking")).splitlines()[0]}
            answer = super().ask(dict(request, id=number),
                                 ANSWER_SECONDS - (time.monotonic() - started),
                                 answers=lambda answer: answer.get("id") == number)
        except TimeoutError:
            raise RuntimeError(f"no answer within {ANSWER_SECONDS:.0f} s") from None
        except EOFError:
            self.log.seek(0)
            tail = self.log.read()[-1500:].decode(errors="replace")
            raise RuntimeError("the grading process stopped" +
                               (f":\n{tail}" if tail.strip() else "")) from None
        failed = grading_failed(answer.get("result") or {})
        return {"ok": False, "error": failed} if failed else answer

    def stop(self, hard: bool = False):
        super().stop(hard)
        self.log.close()


_server: _Server | None = None


def _ask(request: dict) -> dict:
    global _server
    _server = running(_server, _Server)
    try:
        return _server.ask(request)
    except BaseException:
        # a stopped, stuck or interrupted server is replaced on the next call
        _server = dropped(_server, kill=True)
        raise


@atexit.register
def stop_grading_process():
    """Stop this process's grading process, if it started one (at exit; a kernel's launcher
    as it closes)."""
    global _server
    if _server is not None:
        _server.stop()
        _server = None


def serve() -> int:
    """`python -m grader.notebook serve`: this kernel's grading process, the loop every grading
    process has (grader.engine.serving) on its stdin and stdout."""
    from grader.engine.serving import serve_lines
    return serve_lines()


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
        if In is None:
            In = _kernel_history()
        cells = history_cells(In)
        if os.environ.get(CHECKS_SOCKET):   # the sandboxed kernel: its launcher grades
            answer = _ask_launcher(os.environ[CHECKS_SOCKET], {
                "ex": ex, "target": target, "hidden": bool(hidden), "device": device,
                "cells": cells})
            ok, text = bool(answer.get("passed")), str(answer.get("text", ""))
        else:
            ok, text = grade_target(ex, target, cells, hidden, device)
    except ChecksFailed:
        raise
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # noqa: BLE001 - one clear message, never a long traceback
        raise ChecksFailed(f"{ex}.{target}: the {kind} checks could not run "
                           f"({type(exc).__name__}: {exc}).") from None
    if not ok:
        raise ChecksFailed(text)
    print(text)


def grade_target(ex: str, target: str, cells: list[str], hidden: bool = False,
                 device: str = "all") -> tuple[bool, str]:
    """(all pass?, what to tell the student) for the visible or hidden checks of `ex`.`target`
    on the module these cells make, graded by this process's grading process. Runs on the
    trusted side only: the plain kernel, or the sandboxed kernel's launcher."""
    kind = "hidden" if hidden else "visible"
    request = check_request(ex, target, hidden, device)
    module = module_of(ex)
    checks_file = check_file(ex, kind)
    if hidden and not checks_file.exists():
        return False, (f"{ex}.{target}: the hidden checks are not installed here "
                       f"({checks_file} is missing).")
    folder = Path(tempfile.mkdtemp(prefix="grader-nb-"))
    try:   # a notebook of these cells, read as `grade` reads a handed-in notebook
        (folder / f"{module}.ipynb").write_text(json.dumps(history_notebook(cells)))
        answer = _ask({"submission": str(folder), "request": request.to_dict()})
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if not answer.get("ok"):
        return False, f"{ex}.{target}: the {kind} checks could not run ({answer.get('error')})."
    from grader.engine.report import target_report
    from grader.engine.result import GradeResult
    return target_report(GradeResult.from_dict(answer["result"]), ex, target, kind)


# ----------------------------------------------------------------------------------------------
# the sandboxed kernel's check cells: the kernel asks, its launcher grades

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")


def answer_check(request, defer: bool = False) -> dict:
    """The launcher's answer to one check cell of a sandboxed kernel: {"passed", "text"}.
    `request` is untrusted data from the kernel; anything unexpected is a plain refusal.
    defer: nbgrader autograde is running, whose GradeCheckCells grades the whole notebook
    after it ran (grader.instructor.autograde): the kernel's check cells fail, so that a
    configuration without it scores nothing.

        answer_check({"ex": "ex01", "target": "forward", "hidden": False, "device": "all",
                      "cells": ["def forward(x, w):\n    return x * w\n"]})
    """
    from grader.exercises import EXERCISES
    from grader.engine.request import DEVICES
    if not isinstance(request, dict):
        return {"passed": False, "text": "not a check request."}
    ex, target, cells = request.get("ex"), request.get("target"), request.get("cells")
    hidden, device = request.get("hidden"), request.get("device")
    if not (isinstance(ex, str) and ex in set(EXERCISES) | set(EXERCISES.values())
            and isinstance(target, str)
            and _NAME.fullmatch(target) and isinstance(hidden, bool) and device in DEVICES
            and isinstance(cells, list) and all(isinstance(c, str) for c in cells)):
        return {"passed": False, "text": "not a check request of this course."}
    name, kind = f"{ex[:4]}.{target}", "hidden" if hidden else "visible"
    if defer:
        return {"passed": False, "text": f"{name}: the {kind} checks are graded after the "
                                         f"notebook has run, outside its kernel."}
    try:
        ok, text = grade_target(ex[:4], target, cells, hidden, device)
    except Exception as exc:  # noqa: BLE001 - the kernel shows it as a failed cell
        ok, text = False, f"{name}: the {kind} checks could not run ({type(exc).__name__})."
    return {"passed": ok, "text": text}


def _ask_launcher(path: str, request: dict) -> dict:
    """One check request to the sandboxed kernel's launcher (a JSON line each way)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(ANSWER_SECONDS)
        sock.connect(path)
        sock.sendall(json.dumps(request).encode() + b"\n")
        line, _rest = read_line(lambda: sock.recv(1 << 16), limit=MAX_CHECK_ANSWER)
    if line is None:
        raise RuntimeError("the kernel's launcher did not answer")
    answer = json.loads(line)
    if not isinstance(answer, dict):
        raise RuntimeError("the kernel's launcher did not answer")
    return answer


def serve_checks(listener: socket.socket, defer: bool = False) -> None:
    """Answer the check requests that arrive on `listener` (the launcher's socket), one
    connection at a time, until it is closed. Requests are cut at MAX_CHECK_REQUEST bytes."""
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            try:
                conn.settimeout(60)
                line, rest = read_line(lambda: conn.recv(1 << 20), limit=MAX_CHECK_REQUEST)
                data = rest if line is None else line   # a request cut off: as far as it came
                try:
                    request = json.loads(data) if len(data) <= MAX_CHECK_REQUEST \
                        and (line is None or not rest.strip()) else None   # one line, no more
                except (ValueError, RecursionError):
                    request = None
                conn.settimeout(ANSWER_SECONDS)
                conn.sendall(json.dumps(answer_check(request, defer)).encode() + b"\n")
            except OSError:
                continue


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
