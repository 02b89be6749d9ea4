"""Grades as an LMS imports them: Canvas's gradebook CSV filled in, and Moodle's grade import CSV.

    torchdrills export --lms canvas --roster gradebook_export.csv --db g.db --out canvas.csv
    torchdrills export --lms moodle --id email --db g.db --out moodle.csv

Canvas (Grades > Export, then Import): the file Canvas exported is filled in, its students and
rows kept. Its columns `Student, ID, SIS User ID, SIS Login ID, Section` (a course without SIS:
`Student, ID, Section`; whichever the roster has, as it has them) come first, then one
`Assignment name (id)` column per assignment (an exercise, or an assignment of the course
file; a column Canvas already has keeps its id, a new one is created by the import), with the
`Points Possible` row second, then the file's other columns as they were. No total column is
added: Canvas would import it as one more assignment.

Moodle (Grades > Import > CSV file): an identifier column (username, email address or ID
number: map it to the same field) and one column per grade item, numeric grades only, and no
"Last downloaded from this course" column (Moodle refuses a file whose time there is wrong).

Each gradebook student is matched to the roster's row by SIS Login ID (Moodle: username),
login (the login's part before '@', SIS User ID, ID number), email, then name ('Smith, John',
'John Smith', and Canvas's download name 'smithjohn' alike), the first that names one row. A
student graded from Canvas's download is matched by her Canvas user id first (the number in
`smithjane_12345_67890_ex02.py`, the roster's `ID`; grader.classroom.downloads.canvas_users),
and by that alone: two Jane Smiths each get their own row, and one whose id is in no row is
listed, never put in another Jane Smith's row. A roster without SIS columns is matched by
what it has: the Canvas user id and the name. The students no row matches, or that match
several, are listed (Result.unmatched), never guessed.
"""
from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
from dataclasses import dataclass, field

from grader.classroom.gradebook_read import Policy, _cell, _num
from grader.exercises import EXERCISES
from grader.sandbox import staging

CANVAS_IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_NEEDED = ("Student", "ID")      # a course without SIS: Student, ID, Section, then ...
# the columns of who a row is, before the assignments, as far as the roster has them
CANVAS_WHO = ("Student", "ID", "SIS User ID", "SIS Login ID", "Login ID", "Integration ID",
              "Root Account", "Section")
POINTS_POSSIBLE = "Points Possible"
MOODLE_IDS = {"username": "Username", "email": "Email address", "idnumber": "ID number"}
MAX_ROSTER_BYTES = 50 * 1024**2
STEPS = ("SIS Login ID", "login", "email", "name")


class RosterError(ValueError):
    """A roster that cannot be used; str() says why, in one line."""


@dataclass
class Result:
    written: int = 0                 # students whose grades were written
    unmatched: dict = field(default_factory=dict)   # {student: why}
    new_columns: list = field(default_factory=list)  # assignments Canvas will create


# ----------------------------------------------------------------------------------------------
# the grades: one column per assignment

def grades(book, policy=None, course=None) -> tuple[list, dict, dict]:
    """(assignments, points, scores): the assignments' names in order, {name: points
    possible} and {student: {name: score, or None for a cell left blank}}. Each exercise is
    one assignment (its module name, 'ex01_linear_model'), unless a course file
    (grader.classroom.course_file.Course) groups them: then its assignments, each the
    penalised score, blank while it is not due yet; an assignment none of whose exercises has
    been graded yet is left out (a column of 0 out of 0 would import as grades)."""
    policy = Policy.of(policy)
    if course is not None:
        from grader.classroom.course_grades import course_table
        names, rows, maxes = course_table(book, course, policy.kind, policy.before)
        names = [n for n in names if maxes.get(n)]
        scores = {student: {n: (g.score if g.counts else None) for n, g in mine.items()}
                  for student, mine, _ in rows}
        return names, {n: maxes[n] for n in names}, scores
    exercises, rows, maxes = book.table(policy)
    names = [EXERCISES.get(ex, ex) for ex in exercises]
    scores = {student: {EXERCISES.get(ex, ex): s[ex] for ex in exercises}
              for student, s, _ in rows}
    return names, {EXERCISES.get(ex, ex): maxes[ex] for ex in exercises}, scores


# ----------------------------------------------------------------------------------------------
# reading a roster

def read_roster(path) -> tuple[list[list[str]], bool]:
    """(rows, whether it began with a byte-order mark) of a CSV file an LMS exported: a
    regular file (a link to one is followed: it is the instructor's), never a FIFO or a device
    waited on, at most MAX_ROSTER_BYTES; RosterError otherwise."""
    shown = staging.shown(str(path))
    try:
        fd = os.open(os.fspath(path), os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise RosterError(f"the roster {shown} cannot be read: {exc.strerror or exc}") from None
    try:
        data = staging.read_fd(fd, MAX_ROSTER_BYTES)
    except (staging.Refused, OSError) as exc:
        raise RosterError(f"the roster {shown} cannot be read: "
                          f"{getattr(exc, 'strerror', None) or exc}") from None
    finally:
        os.close(fd)
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", "replace")    # a spreadsheet saved it in its own code page
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise RosterError(f"the roster {staging.shown(str(path))} is not CSV: {exc}") from None
    if not rows or not rows[0]:
        raise RosterError(f"the roster {staging.shown(str(path))} is empty")
    width = len(rows[0])
    return [r + [""] * (width - len(r)) for r in rows], bom


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()


def squash(name: str) -> str:
    """A name's letters and digits, accents off, lower case: 'Smith, José' -> 'smithjose'
    (as Canvas names a download)."""
    text = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in text if ch.isalnum())


def name_forms(full: str = "", first: str = "", last: str = "") -> set:
    """The ways a class folder may spell one person: 'Smith, John', or first and last: both
    orders, squashed ('smithjohn', 'johnsmith')."""
    if full and not (first or last):
        if "," in full:
            last, first = (p.strip() for p in full.split(",", 1))
        else:
            words = full.split()
            first, last = " ".join(words[:-1]), (words[-1] if words else "")
    forms = {squash(first + last), squash(last + first)}
    return {f for f in forms if f}


def _person(sis_login="", logins=(), emails=(), names=()) -> dict:
    login = _norm(sis_login)
    ids = {login} if login else set()
    local = {login.split("@")[0]} if login else set()
    mails = {_norm(x) for x in emails if "@" in x} | {i for i in ids if "@" in i}
    return {"SIS Login ID": ids,
            "login": local | {_norm(x) for x in logins if x.strip()},
            "email": mails, "mailbox": {m.split("@")[0] for m in mails},
            "name": set(names)}


def match(students, people: list[dict], users=None, aliases=None) -> tuple[dict, dict]:
    """({student: index of her row in people}, {student: why none}): each student goes to the
    one row the first step that names any row names (STEPS: the SIS Login ID; the login:
    the SIS Login ID's part before '@', the SIS User ID or ID number; the email, or its part
    before '@' for a student named without one (a student named alice@evil.com never matches
    alice@uni.edu); the name); several rows at that step, or a row that two students reach,
    is no match. `users` {student: Canvas user id}: such a student goes to the one row whose
    `ID` (people's "ID") is hers, or to none. `aliases` {student: [names]}: the names her
    entries were filed from by a map of names (roster.names_by_student: 'Alice Smith' for
    asmith), matched at the name step as hers."""
    found, why = {}, {}
    users = users or {}
    aliases = aliases or {}
    for student in students:
        if users.get(student):
            uid = users[student]
            hits = [i for i, p in enumerate(people) if uid in p.get("ID", ())]
            if len(hits) == 1:
                found[student] = hits[0]
            else:
                why[student] = (f"{len(hits)} rows have" if hits else "no row has") + \
                    f" her Canvas user id {uid}"
            continue
        s = _norm(student)
        forms = {"SIS Login ID": {s}, "login": {s}, "email": {s},
                 "name": ({squash(student)} | {squash(a) for a in aliases.get(student, ())})
                 - {""}}
        email = "@" in s     # an email names one person: only the whole of it matches
        for step in STEPS:
            hits = [i for i, p in enumerate(people) if forms[step] & p[step]
                    or (step == "email" and not email and s in p["mailbox"])]
            if len(hits) == 1:
                found[student] = hits[0]
                break
            if hits:
                why[student] = f"{len(hits)} rows match by {step}"
                break
        else:
            why[student] = "no row matches"
    claimed: dict = {}
    for student, i in found.items():
        claimed.setdefault(i, []).append(student)
    for i, names in claimed.items():
        if len(names) > 1:
            for student in names:
                del found[student]
                why[student] = f"{len(names)} students match one row ({', '.join(names)})"
    return found, why


# ----------------------------------------------------------------------------------------------
# Canvas

_TITLE = re.compile(r"(?P<title>.*?)\s*\((?P<id>\d+)\)\s*")


def _column_title(header: str) -> str:
    m = _TITLE.fullmatch(header)
    return (m["title"] if m else header).strip()


def _same_assignment(header: str, name: str) -> bool:
    title = _norm(_column_title(header))
    return title == _norm(name) or (title in EXERCISES and EXERCISES[title] == name)


def canvas_rows(roster: list[list[str]], names, points, scores, users=None, aliases=None
                ) -> tuple[list, Result]:
    """The Canvas gradebook CSV `roster` (its rows) filled in; see the module docstring.
    `users`: {student: Canvas user id}, matched to the roster's ID first (match)."""
    head = [h.strip() for h in roster[0]]
    head[0] = head[0].lstrip("\ufeff")
    missing = [c for c in CANVAS_NEEDED if c not in head]
    if missing:
        raise RosterError(f"not a Canvas gradebook export: no column {', '.join(missing)} "
                          f"(Canvas's begins {', '.join(CANVAS_IDENTITY)}, or without SIS "
                          f"Student, ID, Section; export it from Canvas: Grades > Export > "
                          f"Export Entire Gradebook)")
    col = {c: head.index(c) for c in CANVAS_WHO if c in head}
    identity = sorted(col.values())       # as the roster has them, in its order
    cell = (lambda r, c: r[col[c]] if c in col else "")
    logins = [c for c in ("SIS Login ID", "Login ID", "SIS User ID", "Integration ID")
              if c in col]
    others = [j for j in range(len(head)) if j not in identity]
    ours, result = [], Result()
    for n in names:
        j = next((j for j in others if j not in ours and _same_assignment(head[j], n)), None)
        if j is None:
            result.new_columns.append(n)
        ours.append(j if j is not None else n)
    rest = [j for j in others if j not in ours]
    points_row = next((i for i, r in enumerate(roster[1:], 1)
                       if r[col["Student"]].strip() == POINTS_POSSIBLE), None)
    students = [i for i, r in enumerate(roster[1:], 1)
                if i != points_row and r[col["ID"]].strip() and r[col["Student"]].strip()]
    people = [_person(cell(roster[i], "SIS Login ID") or cell(roster[i], "Login ID"),
                      [cell(roster[i], "SIS User ID"), cell(roster[i], "Integration ID"),
                       cell(roster[i], "Login ID")],
                      names=name_forms(roster[i][col["Student"]])) for i in students]
    for p, i in zip(people, students):
        p["ID"] = {roster[i][col["ID"]].strip()}
    found, result.unmatched = match(list(scores), people, users, aliases)
    if not logins:        # who a row is: its Canvas user id and its name, nothing more
        for s, why in result.unmatched.items():
            if why == "no row matches":
                result.unmatched[s] = (f"no row matches: the roster has no SIS or login "
                                       f"column, so only her name ({', '.join(CANVAS_NEEDED)}) "
                                       f"or her Canvas user id from its download can match")
    by_row = {students[k]: scores[s] for s, k in found.items()}
    result.written = len(by_row)

    def line(i, r, cell):
        return [r[j] for j in identity] + [cell(i, r, k) for k in range(len(names))] + \
            [r[j] for j in rest]

    def cell(i, r, k):
        mine = by_row.get(i)
        if i == points_row:
            return _num(points[names[k]])
        if mine is not None and mine.get(names[k]) is not None:
            return _num(mine[names[k]])
        return r[ours[k]] if isinstance(ours[k], int) else ""

    out = [[head[j] for j in identity] + [head[c] if isinstance(c, int) else _cell(c)
                                          for c in ours] + [head[j] for j in rest]]
    for i, r in enumerate(roster[1:], 1):
        out.append(line(i, r, cell))
    if points_row is None:          # Canvas puts it second
        blank = [""] * len(head)
        blank[0] = "    " + POINTS_POSSIBLE
        out.insert(1, line(-1, blank, lambda i, r, k: _num(points[names[k]])))
    return out, result


def export_canvas(book, roster_path, out, policy=None, course=None) -> Result:
    """Fill in the Canvas gradebook CSV at `roster_path` and write it to `out` ('-': stdout;
    a path is written whole, never over anything but a regular file: OutputRefused)."""
    from grader.classroom.downloads import canvas_users
    roster, bom = read_roster(roster_path)
    from grader.classroom.roster import names_by_student
    rows, result = canvas_rows(roster, *grades(book, policy, course), users=canvas_users(book),
                               aliases=names_by_student(book))
    _none_matched(result, "--roster")
    _write(book, out, rows, bom)
    return result


# ----------------------------------------------------------------------------------------------
# Moodle

_MOODLE_ITEM = re.compile(r"(?:[^:]+:\s*)?(?P<name>.+?)(?:\s*\((?:Real|Percentage|Letter)\))?")
_MOODLE_COLUMNS = {"username": ("username",), "email": ("email address", "email"),
                   "idnumber": ("id number", "idnumber"), "first": ("first name",),
                   "last": ("last name", "surname"), "full": ("full name", "name")}


def moodle_rows(names, points, scores, by="username", roster=None, aliases=None
                ) -> tuple[list, Result]:
    """The rows of a Moodle grade import CSV: the identifier `by` (username, email or
    idnumber) and one column per grade item. Without a roster, a student's name is her
    identifier (for `email`, a name that is no email address is unmatched); with one (Moodle's
    grade export, or any CSV with those columns), she is matched to its row and her
    identifier read there."""
    if by not in MOODLE_IDS:
        raise RosterError(f"--id {staging.shown(by)}: one of {', '.join(MOODLE_IDS)}")
    result = Result()
    items = list(names)
    if roster is None:
        ids = {}
        for s in scores:
            if by == "email" and "@" not in s:
                result.unmatched[s] = "not an email address: give --roster, or --id username"
            elif by == "username" and (s != s.strip() or len(s.split()) > 1):
                result.unmatched[s] = "not a username: give --roster, Moodle's grade export"
            elif by == "idnumber":   # a folder's name is nobody's ID number
                result.unmatched[s] = "no ID number without a roster: give --roster, Moodle's " \
                                      "grade export"
            else:
                ids[s] = s
    else:
        head = [_norm(h.lstrip("\ufeff")) for h in roster[0]]
        col = {k: next((head.index(a) for a in alts if a in head), None)
               for k, alts in _MOODLE_COLUMNS.items()}
        if col[by] is None:
            have = [k for k in MOODLE_IDS if col[k] is not None]
            raise RosterError(f"the roster has no {MOODLE_IDS[by]} column: " + (
                f"give --id {' or '.join(have)}" if have else "add one to it"))
        cell = (lambda r, k: r[col[k]] if col[k] is not None else "")
        body = [r for r in roster[1:] if any(x.strip() for x in r)]
        people = [_person(cell(r, "username"), [cell(r, "idnumber")], [cell(r, "email")],
                          name_forms(cell(r, "full"), cell(r, "first"), cell(r, "last")))
                  for r in body]
        found, result.unmatched = match(list(scores), people, aliases=aliases)
        ids = {s: cell(body[k], by) for s, k in found.items()}
        for s in [s for s, v in ids.items() if not v.strip()]:
            del ids[s]
            result.unmatched[s] = f"the roster's row has no {MOODLE_IDS[by]}"
        titles = {_norm(m["name"]): h.strip() for h in roster[0]
                  if (m := _MOODLE_ITEM.fullmatch(h.strip()))}
        items = [titles.get(_norm(n), n) for n in names]   # the roster's own name for an item
    out = [[MOODLE_IDS[by]] + [_cell(i) for i in items]]
    for s, ident in ids.items():
        out.append([_cell(ident)] + ["" if scores[s].get(n) is None else _num(scores[s][n])
                                     for n in names])   # blank: not due yet, no grade to set
    result.written = len(ids)
    return out, result


def export_moodle(book, out, by="username", roster_path=None, policy=None,
                  course=None) -> Result:
    """Write Moodle's grade import CSV to `out` (see moodle_rows; '-': stdout)."""
    roster = read_roster(roster_path)[0] if roster_path else None
    from grader.classroom.roster import names_by_student
    rows, result = moodle_rows(*grades(book, policy, course), by=by, roster=roster,
                               aliases=names_by_student(book))
    _none_matched(result, f"--id {by}")
    _write(book, out, rows, False)
    return result


def _none_matched(result: Result, what: str) -> None:
    """RosterError where not one student of the gradebook could be written: a file of no
    grades, imported, changes nothing and says nothing ('wrote moodle.csv: 0 students')."""
    if result.written or not result.unmatched:
        return
    student, why = next(iter(result.unmatched.items()))
    n = len(result.unmatched)
    raise RosterError(f"none of the {n} student{'s' * (n != 1)} of the gradebook can be "
                      f"written with {what} (e.g. {staging.shown(student)}: {why})")


def _write(book, out, rows, bom: bool) -> None:
    def write(f):
        if bom and str(out) != "-":    # as Canvas wrote it: a spreadsheet reads it as UTF-8
            f.write("\ufeff")
        csv.writer(f).writerows(rows)

    book._write_out(out, write)


# ----------------------------------------------------------------------------------------------
# the command line: export --lms

def export_command(book, args, course=None, out=print, err=None) -> int:
    """`export --lms canvas|moodle`: write, say where, list the students not matched (on
    stderr; exit 0). Exit 2 when the roster cannot be used or the output is refused. `course`
    (a course_file.Course): a column per assignment instead of one per exercise."""
    import sys
    from grader.classroom.gradebook_files import OutputRefused
    err = err or (lambda text: print(text, file=sys.stderr))
    lms = args.lms
    target = args.out or f"{lms}-grades.csv"
    policy = Policy.of(args.policy, args.before)
    try:
        if lms == "canvas":
            if not args.roster:
                err("error: --lms canvas needs --roster: the gradebook CSV Canvas exports "
                    "(Grades > Export > Export Entire Gradebook), e.g. --roster "
                    "gradebook_export.csv")
                return 2
            result = export_canvas(book, args.roster, target, policy, course)
        else:
            result = export_moodle(book, target, args.id or "username", args.roster, policy,
                                   course)
    except RosterError as exc:
        err(f"error: {exc}; nothing was written")
        return 2
    except (OutputRefused, OSError) as exc:
        err(f"error: --out {exc}: nothing was written; the gradebook is unchanged. Name "
            f"another file, e.g. --out {lms}-grades.csv")
        return 2
    said = err if target == "-" else out
    said(f"wrote {'stdout' if target == '-' else target}: {result.written} "
         f"student{'s' * (result.written != 1)} for "
         f"{'Canvas' if lms == 'canvas' else 'Moodle'}")
    if result.new_columns:
        one = len(result.new_columns) == 1
        said(f"note: {', '.join(result.new_columns)}: no such column in the roster; Canvas "
             f"creates {'it as a new assignment' if one else 'them as new assignments'} on "
             f"import")
    if result.unmatched:
        n = len(result.unmatched)
        shown = "; ".join(f"{staging.shown(s)} ({why})"
                          for s, why in list(result.unmatched.items())[:20])
        err(f"warning: {n} student{'s' * (n != 1)} of the gradebook {'are' if n != 1 else 'is'} "
            f"not in the file: {shown}" + (f" and {n - 20} more" if n > 20 else ""))
    return 0
