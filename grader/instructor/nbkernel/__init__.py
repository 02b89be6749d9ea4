"""A Jupyter kernel that runs a notebook's cells inside the grader's sandbox, for nbgrader.

    python -m grader nbgrader-kernel install --sys-prefix    # the kernel "torchdrills-sandbox"
    nbgrader autograde ex01_linear_model                      # nbgrader_config.py names it

A plain kernel runs a student's cells as the instructor, with the instructor's environment: a
cell can print the references, the hidden checks, the environment and any file this user can
read, and `nbgrader generate_feedback` hands it all back. This kernel's cells run as the
grader's workers do: in bubblewrap's read-only view of the system, of Python and of the grader
(references, checks, source notebooks and history masked: grader.sandbox.view), with no
network, their own /tmp, an empty home of their own, an environment built from an allow-list,
and, where the launcher runs as root, a uid of their own without capabilities. The kernel
checks that no secret is in reach before it starts (grader.sandbox.kernel_boot).

How it talks: Jupyter starts this module's `launch` (the trusted launcher, outside the sandbox)
with a connection file. The kernel inside listens on Unix sockets in its private folder
(ZeroMQ's ipc transport: a network namespace cuts TCP, not a socket file bound into the view),
and the launcher relays each channel's bytes between the ports Jupyter chose and those sockets,
without reading them. A check cell's `run_checks` sends its request to another socket of the
launcher (GRADER_CHECKS_SOCKET), which grades it in a grading process outside the sandbox
(grader.notebook.answer_check). During `nbgrader autograde` it grades nothing there: the check
cells are graded after the run by grader.instructor.autograde.GradeCheckCells.

Bounded: the kernel gets rlimits as the workers do (KERNEL_RLIMITS: memory, CPU time for the
whole notebook, file size, open files, processes and threads, no core file), and one tmpfs of
KERNEL_SCRATCH_BYTES (16384 files at most) is its home folder, /tmp and /dev/shm together, made
by the boot as the workers' is (grader.sandbox.inside.confine.private_scratch); it may not make
a user namespace (in one it could mount a tmpfs of its own). TORCHDRILLS_KERNEL_LIMITS changes
them. A cell that reaches a limit gets its error and a line naming the limit; a kernel killed by
one (CPU time) fails its own notebook, and the launcher says why on nbgrader's terminal.

Where bubblewrap cannot start, the kernel refuses with one line (nbgrader reports the notebook
as failed). TORCHDRILLS_KERNEL_UNSANDBOXED=1 in the instructor's environment runs it without
the view (still its own environment and folder; as root, a uid of its own where other users can
read its Python, else root), at the cost of every file that uid can read being readable by the
cells (its rlimits still hold; its folder is then on the disk, each file capped only).
"""
from __future__ import annotations

import json
import signal
import sys
import tempfile
from pathlib import Path

from grader.instructor.nbkernel.launcher import Launcher
from grader.instructor.nbkernel.sandbox import sandbox_problem
from grader.instructor.nbkernel.settings import DISPLAY_NAME, KERNEL_NAME, LAUNCH, ROOT, UNSANDBOXED


# ----------------------------------------------------------------------------------------------
# the kernelspec

def kernel_spec() -> dict:
    """kernel.json: this Python runs the launcher. `-c` with the package's root first on
    sys.path: the launcher never imports from the folder Jupyter starts it in (a student's
    notebook folder)."""
    return {"argv": [sys.executable, "-c", LAUNCH.format(root=str(ROOT)), "{connection_file}"],
            "display_name": DISPLAY_NAME, "language": "python",
            "interrupt_mode": "message",   # a signal to the launcher would not reach the kernel
            "metadata": {"debugger": False}}


def install(user: bool = False, prefix: str | None = None) -> str:
    """Install (or replace) the kernelspec; returns its folder. Default: this Python's prefix
    (sys.prefix), where nbgrader run by this Python finds it. Idempotent.

        install()                      # <sys.prefix>/share/jupyter/kernels/torchdrills-sandbox
        install(user=True)             # ~/.local/share/jupyter/kernels/...
        install(prefix="/opt/course")  # /opt/course/share/jupyter/kernels/...
    """
    from jupyter_client.kernelspec import KernelSpecManager
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / KERNEL_NAME
        folder.mkdir()
        (folder / "kernel.json").write_text(json.dumps(kernel_spec(), indent=1) + "\n")
        return KernelSpecManager().install_kernel_spec(
            str(folder), KERNEL_NAME, user=user,
            prefix=None if user else (prefix or sys.prefix))


def launch(argv: list[str]) -> int:
    """The kernelspec's entry point: `launch CONNECTION_FILE [KERNEL_ARGS...]`."""
    if not argv:
        print("usage: launch CONNECTION_FILE [KERNEL_ARGS...]", file=sys.stderr)
        return 2
    launcher = Launcher(argv[0], argv[1:])
    signal.signal(signal.SIGTERM, launcher.stop)
    signal.signal(signal.SIGINT, lambda *_: None)   # interrupts come as messages
    try:
        return launcher.run()
    finally:
        launcher.close()


# ----------------------------------------------------------------------------------------------
# the command line: `python -m grader nbgrader-kernel install`

def add_verbs(verbs) -> dict:
    k = verbs.add_parser("nbgrader-kernel",
                         help="install the sandboxed Jupyter kernel nbgrader runs notebooks in")
    k.add_argument("action", choices=["install"])
    where = k.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="in ~/.local/share/jupyter")
    where.add_argument("--sys-prefix", action="store_true",
                       help="in this Python's prefix (the default)")
    where.add_argument("--prefix", default=None, metavar="P", help="in P/share/jupyter")
    return {"nbgrader-kernel": cmd_nbgrader_kernel}


def cmd_nbgrader_kernel(args) -> int:
    try:
        import jupyter_client  # noqa: F401
    except ImportError:
        print("error: the kernel needs Jupyter: pip install -e \".[classroom]\"",
              file=sys.stderr)
        return 2
    folder = install(user=args.user, prefix=args.prefix)
    print(f"installed the kernel {KERNEL_NAME!r} in {folder}")
    problem = sandbox_problem()
    if problem:
        print(f"warning: the sandbox cannot start here ({problem.splitlines()[0][:300]}): the "
              f"kernel will refuse to start unless {UNSANDBOXED}=1", file=sys.stderr)
    return 0
