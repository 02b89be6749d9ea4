"""Names in a submission and in a class folder: which are accepted and how they are shown
(name_problem, safe_label), which file is which exercise (exercise_of, assignment_exercise),
which entries of a class folder are students (class_listing), and nbgrader's course layout
(nbgrader_course, nbgrader_layout: the assignment boundaries).

    exercise_of("ex02_gradient_descent.ipynb")    # 'ex02'
    name_problem("ex01\x1b[2J.py")               # 'its name holds control or invisible characters'
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path, PurePosixPath

from grader.exercises import EXERCISES
from grader.sandbox.files import shown

MAX_NAME_CHARS = 128             # one file or folder name
# Folders never looked into: what archivers and editors leave (and any hidden name). A folder
# of any other name in a submission is the student's, looked into like any other. A class
# folder leaves them out too, with the rest of what tools leave there (NOT_STUDENTS).
SKIP_DIRS = frozenset({"__MACOSX", "__pycache__", ".ipynb_checkpoints"})


def name_problem(name: str) -> str:
    """'' for a name the grader accepts, else what is wrong with it."""
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in name):
        return "its name is not valid UTF-8"
    if not all(ch.isprintable() for ch in name):
        return "its name holds control or invisible characters"
    if len(name) > MAX_NAME_CHARS:
        return f"its name is longer than {MAX_NAME_CHARS} characters"
    return ""


def safe_label(name: str) -> str:
    """A name to file a submission under (a student's folder or zip): itself when it is a
    plain name, else escaped (a long one cut, with a hash of the whole so that two stay two)."""
    if not name_problem(name):
        return name
    text = shown(name, quote=False, limit=10**6)
    if len(text) > 60:
        raw = name.encode("utf-8", "surrogateescape")
        text = text[:60] + "~" + hashlib.blake2b(raw, digest_size=4).hexdigest()
    return text


def exercise_of(name: str) -> str | None:
    """'ex02_gradient_descent.ipynb' -> 'ex02'; None for anything that is not an exercise."""
    suffix = PurePosixPath(name).suffix
    if suffix not in (".py", ".ipynb") or name[:2] != "ex" or not name[2:4].isdigit():
        return None
    return name[:4] if name[:4] in EXERCISES else None


def assignment_exercise(name: str) -> str | None:
    """The exercise an nbgrader assignment folder holds, by its name: the exercise's module
    name ('ex01_linear_model', as `release` names the assignments) or its number ('ex01');
    None for any other folder."""
    key = name[:4]
    return key if key in EXERCISES and name in (key, EXERCISES[key]) else None



# Entries of a class folder that are no student's: what archivers, editors, version control and
# file browsers leave. Left out without a note. Any other name is a student's, '__bob' included;
# a name that starts with '.' is hidden (ls, Finder, Explorer do not show it): left out, with a
# note (class_listing), never silently.
NOT_STUDENTS = SKIP_DIRS | frozenset({
    ".DS_Store", ".git", ".hg", ".svn",
    ".Trashes", ".Spotlight-V100", ".fseventsd", ".TemporaryItems", ".DocumentRevisions-V100",
    ".AppleDouble", ".AppleDB", ".vscode", ".idea", ".venv", ".pytest_cache", ".mypy_cache",
    ".ruff_cache", ".cache"})
# ... and these beginnings: macOS's resource forks ('._alice.zip'), a Linux trash folder, the
# folder the gradebook is made in before it is linked into place (gradebook._create), when a
# killed run left it
NOT_STUDENTS_START = ("._", ".Trash-", ".gradebook-")
# What an nbgrader course folder holds beside submitted/: its folders, and the file that makes
# it one (a student's entry is a folder or a zip, never a plain file). Not gradebook.db, though
# nbgrader writes one: grade-class's own gradebook has that name, and it lies in the class
# folder when grade-class runs there (a folder 'submitted' then took over the whole class).
NBGRADER_COURSE = frozenset({"source", "release", "autograded", "feedback", "exchange"})
NBGRADER_FILES = ("nbgrader_config.py",)
NBGRADER_STAMP = "timestamp.txt"   # nbgrader's submit writes it into every assignment handed in


def not_a_student(name: str) -> bool:
    """Is this entry of a class folder what a tool left there (NOT_STUDENTS)?"""
    return name in NOT_STUDENTS or name.startswith(NOT_STUDENTS_START)


def hidden(name: str) -> bool:
    """A hidden name ('.alice'): left out of a class, with a note."""
    return name.startswith(".")


def class_listing(folder) -> tuple[list, list]:
    """(entries, hidden) of a class folder, each sorted: entries are (path, is_dir) of every
    folder or .zip that could be a student's (a link: what it points to), NOT_STUDENTS left
    out; hidden are the folders and zips whose name starts with '.', left out (the caller
    says so)."""
    entries, hidden_ = [], []
    for p in sorted(Path(folder).iterdir()):
        if not_a_student(p.name):
            continue
        try:
            is_dir, is_file = p.is_dir(), p.is_file()
        except OSError:
            continue
        if not (is_dir or (is_file and p.suffix.lower() == ".zip")):
            continue
        if hidden(p.name):
            hidden_.append(p)
        else:
            entries.append((p, is_dir))
    return entries, hidden_


def _plain_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def beside_submitted(course) -> list[Path]:
    """The entries of `course`, other than submitted/ and nbgrader's own folders, that could
    be a student's."""
    return [p for p, _ in class_listing(course)[0]
            if p.name != "submitted" and p.name not in NBGRADER_COURSE]


def nbgrader_course(course) -> bool:
    """Is `course` an nbgrader course folder: a submitted/ folder (not a link), and beside it
    nbgrader's configuration (nbgrader_config.py: no student's entry is a plain file) or
    nothing that could be a student's entry (only nbgrader's own folders)? A student who
    names her folder 'submitted' is one student of a class, not the whole class."""
    course = Path(course)
    submitted = course / "submitted"
    return submitted.is_dir() and not submitted.is_symlink() and (
        any(_plain_file(course / name) for name in NBGRADER_FILES)
        or not beside_submitted(course))


def nbgrader_layout(source, tops: dict) -> bool:
    """Do assignment boundaries hold for this submission: is `source` (a folder or a zip) a
    student's entry in nbgrader's submitted/STUDENT/ASSIGNMENT/ tree? `tops`: its top folders,
    each with whether it holds nbgrader's timestamp.txt.

    Yes when it lies in the submitted/ folder of an nbgrader course (nbgrader_course: with
    nbgrader_config.py, or nothing but nbgrader's folders beside submitted/), whatever it
    holds; or when a top folder of it is an exercise's assignment (exNN_name/ or exNN/) and
    it lies in a folder named 'submitted' or that assignment holds timestamp.txt. So the
    boundary holds however the grader is pointed at the course (the course, its submitted/
    folder, one student's folder, with or without nbgrader_config.py), and a plain class's
    student who keeps her files in folders of her own choosing is graded by the plain rule.
    A student in nbgrader cannot turn it off: nbgrader makes her top folders, one per
    assignment handed in."""
    source = Path(os.path.abspath(source))
    parent = source.parent
    if parent.name == "submitted" and nbgrader_course(parent.parent):
        return True
    assignments = [t for t in tops if assignment_exercise(t)]
    return bool(assignments) and (parent.name == "submitted"
                                  or any(tops[t] for t in assignments))


def one_assignment(source, stamped: bool) -> str | None:
    """The exercise of `source` when it is one assignment folder of an nbgrader student
    (submitted/STUDENT/exNN_name, or an assignment folder holding timestamp.txt): only that
    exercise is graded from it. None otherwise."""
    source = Path(os.path.abspath(source))
    ex = assignment_exercise(source.name)
    if ex and (source.parent.parent.name == "submitted" or stamped):
        return ex
    return None


def nbgrader_student(source) -> bool:
    """Is `source` a student's folder in nbgrader's submitted/ tree (nbgrader_layout, its top
    folders read here)? collect() decides the same as it reads a submission."""
    source = Path(source)
    if not source.is_dir() or source.is_symlink():
        return False
    tops = {}
    try:
        for top in os.scandir(source):
            if top.is_dir(follow_symlinks=False) and not skipped_dir(top.name):
                tops[top.name] = _plain_file(Path(top.path) / NBGRADER_STAMP)
    except OSError:
        return False
    return nbgrader_layout(source, tops)

def skipped_dir(name: str) -> bool:
    return name.startswith((".", "__")) or name in SKIP_DIRS
