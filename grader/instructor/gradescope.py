"""A Gradescope autograder: an archive to upload, and what runs inside it.

    python -m grader gradescope autograder.zip                   # every exercise with a reference
    python -m grader gradescope hw1.zip --exercises ex01,ex02    # one assignment's exercises

The archive holds, at its top level (Gradescope unpacks it into /autograder/source):
    setup.sh          run once when Gradescope builds the image: installs torch (CPU wheels) and
                      what the package requires, never a second copy of the package (it runs
                      from torchdrills/), then protects the whole source folder (deny by default)
    run_autograder    run for each submission: grades /autograder/submission (exNN_*.py files or
                      notebooks) and writes /autograder/results/results.json
    torchdrills/      what grading these exercises needs, deny by default
                      (grader.instructor.gradescope_files): the engine, the checks and the
                      references of these exercises only; no other exercise's reference,
                      checks, recorded values or variants, no instructor's command, no README.
                      Its grader refuses an exercise it was not built for.

Inside the archive, `python -m grader.instructor.gradescope run --exercises ex01,ex02` does the
grading, and `python -m grader.instructor.gradescope protect /autograder/source` the protecting.
AUTOGRADER_ROOT=/some/dir runs it against another root than /autograder (to try it locally),
and AUTOGRADER_PYTHON picks the interpreter run_autograder uses.
"""
from __future__ import annotations

import argparse
import configparser
import json
import os
import shlex
import stat
import sys
import time
import zipfile
from pathlib import Path

from grader.exercises import EXERCISES, UnknownExercise, parse_list
from grader.engine.request import DEVICES, GradeRequest

ROOT = Path(__file__).resolve().parents[2]

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder's image.
set -euo pipefail
cd "$(dirname "$0")"
here="$(pwd -P)"
export PIP_BREAK_SYSTEM_PACKAGES=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
if ! python3 -m pip --version >/dev/null 2>&1; then
    apt-get update && apt-get install -y python3 python3-pip
fi
# the CPU build of torch (Gradescope has no GPU): far smaller than the default CUDA build
python3 -m pip install "torch>=2.1" --index-url https://download.pytorch.org/whl/cpu
# what the package requires (setup.cfg), not the package: run_autograder runs it from
# torchdrills/ here, so the image holds no second copy of it and no build/ folder
python3 -m pip install {requirements}
# the sandbox's read-only view (it may not start in the image: the next line holds without it)
command -v bwrap >/dev/null || apt-get install -y bubblewrap >/dev/null 2>&1 \\
    || (apt-get update && apt-get install -y bubblewrap) \\
    || echo "no bubblewrap: the grader reports the missing layer"
# deny by default: everything in this folder readable by root alone (the grader), whatever
# it holds; workers, which run as other users, read nothing of it
(cd torchdrills && python3 -m grader.instructor.gradescope protect "$here")
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission: grade $ROOT/submission and write
# $ROOT/results/results.json. AUTOGRADER_ROOT=/tmp/ag runs it against another root.
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{AUTOGRADER_PYTHON:-python3}}"
cd "$ROOT/source/torchdrills"
exec "$PYTHON" -m grader.instructor.gradescope run --root "$ROOT" --exercises {exercises}
"""


def chosen_exercises(exercises=None) -> list[str]:
    chosen = list(exercises or EXERCISES)
    return [ex for ex in chosen if (ROOT / "solutions" / f"{EXERCISES[ex]}.py").exists()]


def requirements(root=ROOT) -> list[str]:
    """What the package requires (setup.cfg's install_requires), for setup.sh."""
    cfg = configparser.ConfigParser()
    cfg.read(Path(root) / "setup.cfg")
    text = cfg.get("options", "install_requires", fallback="")
    return [line.strip() for line in text.splitlines() if line.strip()]


def build_archive(dest, exercises=None) -> list[str]:
    """Write the autograder archive to `dest` (a .zip): what grading the chosen exercises
    needs and nothing else (gradescope_files.archive_files). Returns the exercises it grades."""
    from grader.instructor.gradescope_files import archive_files
    chosen = chosen_exercises(exercises)
    if not chosen:
        raise ValueError("no exercise to grade (no reference in solutions/)")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)

    def add(zf, name, data: bytes, mode=0o644):
        info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = (0o100000 | mode) << 16   # a regular file with these permissions
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, data)

    with zipfile.ZipFile(dest, "w") as zf:
        setup = SETUP_SH.format(requirements=" ".join(shlex.quote(r) for r in requirements()))
        add(zf, "setup.sh", setup.encode(), 0o755)
        add(zf, "run_autograder", RUN_AUTOGRADER.format(exercises=",".join(chosen)).encode(),
            0o755)
        for part in archive_files(chosen).values():
            for rel in part:
                add(zf, "torchdrills/" + rel, (ROOT / rel).read_bytes())
    return chosen


def run(root, request: GradeRequest) -> dict:
    """Grade root/submission as `request` says and write root/results/results.json; returns
    what it wrote. A grading failure still writes a results.json (score 0, the reason in
    `output`), so Gradescope shows the student something."""
    root = Path(root)
    results = root / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    seal_beside_source(root)
    started = time.perf_counter()
    try:
        from grader.engine.report import gradescope_json, score_table
        from grader.engine.runner import grade_once
        result, _ = grade_once(root / "submission", request, before=refuse_if_exposed)
        data = gradescope_json(result)
        try:
            print(score_table(result, details=False))
        except Exception:  # noqa: BLE001 - the log is not worth the results
            pass
    except Exception as exc:  # noqa: BLE001 - Gradescope must get a results.json
        data = {"score": 0, "execution_time": round(time.perf_counter() - started, 3),
                "output": f"The autograder could not grade this submission "
                          f"({type(exc).__name__}: {exc}). Please tell your instructor.",
                "tests": []}
    _write_results(results, data)
    return data


def _write_results(results: Path, data: dict) -> None:
    tmp = results.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, results)


def refuse_unknown(root, asked: str, exc: Exception) -> dict:
    """An exercise this archive was not built for: its checks and reference are not in it, so
    nothing is graded; results.json and the log say which exercises the archive grades."""
    built_for = ", ".join(EXERCISES) or "no exercise"
    reason = (f"This autograder was built for {built_for} only and cannot grade {asked!r} "
              f"({exc}). Please tell your instructor: the assignment needs an autograder "
              f"built with `python -m grader gradescope DEST.zip --exercises ...` naming it.")
    print(f"refusing to grade: {reason}", file=sys.stderr)
    results = Path(root) / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    data = {"score": 0, "execution_time": 0, "output": reason, "tests": []}
    _write_results(results, data)
    return data


def seal_beside_source(root) -> list[str]:
    """Deny by default at run time too: what Gradescope puts beside source/ when a submission
    is graded (the submission, submission_metadata.json with the earlier submissions' results
    and the students' e-mails, results/) is for this grading process alone. As root, each entry
    of `root` but source/ (protected by setup.sh) loses its group's and others' permissions;
    links are left as they are. Returns the names changed."""
    if os.geteuid() != 0:
        return []
    changed = []
    for entry in os.scandir(root):
        if entry.name == "source" or entry.is_symlink():
            continue
        try:
            mode = stat.S_IMODE(entry.stat(follow_symlinks=False).st_mode)
            if mode & 0o077:
                os.chmod(entry.path, mode & ~0o7077)
                changed.append(entry.name)
        except OSError:
            continue
    return changed


class Exposed(RuntimeError):
    """A worker here could read or import a reference or a hidden check."""


def refuse_if_exposed(zygote) -> None:
    """Grade nothing where the zygote's self-test, set up as a worker, could read or import a
    reference or a hidden check (a copy outside the folder setup.sh protected, no bubblewrap
    and no protect): the reason goes to the log, a short one to results.json."""
    zygote.wait_ready()
    test = zygote.facts.get("self_test", {})
    found = list(test.get("readable_secrets", ["(the sandbox's self-test did not run)"])) + \
        list(test.get("importable_secrets", []))
    if found:
        print("refusing to grade: student code could read " + ", ".join(found[:5]) + ". Run "
              "setup.sh as root (its last line protects the source folder), remove other "
              "copies of the package, or let bubblewrap start.", file=sys.stderr)
        raise Exposed("the sandbox would let this submission read the answers")


SECRET_OWNER = 65534  # "nobody": never a worker's uid (workers get uids from 2 100 000 000)


class NotATree(ValueError):
    """protect was pointed at a folder that is not a torchdrills tree."""


def package_root(tree) -> Path:
    """The package's root in `tree`: `tree` itself when it holds the grader's sandbox and checks
    (a checkout, an unpacked archive's torchdrills/, a pip --target folder), or its
    torchdrills/ when `tree` is an autograder's source folder. NotATree otherwise."""
    tree = Path(tree)
    for root in (tree, tree / "torchdrills"):
        if root == tree / "torchdrills" and not (tree / "run_autograder").is_file():
            continue
        if (root / "grader" / "sandbox" / "inside" / "zygote.py").is_file() and \
                (root / "grader" / "checks").is_dir():
            return root
    raise NotATree(f"{tree} is not a torchdrills tree (neither a folder holding "
                   f"grader/sandbox/inside/zygote.py and grader/checks/, nor an autograder's "
                   f"source folder holding one in torchdrills/); nothing was changed")


def protect(tree) -> dict:
    """Deny by default, on `tree` and nothing else: every folder and file under it (the tree
    itself included; links are left as they are and never followed) loses every permission of
    its group and of other users, and its setuid, setgid and sticky bits. Run as root, each is
    also owned by `nobody`, so that no process can read it but one with root's capabilities
    (the grader): not a worker with a uid of its own, not a worker left root without
    capabilities. The one exception is what the zygote imports (sandbox.view.worker_files):
    owned by root, mode 0600 at most, so that a zygote inside bubblewrap (root without
    capabilities) reads it through its view. Nothing a worker needs after it is forked lies
    here: it has imported the package already, and the data files a check hands to student code
    are written into the worker's own folder. What the import system, sys.path or an editable
    install point at elsewhere is never touched. Returns counts of what was changed."""
    from grader.sandbox.view import worker_files
    top = Path(os.path.abspath(tree))
    if top.is_symlink():
        raise NotATree(f"{tree} is a link: name the folder itself; nothing was changed")
    if not top.is_dir():
        raise NotATree(f"{tree} is not a folder; nothing was changed")
    top = Path(os.path.realpath(top))   # (a link above it: the paths worker_files gives)
    package = package_root(top)
    zygote_files = {os.path.abspath(f) for f in worker_files(package)}
    as_root = os.geteuid() == 0
    done = {"folders": 0, "files": 0, "links": 0, "zygote": 0, "as_root": as_root}

    def deny(path: str):
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            done["links"] += 1
            return
        own = path in zygote_files
        if as_root:
            owner = (0, 0) if own else (SECRET_OWNER, SECRET_OWNER)
            if (st.st_uid, st.st_gid) != owner:
                os.chown(path, *owner, follow_symlinks=False)
        mode = stat.S_IMODE(st.st_mode) & (0o600 if own else 0o700)
        os.chmod(path, mode)
        done["zygote" if own else "folders" if stat.S_ISDIR(st.st_mode) else "files"] += 1

    def unreadable(exc):  # a folder it cannot list would keep what it holds: stop, say so
        raise exc

    deny(str(top))
    for folder, dirs, files in os.walk(top, onerror=unreadable, followlinks=False):
        for name in dirs + files:
            deny(os.path.join(folder, name))
    return done


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m grader.instructor.gradescope",
                                description="What runs inside the Gradescope autograder.")
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="grade ROOT/submission into ROOT/results/results.json")
    r.add_argument("--root", default=os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    r.add_argument("--exercises", default=None, help="e.g. ex01,ex02 (default: all)")
    r.add_argument("--device", default="all", choices=DEVICES)
    pr = sub.add_parser("protect", help="make everything in TREE readable by root alone")
    pr.add_argument("tree", help="the autograder's source folder (setup.sh's), or a "
                                 "torchdrills tree; nothing outside it is changed")
    args = p.parse_args(argv)
    if args.cmd == "protect":
        try:
            done = protect(args.tree)
        except (NotATree, OSError) as exc:
            print(f"protect: {exc}", file=sys.stderr)
            return 2
        owner = "owned by nobody, " if done["as_root"] else ""
        print(f"protected {os.path.abspath(args.tree)}: {done['files']} files and "
              f"{done['folders']} folders {owner}without group or other permissions; "
              f"{done['zygote']} files the zygote imports readable by root alone; "
              f"{done['links']} links left as they are")
        if not done["as_root"]:
            print("protect: not root: the files stay yours, and workers run as you unless "
                  "the grader is root, so they can still read them", file=sys.stderr)
        return 0
    try:
        exercises = parse_list(args.exercises)
    except UnknownExercise as exc:
        refuse_unknown(args.root, args.exercises, exc)
        return 2
    data = run(args.root, GradeRequest(exercises=exercises, checks="all", device=args.device))
    total = sum(t.get("score", 0) for t in data["tests"])
    print(f"score {total:g}; wrote {Path(args.root) / 'results' / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
