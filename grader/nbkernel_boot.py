"""The first code of the sandboxed kernel (grader.nbkernel), inside the sandbox: drop to the
kernel's own uid, make sure no secret is in reach, then become ipykernel.

    python -c "...; grader.nbkernel_boot.main()" UID BOOT_JSON CONNECTION_FILE [KERNEL_ARGS...]

UID: the kernel's own uid, or "-" to keep the caller's (the launcher runs as root: the kernel
gets a uid of its own, and no capability, before it reads anything). BOOT_JSON (written by the
launcher): {"cwd": the kernel's folder, "check_secrets": true, "secrets": [files the kernel
must not read], "modules": [modules it must not import]}. A secret in reach: one line on stderr,
exit 3, no kernel. This module imports nothing of the trusted side.
"""
from __future__ import annotations

import importlib.util
import json
import os
import sys


def reachable_secret(config: dict) -> str:
    """'' when no listed secret can be read or imported here, else the first one found."""
    for path in config.get("secrets", []):
        try:
            with open(path, "rb") as f:
                f.read(1)
        except OSError:
            continue
        return path
    for name in config.get("modules", []):
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is not None and spec.origin and os.path.isfile(spec.origin):
            return name
    return ""


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[0] != "-":
        uid = int(argv[0])
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    with open(argv[1]) as f:
        config = json.load(f)
    if config.get("cwd"):
        os.chdir(config["cwd"])
    if config.get("check_secrets", True):
        found = reachable_secret(config)
        if found:
            print(f"torchdrills kernel: the sandbox shows a secret ({found}); "
                  f"the kernel does not start", file=sys.stderr)
            sys.exit(3)
    sys.argv = ["ipykernel_launcher", "-f", argv[2], *argv[3:]]
    from ipykernel.kernelapp import launch_new_instance
    launch_new_instance()


if __name__ == "__main__":
    main()
