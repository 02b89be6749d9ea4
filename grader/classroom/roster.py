"""Who is who from run to run: a student's name stays with the entry she was graded from
(class_rows, read back from the gradebook), a student now graded from another entry is noted,
and the gradebook's students of a class folder that no entry maps to any more are named by the
run and kept (meta UNLISTED), so that `export` warns about their rows (unlisted_students)."""
from __future__ import annotations

import json
import os
from pathlib import Path

from grader.classroom.entries import submissions_folder
from grader.classroom.outputs import same_path
from grader.sandbox import staging
from grader.sandbox.safetext import LINE, clean


UNLISTED = "unlisted"    # the gradebook's meta key: {class folder: [students no entry maps to]}


def class_rows(book, folder, where) -> dict[str, str]:
    """{student: the entry she was last graded from (its name)} for each student of the
    gradebook last graded from this class folder (by the run that graded her: its folder, the
    course or its submitted/ folder alike), in the order the students were first filed."""
    rows, same = {}, {}
    for student, source, run_folder in book.filed():
        if not run_folder:
            continue
        if run_folder not in same:
            same[run_folder] = _same_class(Path(run_folder), folder, where)
        if same[run_folder]:
            rows[student] = os.path.basename(source)
    return rows


def _same_class(path: Path, folder, where) -> bool:
    try:
        return same_path(path, folder) or same_path(path, where) or \
            (path.is_dir() and same_path(submissions_folder(path), where))
    except OSError:
        return False


def moves(rows: dict, entries, book, where) -> list[str]:
    """Notes on the students of this class folder in the gradebook whose entry changed (now
    graded from another entry) or is gone (no entry maps to them: their rows keep their last
    grades, and `export` says so); the gone ones are kept in the gradebook (UNLISTED)."""
    notes = []
    now = {student: path for student, path in entries}
    for student, path in entries:
        before = rows.get(student)
        if before is not None and before != staging.printable(path.name):
            notes.append(clean(f"{student}: graded from {staging.shown(path.name)} now, from "
                               f"'{before}' before", LINE, lines=False))
    gone = [s for s in rows if s not in now]
    if gone:
        shown = ", ".join(f"{staging.shown(s)} (from '{rows[s]}')" for s in gone[:10]) + \
            (f" and {len(gone) - 10} more" if gone[10:] else "")
        notes.append(clean(f"the gradebook holds {len(gone)} student{'s' * (len(gone) != 1)} "
                           f"of this class folder that no entry maps to any more: {shown}; "
                           f"each row keeps its last grade, and export writes it with a "
                           f"warning", LINE, lines=False))
    try:
        kept = json.loads(book.get_meta(UNLISTED) or "{}")
        kept = kept if isinstance(kept, dict) else {}
    except ValueError:
        kept = {}
    key = os.path.realpath(where)
    if gone:
        kept[key] = gone
    else:
        kept.pop(key, None)
    book.set_meta(UNLISTED, json.dumps(kept))
    return notes


def other_folders(book, entries, folder, where) -> list[str]:
    """One note where students of this run were last graded from another class folder: the
    gradebook files students by name alone, so two classes (two sections, another term's
    gradebook given as --db) would be merged without a word ('2 students of this run were
    last graded from another class folder, /term1/subs (e.g. alice): ...')."""
    names = {student for student, _ in entries}
    by_folder: dict[str, list[str]] = {}
    same: dict[str, bool] = {}
    for student, _, run_folder in book.filed():
        if not run_folder or student not in names:
            continue
        if run_folder not in same:
            same[run_folder] = _same_class(Path(run_folder), folder, where)
        if not same[run_folder]:
            by_folder.setdefault(run_folder, []).append(student)
    if not by_folder:
        return []
    who = [s for students in by_folder.values() for s in students]
    first = next(iter(by_folder))
    places = (f"another class folder, {staging.shown(first, quote=False, limit=200)}"
              if len(by_folder) == 1 else f"{len(by_folder)} other class folders (e.g. "
              f"{staging.shown(first, quote=False, limit=200)})")
    return [clean(f"{len(who)} student{'s' * (len(who) != 1)} of this run "
                  f"{'were' if len(who) != 1 else 'was'} last graded from {places} "
                  f"(e.g. {staging.shown(by_folder[first][0], quote=False)}): the gradebook "
                  f"files students by name, so their grades from both folders are one row "
                  f"each (as meant for a new download of the same class, or entries renamed "
                  f"to match); another class needs its own --db", LINE, lines=False)]


def no_names_in_common(book, entries) -> list[str]:
    """One note where the gradebook holds students and none of them is a student of this run:
    the class folder names them otherwise (another LMS's export: logins there, full names
    here), or it is another class. Its students are recorded as new ones, apart from the
    gradebook's: the note says so, and how to map them ('no student of this class folder is
    in the gradebook ...: rename each entry as the gradebook names her, e.g. ...')."""
    from grader.classroom.gradebook_schema import stored_name
    names = [student for student, _ in entries]
    known = book.students()
    if not names or not known or {stored_name(s) for s in names} & set(known):
        return []

    def some(found):
        return ", ".join(staging.shown(s, limit=40) for s in found[:2]) + \
            (", ..." if found[2:] else "")

    return [clean(f"no student of this class folder is in the gradebook: its {len(names)} "
                  f"({some(names)}) {'are' if len(names) != 1 else 'is'} recorded as new, "
                  f"apart from the gradebook's {len(known)} ({some(known)}). The same people "
                  f"under other names (logins there, full names here)? Rename each entry as "
                  f"the gradebook names her (e.g. the folder 'Alice Smith' to 'asmith') and "
                  f"run again. Another class? Give it its own --db", LINE, lines=False)]


def unlisted_students(book) -> list[str]:
    """The gradebook's students that no entry of their class folder mapped to at its last run
    (their rows hold the grade of an entry no longer there): `export` warns about them."""
    try:
        kept = json.loads(book.get_meta(UNLISTED) or "{}")
    except ValueError:
        return []
    if not isinstance(kept, dict):
        return []
    graded = set(book.students())
    return sorted({s for names in kept.values() if isinstance(names, list)
                   for s in names if s in graded})

