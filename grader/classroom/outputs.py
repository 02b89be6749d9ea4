"""A class run's outputs, never a student's entry: the gradebook it opens (open_gradebook: the
named one, gradebook.db here, or the folder's kept one, with a note saying where and why), the
feedback pages' folder (marked as this grader's when it lies in the class folder) and the CSV.
A named output that is the class folder, a student's entry or a path inside one, a folder where
a file is meant, or another program's database raises OutputRefused before anything is graded
(the CSV, written after grading: run.csv_problem says why)."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from grader.classroom import gradebook_files as gradebooks
from grader.classroom.entries import (PAGES_MARK, Outputs, entry_paths, pages_mark,
                                      submissions_folder)
from grader.classroom.gradebook import Gradebook
from grader.classroom.gradebook_files import OutputRefused
from grader.sandbox import staging


def same_path(a, b) -> bool:
    return os.path.abspath(a) == os.path.abspath(b) or \
        os.path.realpath(a) == os.path.realpath(b)


def within(path, folder) -> bool:
    """Is `path` `folder` or inside it (as written, or with links resolved)?"""
    for a, b in ((os.path.abspath(path), os.path.abspath(folder)),
                 (os.path.realpath(path), os.path.realpath(folder))):
        if a == b or a.startswith(b.rstrip(os.sep) + os.sep):
            return True
    return False


def _student_entry(path, raw, outputs: Outputs | None = None) -> Path | None:
    """The student's entry (of the listing `raw`) that `path` is, or lies inside; None when it
    is none, or is the grader's own output."""
    for entry in raw:
        if same_path(path, entry) and not (outputs is not None and outputs.owns(entry)):
            return entry
        if within(path, entry) and not same_path(path, entry) and \
                not (outputs is not None and outputs.owns(entry)):
            return entry
    return None


def open_gradebook(db, folder) -> tuple[Gradebook, list[str]]:
    """The gradebook of a class run on `folder`, and notes on where it is and why.

    `db` named: that file, if it is this grader's gradebook or nothing is there; one copied or
    moved there (or written before gradebooks were marked) is taken in, unless it lies in the
    class folder, where a student's file could pose as it. A student's entry named as it or as
    a file SQLite keeps beside it (gradebook.db-wal, -shm, -journal) stops nothing: the grades
    go to a private gradebook kept for that path (_kept_instead), which `export --db` finds.
    Anything else (a folder or file not a student's, a path inside a student's entry, another
    program's database, a file beside it that SQLite would read) raises OutputRefused: nothing
    is graded, nothing there is touched.

    `db` None (the default): gradebook.db in the current folder when it is this grader's or
    free; else the folder's kept gradebook (gradebook.kept_path: private, one per folder, found
    again by every later run and by `export` from the same folder), with a note that says where
    and why. Every student is graded either way."""
    folder = Path(folder)
    raw = [p for p, _ in entry_paths(submissions_folder(folder))]
    if db is not None:
        return _named_gradebook(Path(db), folder, raw)
    here = Path.cwd() / gradebooks.DEFAULT
    place = gradebooks.inspect(here)
    entry = next((e for e in raw if within(here, e) and not same_path(here, e)), None)
    if entry is None and place.usable:
        return Gradebook(here), []
    kept = gradebooks.kept_path(here)
    why = (f"lies in the student entry {staging.shown(entry.name)}" if entry is not None
           else _taken(place) if place.state != "free" else "")
    if gradebooks.inspect(kept).usable:
        return Gradebook(kept), [f"gradebook {kept}: this folder's, kept there since "
                                 f"{here.name} here was found taken"
                                 + (f" ({here.name} here {why})" if why else "")]
    if entry is None and place.state == "free":
        return Gradebook(here), []
    if entry is None and place.state == "moved" and not place.blocked and \
            not within(here, folder):
        return Gradebook(here, adopt=True), [
            f"{here} was copied or moved here, or written by an earlier version: taken in as "
            f"this class's gradebook"]
    # (a file beside it is not its own)
    book, how = _open_kept(here, kept, entry is None and place.state == "ours",
                           f"{here.name} here {why}", "it is left as it is; ")
    return book, [f"{here.name} here {why}: {how} (`torchdrills export` run here finds it)"]


def _open_kept(source: Path, kept: Path, copy: bool, why: str, left: str = ""):
    """(the kept gradebook, what was done) where the gradebook at `source` cannot be used:
    its grades copied to `kept` first where `copy` (it is this grader's), else `kept` opened
    as it is, `source` left alone (`left` says so). OutputRefused where no private folder can
    hold it."""
    try:
        if copy:
            gradebooks.copy_gradebook(source, kept)
            return (Gradebook(kept, adopt=True),
                    f"its grades are copied to {kept}, this class's gradebook from now on")
        return Gradebook(kept), f"{left}this class's gradebook is kept at {kept}"
    except (OSError, sqlite3.Error, OutputRefused) as exc:
        raise OutputRefused(f"{why}, and no private folder could hold the gradebook instead "
                            f"({exc}): nothing was graded. Name a gradebook outside the class "
                            f"folder, e.g. --db ../gradebook.db") from None


def holders(path: Path, where: Path) -> list[Path]:
    """The entry of the class folder `where` that holds the gradebook `path` (--db
    sub/gradebook.db): a folder of the grader's own, known by the gradebook in it."""
    if not within(path, where) or same_path(Path(path).parent, where):
        return []
    rel = Path(os.path.relpath(os.path.abspath(path), os.path.abspath(where)))
    return [Path(os.path.abspath(where)) / rel.parts[0]] if len(rel.parts) > 1 else []


def _taken(place) -> str:
    if place.state in ("ours", "moved") and place.blocked:
        return f"is blocked: {place.blocked}"
    return f"is {place.what}"


def _named_gradebook(path: Path, folder: Path, raw) -> tuple[Gradebook, list[str]]:
    place = gradebooks.inspect(path)
    shown = staging.shown(str(path))
    entry = next((e for e in raw if within(path, e) and not same_path(path, e)), None)
    # a folder that holds the grader's own gradebook is the grader's (holders), not a student's
    if entry is not None and not place.usable:
        raise OutputRefused(f"--db {shown} lies inside the student entry "
                            f"{staging.shown(entry.name)} of the class folder: a gradebook is "
                            f"never written into a student's folder; nothing was graded. Name a "
                            f"file outside it, e.g. --db ../gradebook.db")
    if place.state == "free" or place.usable:
        return Gradebook(path), []
    taker = _takes_its_name(path, raw)
    if place.state == "moved" and (not place.blocked or taker is not None):
        if not within(path, folder):
            return Gradebook(path, adopt=True), [
                f"{path} was copied or moved there, or written by an earlier version: taken "
                f"in as this class's gradebook"]
        raise OutputRefused(f"--db {shown} is {place.what}, and it lies in the class folder, "
                            f"where students' files are: it is not opened; nothing was graded. "
                            f"If it is yours, move it out of the class folder and name it "
                            f"there, e.g. --db ../gradebook.db")
    if taker is not None:    # a student's name: graded all the same, into a private gradebook
        return _kept_instead(path, place, taker)
    raise OutputRefused(f"--db {shown} {_taken(place)}: nothing was graded and nothing there "
                        f"was touched. Name a file of its own, e.g. --db ../gradebook.db")


def _takes_its_name(path: Path, raw) -> Path | None:
    """The student's entry of the class folder (of the listing `raw`) named as the gradebook
    `path` or as a file SQLite keeps beside it (gradebook.db, gradebook.db-wal, -shm,
    -journal), or None. Such a name is a student's to choose: it never stops a run."""
    names = [f"{os.path.abspath(path)}{suffix}" for suffix in ("",) + gradebooks.SIDECARS]
    return next((e for e in raw for name in names if same_path(e, name)), None)


def _kept_instead(path: Path, place, taker: Path) -> tuple[Gradebook, list[str]]:
    """The gradebook kept for the named `path` (gradebook_files.kept_path, as `export --db
    PATH` finds it) where a student's entry `taker` takes its name or the name of a file
    SQLite keeps beside it: the grades of this grader's gradebook at `path` copied there
    first (read as one file, nothing beside it read), the file at `path` left as it is."""
    kept = gradebooks.kept_path(path)
    why = f"the student entry {staging.shown(taker.name)} of the class folder takes " + \
        ("its name" if same_path(taker, path) else "the name of a file SQLite keeps beside it")
    if gradebooks.inspect(kept).usable:
        return Gradebook(kept), [f"gradebook {kept}: kept there for --db {path}, since {why}"]
    book, how = _open_kept(path, kept, place.state == "ours",
                           f"--db {staging.shown(str(path))}: {why}")
    return book, [f"--db {path}: {why}; {how} (`torchdrills export --db {path}` finds it)"]


def pages_folder(html: Path, folder: Path, where: Path, raw, outputs: Outputs) -> Path:
    """The folder of the feedback pages, made if need be: never the class folder itself, a
    student's entry or a folder inside one (OutputRefused). Kept inside the class folder, its
    top folder there is marked with the gradebook's secret (PAGES_MARK), so that this and later
    runs know it as this grader's, not a student's."""
    shown = staging.shown(str(html))
    if same_path(html, where) or same_path(html, folder):
        raise OutputRefused(f"--html-dir {shown} is the class folder itself: the pages would "
                            f"lie among the students' entries; nothing was graded. Give them a "
                            f"folder of their own, e.g. --html-dir feedback")
    entry = _student_entry(html, raw, outputs)
    if entry is not None:
        raise OutputRefused(f"--html-dir {shown} is "
                            f"{'' if same_path(html, entry) else 'inside '}the student entry "
                            f"{staging.shown(entry.name)} in the class folder: pages are never "
                            f"written into a student's folder; nothing was graded. Give them "
                            f"a folder of their own, e.g. --html-dir ../feedback")
    if os.path.lexists(html) and not html.is_dir():
        raise OutputRefused(f"--html-dir {shown} is a file, not a folder; nothing was graded")
    html.mkdir(parents=True, exist_ok=True)
    if within(html, where):
        rel = Path(os.path.relpath(os.path.abspath(html), os.path.abspath(where)))
        top = Path(os.path.abspath(where)) / rel.parts[0]
        _mark_pages(top, outputs.pages_token)
        outputs.add(top)
    return html


def _mark_pages(folder: Path, token: str) -> None:
    if pages_mark(folder) == token:
        return
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) | \
        getattr(os, "O_CLOEXEC", 0)
    fd = os.open(folder / PAGES_MARK, flags, 0o644)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(f"torchdrills feedback pages {token}\n")


def write_csv(book, path: Path, where, raw, outputs, run, named_db=False,
              course=None) -> None:
    """The CSV of a class run: never over a student's entry, the gradebook or a folder; a
    refusal is run.csv_problem (the grades stay in the gradebook). '-': stdout. With a
    `course`, the CSV of `export --course` (course_grades.export_course_csv: per assignment
    the penalised and the raw score and how late)."""
    if course is not None:
        from grader.classroom.course_grades import export_course_csv
        export = (lambda out: export_course_csv(book, course, out))
    else:
        export = book.export_csv
    if str(path) == "-":
        export("-")
        run.csv = "-"
        return
    entry = _student_entry(path, raw, outputs)
    if entry is not None:
        problem = (f"is {'' if same_path(path, entry) else 'inside '}the student entry "
                   f"{staging.shown(entry.name)} in the class folder")
    else:
        problem = book.csv_problem(path)
        problem = f"is {problem}" if problem else ""
    if not problem:
        try:
            export(path)
            run.csv = str(path)
            return
        except (OSError, OutputRefused) as exc:
            problem = f"could not be written ({exc})"
    again = "torchdrills export --csv ../grades.csv" + \
        (f" --db {staging.shown(str(book.path))}" if named_db else "") + \
        (" --course course.toml" if course is not None else "")
    run.csv_problem = (f"--csv {staging.shown(str(path))} {problem}: the CSV was not "
                       f"written; the grades are in the gradebook. Export them elsewhere, "
                       f"e.g. {again}")

