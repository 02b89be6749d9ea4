"""The grader's version: the package version plus a digest of everything that decides a score
(SCORING), so that a class graded before is regraded only when what scores it changed. A file
counts by what it says (its top-level definitions, imports and module docstring left out), not
by where it lies: moving or splitting the engine's code keeps the version.

    grader_version()     # '0.4.0+3f2a9c1d'
    scoring_digest()     # '3f2a9c1d': what a reference table is tied to
"""
from __future__ import annotations

import ast
import hashlib
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# What decides a score, as globs under the package's root: editing any file they match makes a
# new grader version (and a class run regrades). Left out: what only carries values or presents
# results (the sandbox, the runner, the pages, the command line), so a new page layout does not
# force a regrade. A glob, not a list of files: a file moved within these stays counted.
SCORING = (
    "grader/checks/**/*",        # the checks: visible and hidden, inputs, mistakes, recorded values
    "solutions/**/*",            # the references
    "grader/**/probes/**/*",     # what the worker runs for the checks
    "grader/data/**/*",          # the data sets the checks train on
    # the engine's comparison code: tolerances, oracles, recorded values, how points count
    "grader/**/compare/**/*.py", "grader/**/expected.py",
    "grader/**/reference.py", "grader/**/steps.py", "grader/**/datasets.py",
    "grader/**/result.py",
)

_version_cache: dict[Path, str] = {}


def scoring_files(root: Path = ROOT) -> list[Path]:
    """The files that decide a score (SCORING), sorted; caches and compiled files left out."""
    found = {p for pattern in SCORING for p in root.glob(pattern)
             if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}
    return sorted(found)


def grader_version(root: Path = ROOT) -> str:
    """The package version plus a digest of everything that decides a score (SCORING: the
    checks, the references, the engine's comparison code), e.g. '0.1.0+3fa81c2e'.

    The environment variable GRADER_VERSION overrides it (e.g. to keep a gradebook while
    editing the checks: `GRADER_VERSION=fall-2025 python -m grader grade-class ...`)."""
    if os.environ.get("GRADER_VERSION"):
        return os.environ["GRADER_VERSION"]
    if root not in _version_cache:
        _version_cache[root] = f"{_package_version(root)}+{scoring_digest(root, 4)}"
    return _version_cache[root]


def scoring_digest(root: Path = ROOT, size: int = 8) -> str:
    """A digest (`size` bytes, in hex) of what decides a score (scoring_files), by content:
    each Python file counts as its top-level definitions and statements, imports and the
    module's docstring left out (their text as written), every other file as its bytes, with
    its place only where the place decides a score (a check's, a reference's, a data set's:
    _place); the digest is taken over them sorted, so that moving an engine module, splitting
    one or merging two, as long as no definition changes, keeps the grader's version (a class
    graded before is not regraded). grader_version shows 4 bytes of it; the reference table
    is tied to 8."""
    units = sorted(u for p in scoring_files(root) for u in _scoring_units(p, _place(p, root)))
    digest = hashlib.blake2b(digest_size=size)
    for unit in units:
        digest.update(unit + b"\0")
    return digest.hexdigest()


def _place(path: Path, root: Path) -> bytes:
    """Where a scoring file lies, where its place decides a score: a check file's place in the
    checks (visible or hidden, which exercise), a reference's and a data set's name. The
    engine's files count by content alone."""
    rel = path.relative_to(root).as_posix()
    for where in ("grader/checks/", "solutions/", "grader/data/"):
        if rel.startswith(where):
            return rel.encode()
    return b""


def _scoring_units(path: Path, place: bytes = b"") -> list[bytes]:
    """The digests of what in one scoring file decides a score (see scoring_digest), each
    with the file's place where it matters (_place). A Python file's are kept by its content
    (_units_seen): a run asks for the digest with each reference table it writes or loads."""
    data = path.read_bytes()
    if path.suffix != ".py":
        return [place + hashlib.blake2b(data, digest_size=16).digest()]
    key = (place, hashlib.blake2b(data, digest_size=16).digest())
    if key not in _units_seen:
        _units_seen[key] = _python_units(data, place)
    return list(_units_seen[key])


# The units of the Python files read so far, by (place, digest of the content): parsing every
# scoring file costs about half a second, and a class run asks for the digest again and again.
_units_seen: dict[tuple, list[bytes]] = {}


def _python_units(data: bytes, place: bytes) -> list[bytes]:
    """_scoring_units of a Python file's bytes: its top-level definitions and statements,
    imports and the module's docstring left out, each as written (ast.get_source_segment's
    text, padded)."""
    text = data.decode("utf-8", "surrogateescape")
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return [hashlib.blake2b(data, digest_size=16).digest()]
    lines = _LINES.findall(text)
    out = []
    for i, node in enumerate(tree.body):
        if isinstance(node, (ast.Import, ast.ImportFrom)) or (
                i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)):
            continue
        segment = _segment(lines, node)
        out.append(place + hashlib.blake2b(segment.encode("utf-8", "surrogateescape"),
                                           digest_size=16).digest())
    return out or [place]


# A source's lines as ast cuts them (its _splitlines_no_ff): at \r\n, \r or \n, ends kept.
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def _segment(lines: list[str], node) -> str:
    """ast.get_source_segment(text, node, padded=True) or "", from the text's lines cut once
    (ast cuts the whole text again for each node: quadratic in a file's length)."""
    if getattr(node, "end_lineno", None) is None or getattr(node, "end_col_offset", None) is None:
        return ""
    first, last = node.lineno - 1, node.end_lineno - 1
    start, end = node.col_offset, node.end_col_offset
    if first == last:
        return lines[first].encode()[start:end].decode()
    head = lines[first].encode()
    padding = "".join(c if c in "\f\t" else " " for c in head[:start].decode())
    return (padding + head[start:].decode() + "".join(lines[first + 1:last])
            + lines[last].encode()[:end].decode())


def _package_version(root: Path = ROOT) -> str:
    try:
        for line in (root / "setup.cfg").read_text().splitlines():
            if line.replace(" ", "").startswith("version="):
                return line.split("=", 1)[1].strip()
    except OSError:
        pass
    try:
        from importlib.metadata import version
        return version("torchdrills")
    except Exception:  # noqa: BLE001 - not installed: still a usable version string
        return "0"
