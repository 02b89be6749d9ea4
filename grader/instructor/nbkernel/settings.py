"""The sandboxed kernel's settings: its name, its limits, where its files lie inside the
sandbox, and what it needs besides the workers' view."""
from __future__ import annotations

from pathlib import Path

from grader.sandbox.limits import DEFAULT_LIMITS

ROOT = Path(__file__).resolve().parents[3]
KERNEL_NAME = "torchdrills-sandbox"
DISPLAY_NAME = "Python 3 (torchdrills sandbox)"
UNSANDBOXED = "TORCHDRILLS_KERNEL_UNSANDBOXED"
LIMITS_VARIABLE = "TORCHDRILLS_KERNEL_LIMITS"   # e.g. RLIMIT_AS=8G,RLIMIT_CPU=14400,scratch=1G
PREFIX = "grader-kernel-"
CHANNELS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
# kernels' uids, apart from the workers' (grader.sandbox.launcher.UID_BASE)
KERNEL_UID_BASE, KERNEL_UID_SPAN = 2_050_000_000, 40_000_000
START_SECONDS = 120.0     # how long a channel waits for the kernel inside to listen

# What one kernel (one notebook) may use: the workers' rlimits (grader.sandbox.limits), with
# more CPU time (a whole notebook, not one submission's calls), open files and threads.
KERNEL_RLIMITS = dict(
    DEFAULT_LIMITS,
    RLIMIT_CPU=24 * 300,   # CPU seconds, all threads, for the whole notebook: 24 cells' worth of
                           # nbgrader_config.py's Execute.timeout (300 s) on one core
    RLIMIT_NOFILE=1024,    # ZeroMQ's sockets, IPython's history, a DataLoader's shared tensors
    RLIMIT_NPROC=64)       # ipykernel's threads, torch's (KERNEL_THREADS at most), a DataLoader's
KERNEL_SCRATCH_BYTES = 256 * 1024**2   # its home folder, /tmp and /dev/shm: one tmpfs
# The kernel and every process it starts share one memory total (a memory cgroup, as the
# zygote's): a process's own figure (RLIMIT_AS) plus this much for the kernel itself
# (Python, ipykernel, torch); `memory=` in TORCHDRILLS_KERNEL_LIMITS sets the total.
KERNEL_OWN_BYTES = 2 * 1024**3
# What the kernel may send out through the launcher in all (its outputs, plots, replies):
# past it the kernel is stopped, so that a notebook printing gigabytes cannot fill
# nbgrader's memory and the autograded notebook (`output=` sets it).
KERNEL_OUTPUT_BYTES = 64 * 1024**2
# A notebook's whole run, its waits included (a cell that sleeps uses no CPU time): past it the
# kernel is stopped, so that one notebook cannot hold a class's autograde for hours with cells
# that each wait just under nbgrader's per-cell timeout (`wall=` sets it).
KERNEL_WALL_SECONDS = 1800
KERNEL_THREADS = 16       # torch's threads in the kernel, where the machine has more cores
# Inside the sandbox: the launcher's files (read-only), and the kernel's own folder (its home,
# its sockets) in its tmpfs.
SHARED_INSIDE = "/grader-kernel"
FOLDER_INSIDE = "/tmp/kernel"

# What the kernel needs besides the workers' view (grader.sandbox.view.bwrap_command): the
# package's modules a check cell imports (followed from these, module-level imports only) and
# the folders Jupyter's kernel and matplotlib are installed in.
KERNEL_CODE = ("grader/sandbox/kernel_boot.py", "grader/notebook.py")
KERNEL_DISTRIBUTIONS = ("ipykernel", "matplotlib")
KERNEL_ETC = ("/etc/fonts",)   # a plot's fonts (fontconfig), besides the workers' /etc

LAUNCH = ("import sys; sys.path[0] = {root!r}; "
           "from grader.instructor.nbkernel import launch; sys.exit(launch(sys.argv[1:]))")
BOOT = ("import sys; sys.path[0] = {root!r}; "
         "from grader.sandbox.kernel_boot import main; main()")
