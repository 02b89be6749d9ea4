"""A Gradescope autograder: an archive to upload, and what runs inside it.

    python -m grader gradescope autograder.zip                   # every exercise with a reference
    python -m grader gradescope hw1.zip --exercises ex01,ex02    # one assignment's exercises

The archive holds, at its top level (Gradescope unpacks it into /autograder/source):
    setup.sh          run once when Gradescope builds the image: installs torch (CPU wheels)
                      and this package
    run_autograder    run for each submission: grades /autograder/submission (exNN_*.py files or
                      notebooks) and writes /autograder/results/results.json
    torchdrills/      this package: the engine, every check, the references

Inside the archive, `python -m grader.instructor.gradescope run --exercises ex01,ex02` does the
grading.
AUTOGRADER_ROOT=/some/dir runs it against another root than /autograder (to try it locally),
and AUTOGRADER_PYTHON picks the interpreter run_autograder uses.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import zipfile
from pathlib import Path

from grader.exercises import EXERCISES, parse_list
from grader.request import DEVICES, GradeRequest

ROOT = Path(__file__).resolve().parents[2]

# What of this checkout goes into the archive (folders are taken whole, minus caches).
PACKAGE = ("grader", "solutions", "setup.cfg", "pyproject.toml", "README.md")

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder's image.
set -euo pipefail
cd "$(dirname "$0")"
export PIP_BREAK_SYSTEM_PACKAGES=1 PIP_DISABLE_PIP_VERSION_CHECK=1
if ! python3 -m pip --version >/dev/null 2>&1; then
    apt-get update && apt-get install -y python3 python3-pip
fi
# the CPU build of torch (Gradescope has no GPU): far smaller than the default CUDA build
python3 -m pip install "torch>=2.1" --index-url https://download.pytorch.org/whl/cpu
python3 -m pip install ./torchdrills
# the sandbox's read-only view (it may not start in the image: then the next line still holds)
apt-get install -y bubblewrap >/dev/null 2>&1 || (apt-get update && apt-get install -y bubblewrap) \
    || echo "no bubblewrap: the grader reports the missing layer"
# the references and the checks, wherever they were installed, readable by root alone
(cd torchdrills && python3 -m grader.instructor.gradescope protect)
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


def _files():
    for name in PACKAGE:
        path = ROOT / name
        if path.is_file():
            yield path
        elif path.is_dir():
            for f in sorted(path.rglob("*")):
                if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc":
                    yield f


def build_archive(dest, exercises=None) -> list[str]:
    """Write the autograder archive to `dest` (a .zip). Returns the exercises it grades."""
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
        add(zf, "setup.sh", SETUP_SH.encode(), 0o755)
        add(zf, "run_autograder", RUN_AUTOGRADER.format(exercises=",".join(chosen)).encode(),
            0o755)
        for f in _files():
            add(zf, "torchdrills/" + f.relative_to(ROOT).as_posix(), f.read_bytes())
    return chosen


def run(root, request: GradeRequest) -> dict:
    """Grade root/submission as `request` says and write root/results/results.json; returns
    what it wrote. A grading failure still writes a results.json (score 0, the reason in
    `output`), so Gradescope shows the student something."""
    root = Path(root)
    results = root / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        from grader.sandbox import Zygote
        zygote = Zygote()   # first: it imports torch while this process does the same
        from grader.report import gradescope_json, score_table
        from grader.runner import grade_submission
        try:
            result = grade_submission(root / "submission", zygote, request)
        finally:
            zygote.close()
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
    tmp = results.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, results)
    return data


SECRET_OWNER = 65534  # "nobody": never a worker's uid (workers get uids from 2 100 000 000)


def protect_secrets() -> list[str]:
    """Make every copy of the references and the checks this Python can find unreadable to
    workers, even where bubblewrap cannot start (a container that forbids namespaces): readable
    by their owner alone (`chmod -R go-rwx`) and, run as root, owned by `nobody`. A worker runs
    as a uid of its own or as root without capabilities, so it cannot open them either way;
    the grader, root with its capabilities, still reads them. Returns the folders changed."""
    from grader.sandbox import secret_locations
    done = []
    for folder in secret_locations():
        for path in [folder] + [os.path.join(d, n) for d, dirs, files in os.walk(folder)
                                for n in dirs + files]:
            if os.path.islink(path):
                continue
            os.chmod(path, os.stat(path).st_mode & ~0o077)
            if os.geteuid() == 0:
                os.chown(path, SECRET_OWNER, SECRET_OWNER)
        done.append(folder)
    return done


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m grader.instructor.gradescope",
                                description="What runs inside the Gradescope autograder.")
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="grade ROOT/submission into ROOT/results/results.json")
    r.add_argument("--root", default=os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    r.add_argument("--exercises", default=None, help="e.g. ex01,ex02 (default: all)")
    r.add_argument("--device", default="all", choices=DEVICES)
    sub.add_parser("protect", help="make the references and checks readable by root alone")
    args = p.parse_args(argv)
    if args.cmd == "protect":
        for folder in protect_secrets():
            print(f"readable by its owner alone: {folder}")
        return 0
    data = run(args.root, GradeRequest(exercises=parse_list(args.exercises), checks="all",
                                       device=args.device))
    print(f"score {data['score']}; wrote {Path(args.root) / 'results' / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
