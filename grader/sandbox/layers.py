"""The sandbox's layers, declared: each says where it is applied, measures itself from what the
zygote's self-test found, and describes itself.

    layers = measure(Setting(facts=zygote.facts, mode="auto", as_root=True, bwrap=True))
    print("\\n".join(layer.line() for layer in layers))

A layer is never assumed: when the zygote starts, a child sets itself up exactly as a worker
would (grader.sandbox.inside.zygote.self_test) and reports what it can reach; each layer below
reads those facts and says whether it is on, how, and, when it is off, what that lets student
code do. docs/security.md explains each one; `applied_by` names the code that sets it up.
"""
from __future__ import annotations

from dataclasses import dataclass

from grader.sandbox.limits import DEFAULT_LIMITS, SHARED_UID_NPROC, Limits
from grader.sandbox.view import SecretReachable, secret_tops


@dataclass(frozen=True)
class Setting:
    """What the layers are measured from: the facts the zygote reported when it started (its
    self-test among them) and how it was started."""

    facts: dict
    mode: str                        # the sandbox mode (GRADER_SANDBOX)
    as_root: bool                    # the grader runs as root
    bwrap: bool                      # the zygote runs inside bubblewrap
    bwrap_problem: str = ""          # why not, where bubblewrap was wanted
    probe_uid: int | None = None     # the uid of its own the self-test ran as, if any
    started_pid: int | None = None   # the process the grader started (bubblewrap or the zygote)

    @property
    def test(self) -> dict:
        """What the self-test found, as the workers will run."""
        return self.facts.get("self_test", {})

    def why_off(self, otherwise: str) -> str:
        return "GRADER_SANDBOX=basic" if self.mode == "basic" else otherwise


@dataclass
class Measured:
    """One layer as measured on this machine."""

    name: str
    on: bool
    detail: str
    missing: str = ""  # what an absent layer lets student code do

    def line(self) -> str:
        return f"  {'on ' if self.on else 'OFF'}  {self.name:<20} " + \
            (self.detail if self.on else f"{self.detail}: {self.missing}")


class Layer:
    """One layer of the sandbox: its name, the code that applies it, and how it is measured."""

    name = ""
    applied_by: tuple[str, ...] = ()  # where it is set up: grader.sandbox.<room>.<name>

    def measure(self, s: Setting) -> Measured:
        raise NotImplementedError

    def describe(self, s: Setting) -> str:
        """One line: on or off, how, and what is missing."""
        return self.measure(s).line()

    def on(self, detail: str) -> Measured:
        return Measured(self.name, True, detail)

    def off(self, detail: str, missing: str) -> Measured:
        return Measured(self.name, False, detail, missing)


def _own_uid(s: Setting) -> bool:
    """Whether each worker runs as a uid of its own: the self-test ran as one and could read
    Python (else workers stay root, without capabilities)."""
    tu = s.facts.get("self_test_uid") or s.test  # the test as a uid of its own
    return bool(s.probe_uid is not None and tu.get("uid") == s.probe_uid
                and tu.get("python_readable", False))


class PrivateFolder(Layer):
    name = "private folder"
    applied_by = ("grader.sandbox.staging.stage_submission", "grader.sandbox.submission.Submission")

    def measure(self, s):
        return self.on("a fresh temporary folder per submission holding only its files; HOME "
                       "and TMPDIR point there")


class CleanEnvironment(Layer):
    name = "clean environment"
    applied_by = ("grader.sandbox.launcher.zygote_env", "grader.sandbox.launcher.worker_env",
                  "grader.sandbox.inside.zygote._child")

    def measure(self, s):
        leaks = s.test.get("environ_leaks")
        if leaks is None:
            return self.off("not measured", "student code may read the grader's environment")
        if leaks:
            return self.off(f"a worker can read {', '.join(leaks[:3])}",
                            "student code can read the grader's environment variables (tokens, "
                            "keys): give workers a uid of their own (run as root) or a pid "
                            "namespace (bubblewrap)")
        return self.on("the zygote is started with an allow-listed environment (PATH, locale, "
                       "CUDA and thread settings); no process a worker can see holds more")


class OwnSession(Layer):
    name = "own session"
    applied_by = ("grader.sandbox.inside.zygote._child", "grader.sandbox.inside.confine.prctl")

    def measure(self, s):
        return self.on("setsid: the worker and what it starts are killed together"
                       + (", in a pid namespace of their own"
                          if s.facts.get("pid") != s.started_pid else ""))


class ResourceLimits(Layer):
    name = "resource limits"
    applied_by = ("grader.sandbox.limits.effective_rlimits",
                  "grader.sandbox.inside.confine.apply_limits",
                  "grader.sandbox.inside.worker.CappedStream")

    def measure(self, s):
        return self.on(_limits_text(DEFAULT_LIMITS))


class MemoryTotal(Layer):
    name = "memory total"
    applied_by = ("grader.sandbox.memory.MemoryGroup",
                  "grader.sandbox.inside.memory_join.join_memory_group")

    def measure(self, s):
        group = s.facts.get("memory_group")
        if isinstance(group, int) and not isinstance(group, bool):
            size = f"{group / 1024**3:g} GiB" if group >= 1024**3 else f"{group / 1024**2:g} MiB"
            return self.on(f"a memory cgroup per zygote: a worker and every process it starts "
                           f"hold {size} together, beyond torch's own")
        return self.off(str(group or "not measured"), "the memory limit is per process: a "
                        "worker that forks holds its figure once per child")


class Timeouts(Layer):
    name = "timeouts"
    applied_by = ("grader.sandbox.limits.Limits", "grader.sandbox.submission.Submission")

    def measure(self, s):
        return self.on("wall clock per call and per submission (Limits)")


class SeparateUser(Layer):
    name = "separate user"
    applied_by = ("grader.sandbox.launcher.Zygote.new_uid", "grader.sandbox.inside.confine.become")

    def measure(self, s):
        if _own_uid(s):
            return self.on("each worker runs as its own unprivileged uid, without capabilities: "
                           "it cannot signal other workers or the grader, nor write their files")
        if s.as_root:
            tu = s.facts.get("self_test_uid") or s.test
            why = tu.get("uid_error") or ("Python is installed where other users cannot read it"
                                          if not tu.get("python_readable", True) else "")
            why = why or s.why_off("unknown")
            return self.off(f"workers run as root without capabilities ({why})", "student code "
                            "can signal the grader and write every root-owned file in its view")
        return self.off("workers run as you (the grader is not root)", "student code can signal "
                        "your processes" + ("" if s.bwrap else " and read and write your files"))


class ProcessLimit(Layer):
    name = "process limit"
    applied_by = ("grader.sandbox.inside.confine.apply_limits",
                  "grader.sandbox.inside.confine.kill_user",
                  "grader.sandbox.inside.confine.kill_leftovers",
                  "grader.sandbox.inside.confine.PidsCgroup")

    def measure(self, s):
        nproc = DEFAULT_LIMITS["RLIMIT_NPROC"]
        if _own_uid(s):
            return self.on(f"RLIMIT_NPROC {nproc} on the worker's own uid; whatever it started "
                           "is killed by uid after each call")
        if s.facts.get("pids_cgroup"):
            return self.on(f"a pids cgroup per worker (pids.max {nproc})")
        if not s.as_root:
            return self.on(f"RLIMIT_NPROC {max(nproc, SHARED_UID_NPROC)} on your user (shared "
                           f"with your own processes)")
        why = s.facts.get("pids_cgroup_error") or s.why_off("no pids cgroup")
        return self.off(f"none ({why})", "root ignores RLIMIT_NPROC: a fork bomb is not "
                        "contained")


class PrivateScratch(Layer):
    name = "private scratch"
    applied_by = ("grader.sandbox.inside.confine.private_scratch",
                  "grader.sandbox.inside.confine.fill_scratch",
                  "grader.sandbox.inside.confine.forbid_user_namespaces")

    def measure(self, s):
        error = s.test.get("scratch", "not tried")
        userns = s.test.get("user_namespaces", "not tried")
        if not error:
            return self.on(f"a fresh tmpfs of {Limits().scratch_bytes // 1024**2} MiB per worker "
                           f"at /tmp, /dev/shm and its folder; gone when the worker ends; "
                           + ("no user namespace of its own (seccomp), so no tmpfs beyond it"
                              if not userns else f"user namespaces NOT blocked ({userns}): a "
                              f"tmpfs of its own can hold memory past every limit"))
        shared = "this grading process's" if s.bwrap else "the machine's"
        return self.off(f"{shared} /tmp and /dev/shm ({s.why_off(error)})", "a submission can "
                        "leave files there for the next one, and fill them beyond its limits")


class NoNetwork(Layer):
    name = "no network"
    applied_by = ("grader.sandbox.view.bwrap_command",
                  "grader.sandbox.inside.confine.unshare_network")

    def measure(self, s):
        if not [i for i in s.test.get("interfaces", ["?"]) if i != "lo"]:
            how = "a network namespace of its own (bubblewrap)" if s.bwrap else \
                "a network namespace of its own (unshare)"
            return self.on(how + ": no interface but loopback")
        net_error = s.facts.get("unshare_net_error", "")
        why = s.why_off(f"unshare failed: {net_error}" if net_error else "no namespace")
        return self.off(f"network reachable ({why})", "student code can open connections, e.g. "
                        "send the inputs of the hidden checks out")


class ReadOnlyView(Layer):
    name = "read-only view"
    applied_by = ("grader.sandbox.view.bwrap_command", "grader.sandbox.view.secret_locations")

    def measure(self, s):
        """Raises SecretReachable where bubblewrap is on and a secret can still be read or
        imported: the view was built to hide them, so the install is broken."""
        secrets, writable = s.test.get("readable_secrets", ["?"]), s.test.get("writable", ["?"])
        secrets = list(secrets) + list(s.test.get("importable_secrets", ["?"]))
        if s.bwrap and secrets:
            raise SecretReachable(
                "refusing to grade: student code could read the answers here, although the "
                "sandbox hides every copy it knows of: " + ", ".join(secrets[:5])
                + ". Remove stray copies of the package (pip uninstall torchdrills; "
                "pip install it once), then try again.")
        if s.bwrap and not writable:
            return self.on("bubblewrap, deny by default: the system, Python, torch and the "
                           "grader's worker code read-only, nothing else (no solutions/, hidden "
                           "checks, .git, /etc but the loader's files, home folders, other "
                           "submissions, gradebook or results)")
        what = []
        if secrets:
            what.append("student code can read " + ", ".join(secret_tops(secrets)))
        if writable:
            what.append("it can write in " + ", ".join(dict.fromkeys(writable)))
        why = s.bwrap_problem or (f"GRADER_SANDBOX={s.mode}" if s.mode in ("basic", "unshare")
                                  else "no bubblewrap")
        return self.off(f"the whole disk is visible ({why})", "; ".join(what) or "every file the "
                        "worker's user may read is readable by absolute path")


# In the order they are reported.
LAYERS: tuple[Layer, ...] = (PrivateFolder(), CleanEnvironment(), OwnSession(), ResourceLimits(),
                             MemoryTotal(), Timeouts(), SeparateUser(), ProcessLimit(), PrivateScratch(),
                             NoNetwork(), ReadOnlyView())


def measure(s: Setting) -> list[Measured]:
    """Every layer, as measured (SecretReachable: see ReadOnlyView.measure)."""
    return [layer.measure(s) for layer in LAYERS]


def missing(layers, require) -> list[str]:
    """What `require` asks of the measured `layers` and they lack, one line per requirement
    (each with why, from the layer's measurement). `require` is a sequence of alternatives:
    (("no network",), ("separate user", "read-only view")) asks for the first layer, and for
    one of the other two.

        >>> on = [Measured("no network", True, "a namespace"), Measured("separate user",
        ...       False, "not root"), Measured("read-only view", False, "no bwrap")]
        >>> missing(on, [("no network",), ("separate user", "read-only view")])
        ["'separate user' (not root) or 'read-only view' (no bwrap)"]
    """
    by_name = {layer.name: layer for layer in layers}
    out = []
    for names in require:
        either = [by_name[name] for name in names if name in by_name]
        if not any(layer.on for layer in either):
            out.append(" or ".join(f"'{layer.name}' ({layer.detail})" for layer in either)
                       or " or ".join(f"'{name}'" for name in names))
    return out


def _limits_text(limits: dict) -> str:
    parts = []
    names = {"RLIMIT_CPU": ("CPU", lambda v: f"{v} s"),
             "RLIMIT_AS": ("memory", lambda v: f"{v / 1024**3:.0f} GiB (address space; data "
                                              f"segment with CUDA)"),
             "RLIMIT_DATA": ("data", lambda v: f"{v / 1024**3:.0f} GiB"),
             "RLIMIT_FSIZE": ("file size", lambda v: f"{v / 1024**2:.0f} MiB"),
             "RLIMIT_NOFILE": ("open files", str), "RLIMIT_NPROC": ("processes", str)}
    for key, value in limits.items():
        if key in names and value is not None:
            label, fmt = names[key]
            parts.append(f"{label} {fmt(value)}")
    return ", ".join(parts)
