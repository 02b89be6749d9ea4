"""Who is who from run to run: a student's name stays with the entry she was graded from
(class_rows, read back from the gradebook), a student now graded from another entry is noted,
and the gradebook's students of a class folder that no entry maps to any more are named by the
run and kept (meta UNLISTED), so that `export` warns about their rows (unlisted_students).
A map of names (`grade-class --names map.csv`, columns folder,student: read_names,
apply_names) files the entries of a class folder that names students otherwise (another LMS's
export: 'Alice Smith' where the gradebook has 'asmith') under the gradebook's own names. The
gradebook remembers every map a run was given (meta NAMES: remember_names), so that the next
run, and `similarity`, file those entries so without it (with_remembered)."""
from __future__ import annotations

import csv
import json
import os
import unicodedata
from pathlib import Path

from grader.classroom.entries import submissions_folder
from grader.classroom.outputs import same_path
from grader.sandbox import staging
from grader.sandbox.safetext import LINE, clean


UNLISTED = "unlisted"    # the gradebook's meta key: {class folder: [students no entry maps to]}
NAMES = "names"          # the gradebook's meta key: {entry's name: student}, every map given
REMEMBERED = "the map of names the gradebook remembers"    # how notes name it


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


def moves(rows: dict, entries, book, where, mapped=()) -> list[str]:
    """Notes on the students of this class folder in the gradebook whose entry changed (now
    graded from another entry) or is gone (no entry maps to them: their rows keep their last
    grades, and `export` says so); the gone ones are kept in the gradebook (UNLISTED). An
    entry graded under another name now than before, and not by this run's map (`mapped`:
    the entries it filed), is named, with the map line that keeps her rows."""
    notes = []
    now = {student: path for student, path in entries}
    for student, path in entries:
        before = rows.get(student)
        if before is not None and before != staging.printable(path.name):
            notes.append(clean(f"{student}: graded from {staging.shown(path.name)} now, from "
                               f"'{before}' before", LINE, lines=False))
    gone = [s for s in rows if s not in now]
    if gone:
        shown = ", ".join(f"{staging.shown(s)} (from '{rows[s]}'"
                          f"{_mapped_before(s, rows[s], entries, mapped)})"
                          for s in gone[:10]) + \
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


def _mapped_before(student, entry, entries, mapped=()) -> str:
    """Where the entry a student was last graded from is graded under another name now (a
    --names map given before, not this time), how to keep her rows: ', graded as 'Alice
    Smith' now: give the --names map again, e.g. 'Alice Smith,asmith''; else ''. Not for a
    name filed with a hash (two entries that read alike: filing's, never a map's)."""
    from grader.classroom.filing import _looks_filed
    now = [s for s, path in entries if staging.printable(path.name) == entry]
    if not now or entry in mapped or _looks_filed(student):
        return ""
    return (f", graded as {staging.shown(now[0])} now: to keep her rows, give the --names map "
            f"again, e.g. '{entry},{student}'")


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
                  f"or mapped with --names to match); another class needs its own --db", LINE,
                  lines=False)]


def no_names_in_common(book, entries) -> list[str]:
    """One note where the gradebook holds students and none of them is a student of this run:
    the class folder names them otherwise (another LMS's export: logins there, full names
    here), or it is another class. Its students are recorded as new ones, apart from the
    gradebook's: the note says so, and how to map them ('no student of this class folder is
    in the gradebook ...: map each entry to the gradebook's name with --names ...')."""
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
                  f"under other names (logins there, full names here)? Map each entry to the "
                  f"gradebook's name with --names map.csv (columns folder,student, e.g. "
                  f"'Alice Smith,asmith') and run again. Another class? Give it its own --db",
                  LINE, lines=False)]


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


# ----------------------------------------------------------------------------------------------
# a map of names: grade-class --names map.csv

class NamesError(ValueError):
    """A map of names that cannot be used (the command line: one error line, exit 2, nothing
    graded): unreadable, without the columns folder,student, a folder on two lines, a student
    the gradebook does not hold, two entries filed as one student."""


class Names(dict):
    """{folder: (student, line)} read from a map of names, with the map's `path`; `applied`:
    the entries a run filed by it (their names). A line the gradebook remembers from an
    earlier map (with_remembered) has line 0."""

    path = ""
    applied: frozenset = frozenset()

    @property
    def label(self) -> str:
        """How notes and errors name the map: '--names map.csv', or the gradebook's."""
        return f"--names {self.path}" if self.path else REMEMBERED

    def given(self) -> dict[str, str]:
        """{folder: student} of the lines given now (not remembered)."""
        return {folder: student for folder, (student, line) in self.items() if line}


def remembered_names(book) -> dict[str, str]:
    """{entry's name: student} of every map of names given to a run on this gradebook (a
    later line for the same folder or the same student replaces the earlier one)."""
    try:
        kept = json.loads(book.get_meta(NAMES) or "{}")
    except ValueError:
        return {}
    if not isinstance(kept, dict):
        return {}
    return {f: s for f, s in kept.items() if isinstance(f, str) and isinstance(s, str)
            and f and s}


def names_by_student(book) -> dict[str, list[str]]:
    """{student: the entries' names a map filed as her}: how `export --lms` knows that the
    gradebook's asmith is the roster's 'Alice Smith'."""
    out: dict[str, list[str]] = {}
    for folder, student in remembered_names(book).items():
        out.setdefault(student, []).append(folder)
    return out


def with_remembered(names: "Names | None", book) -> "Names | None":
    """The map a run files entries by: the lines the gradebook remembers (line 0), then those
    given now (`names`, may be None), which replace a remembered line of the same folder or
    the same student. None where there is neither."""
    kept = remembered_names(book)
    if not kept:
        return names
    out = Names()
    given = names if names is not None else Names()
    out.path = given.path
    students = {student for student, _ in given.values()}
    for folder, student in kept.items():
        if folder not in given and student not in students:
            out[folder] = (student, 0)
    out.update(given)
    return out


def remember_names(book, names: "Names") -> None:
    """Keep the map's lines in the gradebook (NAMES), for later runs and `similarity`: the
    lines given now replace those of the same folder or student; the others stay."""
    given = names.given()
    if not given:
        return
    taken = set(given.values())
    kept = {f: s for f, s in remembered_names(book).items()
            if f not in given and s not in taken}
    kept.update(given)
    book.set_meta(NAMES, json.dumps(kept, sort_keys=True, ensure_ascii=False))


def read_names(path) -> Names:
    """The map of names a class run files entries by: a CSV with the columns folder,student
    (others ignored), one line per entry of the class folder to file under a student the
    gradebook already holds:

        folder,student
        Alice Smith,asmith
        Bob Jones,bjones

    `folder` is the entry's name (a folder, a zip with or without '.zip', an LMS's download
    name as the run's notes show it: 'John Smith' for Moodle's 'John Smith_4567_assign...').
    NamesError naming the line where a folder is on two lines, or a student on two."""
    path = Path(path)
    out = Names()
    out.path = str(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            head = {(h or "").strip().lower(): h for h in reader.fieldnames or []}
            if "folder" not in head or "student" not in head:
                raise NamesError(f"--names {path}: line 1 should name the columns "
                                 f"folder,student (it has "
                                 f"{', '.join(reader.fieldnames or []) or 'none'}), e.g. "
                                 f"'folder,student' then 'Alice Smith,asmith'")
            taken: dict[str, tuple[str, int]] = {}
            for row in reader:
                folder = _nfc(row.get(head["folder"]))
                student = _nfc(row.get(head["student"]))
                if not folder and not student:
                    continue
                line = reader.line_num
                if not folder or not student:
                    raise NamesError(f"--names {path}: line {line}: give both the folder and "
                                     f"the student (e.g. 'Alice Smith,asmith')")
                if folder in out and out[folder][0] != student:
                    raise NamesError(f"--names {path}: line {line}: the folder "
                                     f"{staging.shown(folder)} is on line {out[folder][1]} "
                                     f"too, mapped to {staging.shown(out[folder][0])}: one "
                                     f"student per folder")
                if student in taken and taken[student][0] != folder:
                    raise NamesError(f"--names {path}: line {line}: two folders mapped to "
                                     f"{staging.shown(student)}, {staging.shown(folder)} and "
                                     f"{staging.shown(taken[student][0])} (line "
                                     f"{taken[student][1]}): one folder per student")
                out.setdefault(folder, (student, line))
                taken.setdefault(student, (folder, line))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise NamesError(f"--names {path}: cannot be read ({exc})") from None
    return out


def _nfc(text) -> str:
    return unicodedata.normalize("NFC", (text or "").strip())


def apply_names(entries, names: Names, known) -> tuple[list, list[str]]:
    """(entries, notes): each (student, path) of a class folder whose entry the map `names`
    names (by its own name, its name without '.zip', the name it is filed by, or its LMS
    download name) filed under the map's student instead, sorted again; and one note saying
    how many were, and which lines named no entry. NamesError, before anything is graded,
    where a map line names a student who is not in the gradebook (`known`: its students),
    or where two entries would be filed as one student (two lines, or a line naming a
    student another entry is filed as already). A line the gradebook remembers (line 0) is
    left out, with a note, where its student is an entry of this folder by her own name,
    and is never named as unused."""
    from grader.classroom.downloads import display_name
    from grader.classroom.gradebook_schema import stored_name
    known = set(known)
    for folder, (student, line) in names.items():
        if line and stored_name(student) not in known:
            raise NamesError(f"{names.label}: line {line}: {staging.shown(student)} is "
                             f"no student of the gradebook{_near(student, known)}: a map "
                             f"files an entry under a name the gradebook already holds, so "
                             f"that her work lands in her rows")
    own = {stored_name(student) for student, _ in entries}
    clash = [(folder, student) for folder, (student, line) in names.items()
             if not line and stored_name(student) in own]
    used, out, mapped, kept, present = set(), [], [], [], []
    for student, path in entries:
        keys = [path.name, Path(path.name).stem if path.name.lower().endswith(".zip")
                else path.name, student]
        try:
            keys.append(display_name(path))
        except OSError:
            pass
        key = next((_nfc(k) for k in keys if _nfc(k) in names), None)
        if key is not None and (key, names[key][0]) in clash:
            present.append((key, names[key][0]))
            key = None
        if key is None:
            out.append((student, path))
            continue
        used.add(key)
        names.applied = names.applied | {staging.printable(path.name)}
        new = names[key][0]
        out.append((new, path))
        if new != student:
            (mapped if names[key][1] else kept).append(f"{staging.shown(key)} as "
                                                       f"{staging.shown(new)}")
    filed: dict[str, Path] = {}
    for student, path in out:
        other = filed.setdefault(stored_name(student), path)
        if other is not path:
            a, b = sorted((staging.shown(other.name), staging.shown(path.name)))
            raise NamesError(f"{names.label}: the entries {a} and {b} would both be "
                             f"filed as {staging.shown(student)}: one entry per student in "
                             f"a run (map only the one that is hers)")
    notes = []
    for label, filed_so in ((names.label, mapped), (REMEMBERED, kept)):
        if filed_so:
            notes.append(f"{label}: {len(filed_so)} entr"
                         f"{'ies' if len(filed_so) != 1 else 'y'} filed as the gradebook names "
                         f"{'them' if len(filed_so) != 1 else 'her'}: " + ", ".join(filed_so[:5])
                         + (f" and {len(filed_so) - 5} more" if filed_so[5:] else ""))
    if present:
        notes.append(f"{REMEMBERED}: " + ", ".join(
            f"{staging.shown(f)} not filed as {staging.shown(s)}, an entry of this class "
            f"folder by that name" for f, s in present[:5]))
    unused = [(line, folder) for folder, (_, line) in names.items()
              if folder not in used and line]
    if unused:
        unused.sort()
        notes.append(f"{names.label}: {len(unused)} line"
                     f"{'s name' if len(unused) != 1 else ' names'} no entry of this class "
                     f"folder (not used): " + ", ".join(f"line {n} {staging.shown(f)}"
                                                        for n, f in unused[:5])
                     + (f" and {len(unused) - 5} more" if unused[5:] else ""))
    return sorted(out, key=lambda e: e[0]), [clean(n, LINE, lines=False) for n in notes]


def _near(name, known) -> str:
    import difflib
    near = [k for k in known if k.casefold() == name.casefold()] or \
        difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.6)
    return f" (did you mean {', '.join(repr(n) for n in near)}?)" if near else ""
