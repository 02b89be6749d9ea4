"""A course file: the assignments, their due dates, the late policy, attempt limits and
extensions of one term. `course.toml` beside the class folder, or --course PATH:

    time_zone = "Europe/Berlin"          # due dates without an offset are read in it

    [late]
    penalty = 10                         # percent of the score, per day (or hour) late
    per = "day"                          # "day" or "hour"; a started day counts whole
    cap = 50                             # at most this many percent
    grace = "15m"                        # handed in this long after the due date: on time
    accept_for = "7d"                    # later than this after the due date: scores 0

    [[assignment]]
    name = "week1"
    exercises = ["ex01", "ex02"]
    due = 2026-10-01T23:59:00
    attempts = 3                         # optional: attempts after the third do not count
    # last = 2026-10-04T23:59:00         # optional: the last date accepted (else accept_for)

    [[extension]]
    student = "alice"
    assignment = "week1"
    days = 2                             # or: due = 2026-10-03T23:59:00

load_course(path) reads it (CourseError: one line naming the line or key); Course.due_for,
LatePolicy.penalty and Course.assignment_of answer what grading asks. Durations: "90s", "15m",
"2h", "3d" (or a number of minutes). Dates: bare or quoted alike (2026-10-01T23:59:00 is
"2026-10-01T23:59:00"), in time_zone unless they carry an offset; a date alone (2026-10-01)
is the end of that day there."""
from __future__ import annotations

import math
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from grader.classroom.course_errors import example, toml_error, unknown_key, within
from grader.exercises import EXERCISES

COURSE_FILE = "course.toml"


class CourseError(ValueError):
    """A course file that cannot be used: the message names the file and the line or key."""


def _toml():
    """The TOML reader: the standard library's (3.11+), else the `tomli` package."""
    if sys.version_info >= (3, 11):
        import tomllib
        return tomllib
    try:
        import tomli
    except ImportError:
        raise CourseError("reading a course file needs Python 3.11, or on Python 3.10 the "
                          "tomli package: pip install tomli") from None
    return tomli


_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|days?|hours?|minutes?)?\s*")
_UNITS = {"s": 1, "m": 60, "min": 60, "minute": 60, "minutes": 60, "h": 3600, "hour": 3600,
          "hours": 3600, "d": 86400, "day": 86400, "days": 86400}


@dataclass(frozen=True)
class LatePolicy:
    """How late work is scored: `rate` (a fraction, 0.1 = 10 %) off per started `per` (a
    timedelta: a day or an hour) after the due date, at most `cap`; none within `grace`;
    nothing accepted more than `accept_for` after the due date (None: always accepted)."""

    rate: float = 0.0
    per: timedelta = timedelta(days=1)
    cap: float = 1.0
    grace: timedelta = timedelta(0)
    accept_for: timedelta | None = None

    def penalty(self, late: timedelta) -> float:
        """The fraction of the score taken off work handed in `late` after its due date:
        10 % a day, 1 day 2 hours late -> 0.2 (a started day counts whole)."""
        if late <= self.grace:
            return 0.0
        units = math.ceil(late / self.per)
        return min(self.cap, units * self.rate, 1.0)

    def describe(self) -> str:
        if not self.rate:
            return "late work is accepted without penalty"
        unit = "hour" if self.per == timedelta(hours=1) else "day"
        text = f"{_pct(self.rate)} off per {unit} late"
        if self.cap < 1.0:
            text += f", at most {_pct(self.cap)}"
        if self.grace:
            text += f", after a grace period of {_span(self.grace)}"
        return text


@dataclass(frozen=True)
class Assignment:
    name: str
    exercises: tuple
    due: datetime                      # time-zone aware
    last: datetime | None = None       # the last date accepted (else due + accept_for)
    attempts: int | None = None        # attempts that count (None: any number)


@dataclass
class Course:
    """The assignments of a term (in due-date order), the late policy, extensions."""

    assignments: list = field(default_factory=list)
    late: LatePolicy = LatePolicy()
    attempts: int | None = None
    extensions: dict = field(default_factory=dict)    # (student, assignment) -> due date
    extension_lines: dict = field(default_factory=dict)  # (student, assignment) -> 'line 31:
                                                         # extension[2]'
    time_zone: str = "UTC"
    path: str = ""

    def assignment_of(self, exercise) -> Assignment | None:
        for a in self.assignments:
            if exercise in a.exercises:
                return a
        return None

    def due_for(self, assignment: Assignment, student) -> tuple[datetime, bool]:
        """(the due date for this student, whether it is an extension)."""
        extended = self.extensions.get((student, assignment.name))
        return (extended, True) if extended is not None else (assignment.due, False)

    def last_for(self, assignment: Assignment, student) -> datetime | None:
        """The last date the student's work on `assignment` is accepted (None: always)."""
        due, extended = self.due_for(assignment, student)
        if assignment.last is not None:
            return max(assignment.last, due) if extended else assignment.last
        return due + self.late.accept_for if self.late.accept_for is not None else None

    def attempt_limit(self, assignment: Assignment) -> int | None:
        return assignment.attempts if assignment.attempts is not None else self.attempts

    def zone(self):
        """The course's time zone (a tzinfo): a time without an offset is read in it (due
        dates, a timestamps CSV's times)."""
        if self.time_zone.upper() in ("UTC", "Z", "GMT", ""):
            return timezone.utc
        from zoneinfo import ZoneInfo
        return ZoneInfo(self.time_zone)


def find_course(folder=None, named=None) -> Path | None:
    """The course file: `named` (--course) if given, else course.toml beside the class folder
    (in its parent folder) or inside it (no folder: here); None where there is none."""
    if named is not None:
        return Path(named)
    if folder is None:
        places = [Path.cwd() / COURSE_FILE]
    else:
        folder = Path(folder).resolve()
        places = [folder.parent / COURSE_FILE, folder / COURSE_FILE]
    for place in places:
        if place.is_file():
            return place
    return None


def course_left_out(book) -> Path | None:
    """A course file an export without --course does not apply, though it lies where
    grade-class would find it: beside (or in) a class folder the gradebook `book` graded (its
    last run first), or beside the gradebook itself. None where there is none."""
    try:
        folders = [r[0] for r in book.db.execute("SELECT folder FROM runs ORDER BY id DESC")]
    except Exception:  # noqa: BLE001 - a gradebook without runs: its own folder alone
        folders = []
    places = [find_course(f) for f in dict.fromkeys(folders) if f]
    places.append(Path(book.path).resolve().parent / COURSE_FILE)
    for place in places:
        try:
            if place is not None and place.is_file():
                return place
        except OSError:
            continue
    return None


def load_course(path) -> Course:
    """Read a course file; CourseError (one line, naming the line or key) when it cannot be
    used: unreadable, not TOML, an unknown key, a date or exercise that is not one."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CourseError(f"course file {path}: cannot be read ({exc})") from None
    toml = _toml()
    try:
        data = toml.loads(text)
    except toml.TOMLDecodeError as exc:
        raise CourseError(f"course file {path}: {toml_error(exc, text)}") from None
    try:
        return _course(data, text, str(path))
    except CourseError as exc:
        raise CourseError(f"course file {path}: {exc}") from None


def _course(data: dict, text: str, path: str) -> Course:
    where = _Where(text)
    _known(data, {"time_zone", "late", "attempts", "assignment", "extension", "name"}, "",
           where)
    zone = _zone(data.get("time_zone", "UTC"), where)
    late = data.get("late", {})
    if not isinstance(late, dict):
        raise CourseError(where.at("late", "must be a table: [late]"))
    _known(late, {"penalty", "per", "cap", "grace", "accept_for"}, "late.", where)
    per = late.get("per", "day")
    if per not in ("day", "hour"):
        raise CourseError(where.at("per", f"late.per is {per!r}: \"day\" or \"hour\""))
    policy = LatePolicy(
        rate=_percent(late.get("penalty", 0), "late.penalty", where),
        per=timedelta(days=1) if per == "day" else timedelta(hours=1),
        cap=_percent(late.get("cap", 100), "late.cap", where),
        grace=_duration(late.get("grace", 0), "late.grace", where),
        accept_for=_duration(late["accept_for"], "late.accept_for", where)
        if "accept_for" in late else None)
    course = Course(late=policy, attempts=_count(data.get("attempts"), "attempts", where),
                    time_zone=str(data.get("time_zone", "UTC")), path=path)
    items = data.get("assignment", [])
    if isinstance(items, dict):     # [assignment]: one table, not a list of them
        raise CourseError(where.at("[assignment]", "[assignment] is one table: an assignment "
                                   "is [[assignment]], two brackets, one per assignment"))
    if not isinstance(items, list) or not items:
        raise CourseError(where.at("assignment", "names no assignment: add one [[assignment]] "
                                   "table per assignment, with name, exercises and due, e.g. "
                                   "[[assignment]] name = \"week1\" exercises = [\"ex01\"] "
                                   "due = 2026-10-01T23:59:00 (one per line)"))
    seen = {}
    for i, item in enumerate(items, 1):
        key = f"assignment[{i}]"
        if not isinstance(item, dict):
            raise CourseError(where.at("assignment", f"{key} must be a table"))
        _known(item, {"name", "exercises", "due", "last", "attempts"}, f"{key}.", where)
        for need in ("name", "exercises", "due"):
            if need not in item:
                raise CourseError(where.at("[[assignment]]", f"{key} has no `{need}` (e.g. "
                                           f"{example(need)})", nth=i))
        name = str(item["name"]).strip()
        if not name or name in seen:
            raise CourseError(where.at("name", f"{key}.name {name!r} is empty or used twice"))
        exercises = item["exercises"]
        if isinstance(exercises, str):
            exercises = [e.strip() for e in exercises.split(",")]
        if not isinstance(exercises, list) or not exercises:
            raise CourseError(where.at("exercises", f"{key}.exercises must be a list, e.g. "
                                       f"{example('exercises')}"))
        for ex in exercises:
            if ex not in EXERCISES:
                raise CourseError(where.at(str(ex), f"{key}.exercises: {ex!r} is not an "
                                           f"exercise (ex01 ... ex{len(EXERCISES):02d}, "
                                           f"e.g. {example('exercises')})"))
            if any(ex in taken for taken in seen.values()):
                raise CourseError(where.at(str(ex), f"{key}.exercises: {ex} is already in "
                                           f"another assignment"))
        seen[name] = list(exercises)
        due = _date(item["due"], f"{key}.due", zone, where)
        last = _date(item["last"], f"{key}.last", zone, where) if "last" in item else None
        if last is not None and last < due:
            raise CourseError(where.at("last", f"{key}.last is before its due date"))
        course.assignments.append(Assignment(name, tuple(exercises), due, last,
                                             _count(item.get("attempts"), f"{key}.attempts",
                                                    where)))
    course.assignments.sort(key=lambda a: a.due)
    by_name = {a.name: a for a in course.assignments}
    extensions = data.get("extension", [])
    if not isinstance(extensions, list):
        raise CourseError(where.at("extension", "extensions are [[extension]] tables, one "
                                   "per student and assignment"))
    for i, item in enumerate(extensions, 1):
        key = f"extension[{i}]"
        if not isinstance(item, dict):
            raise CourseError(where.at("extension", f"{key} must be a table"))
        _known(item, {"student", "assignment", "due", "days", "hours"}, f"{key}.", where)
        if "student" not in item or "assignment" not in item:
            raise CourseError(where.at("[[extension]]", f"{key} needs student and "
                                       f"assignment", nth=i))
        a = by_name.get(str(item["assignment"]))
        if a is None:
            raise CourseError(where.at(str(item["assignment"]), f"{key}.assignment "
                                       f"{item['assignment']!r} is not an assignment "
                                       f"({', '.join(by_name)})"))
        if "due" in item:
            due = _date(item["due"], f"{key}.due", zone, where)
        elif "days" in item or "hours" in item:
            due = a.due + timedelta(days=_number(item.get("days", 0), f"{key}.days", where),
                                    hours=_number(item.get("hours", 0), f"{key}.hours", where))
        else:
            raise CourseError(where.at("[[extension]]", f"{key} needs due, days or hours",
                                       nth=i))
        # composed (NFC), as a class run files a student (filing.student_name): 'José'
        # typed or pasted decomposed is the same student
        pair = (unicodedata.normalize("NFC", str(item["student"])), a.name)
        if pair in course.extensions:
            raise CourseError(where.at("[[extension]]", f"{key} is a second extension for "
                                       f"{pair[0]!r} and {a.name} (one per student and "
                                       f"assignment: keep the one that holds)", nth=i))
        course.extensions[pair] = due
        course.extension_lines[pair] = where.at("[[extension]]", key, nth=i)
    return course


def check_extensions(course: Course, students) -> list[str]:
    """An extension whose student is none of `students` (the gradebook's and the class
    folder's): CourseError naming the line where the name reads like one of them (another
    case, a typo: 'Bob' for 'bob' gives nobody the extension, without a word); else one note
    per such extension (a student who has handed in nothing yet gets it when she does)."""
    import difflib
    known = sorted({str(s) for s in students})
    notes = []
    for (student, assignment), line in course.extension_lines.items():
        if student in known:
            continue
        near = [s for s in known if s.casefold() == student.casefold()] or \
            difflib.get_close_matches(student, known, n=3, cutoff=0.8)
        if near:
            raise CourseError(f"course file {course.path}: {line}.student {student!r} is no "
                              f"student of this class (did you mean "
                              f"{', '.join(repr(n) for n in near)}?)")
        notes.append(f"course file {course.path}: {line}: {student!r} has handed in nothing "
                     f"yet; the extension of {assignment} applies when she does"
                     + within(student, known))
    return notes


class _Where:
    """The line of a key in the course file's text, to name it in a message."""

    def __init__(self, text):
        self.lines = text.splitlines()

    def at(self, key, message, nth=1) -> str:
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*(=|$)" if not key.startswith("[")
                             else rf"^\s*{re.escape(key)}\s*(#.*)?$")
        loose = re.compile(re.escape(key))
        for rx in (pattern, loose):
            hits = [i for i, line in enumerate(self.lines, 1) if rx.search(line)]
            if len(hits) >= nth:
                return f"line {hits[nth - 1]}: {message}"
        return message


def _known(table: dict, keys: set, prefix: str, where: _Where) -> None:
    for key in table:
        if key not in keys:
            raise CourseError(where.at(key, unknown_key(key, keys, prefix)))


def _zone(name, where):
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    if str(name).upper() == "UTC":
        return timezone.utc
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise CourseError(where.at("time_zone", f"time_zone {name!r} is not a time zone "
                                   f"(e.g. \"Europe/Berlin\", \"America/New_York\", "
                                   f"\"UTC\")")) from None


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
END_OF_DAY = time.max          # a date alone is due at its very end: 23:59:59.999999


def _date(value, key, zone, where) -> datetime:
    """A due date: a TOML date-time (with or without an offset), a date (the end of that day),
    or the same as text ("2026-10-01T23:59:00", "2026-10-01 23:59", "2026-10-01"): a bare
    TOML value and the quoted one mean the same instant. One without an offset is in the
    course's time zone (`zone`)."""
    if isinstance(value, str):
        text = value.strip()
        try:
            if _DAY.fullmatch(text):
                value = date.fromisoformat(text)
            else:   # TOML allows a small 't' and 'z'; fromisoformat (3.10) no 'Z'
                text = re.sub(r"(?<=\d)[tT](?=\d)", "T", text)
                value = datetime.fromisoformat(re.sub(r"[zZ]$", "+00:00", text))
        except ValueError:
            raise CourseError(where.at(key.rsplit(".", 1)[-1], f"{key} {value!r} is not a "
                                       f"date (e.g. 2026-10-01T23:59:00)")) from None
    if not isinstance(value, datetime):
        if isinstance(value, date):       # a date alone: the end of that day
            value = datetime.combine(value, END_OF_DAY)
        else:
            raise CourseError(where.at(key.rsplit(".", 1)[-1], f"{key} is not a date (e.g. "
                                       f"2026-10-01T23:59:00)"))
    return value if value.tzinfo else value.replace(tzinfo=zone)


def _number(value, key, where) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise CourseError(where.at(key.rsplit(".", 1)[-1], f"{key} must be a number >= 0 "
                                   f"(e.g. {example(key)})"))
    return float(value)


def _percent(value, key, where) -> float:
    if isinstance(value, str) and value.strip().endswith("%"):
        value = value.strip()[:-1]
        try:
            value = float(value)
        except ValueError:
            pass
    number = _number(value, key, where)
    if number > 100:
        raise CourseError(where.at(key.rsplit(".", 1)[-1], f"{key} is a percent: 0 to 100"))
    return number / 100


def _count(value, key, where) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise CourseError(where.at(key.rsplit(".", 1)[-1], f"{key} must be a whole number "
                                   f"of at least 1 (e.g. {example(key)})"))
    return value


def _duration(value, key, where) -> timedelta:
    """"15m", "2h", "3d", "90s", or a number of minutes."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return timedelta(minutes=value)
    found = _DURATION.fullmatch(str(value)) if isinstance(value, str) else None
    if not found:
        raise CourseError(where.at(key.rsplit(".", 1)[-1], f"{key} {value!r} is not a "
                                   f"duration (e.g. \"15m\", \"2h\", \"3d\")"))
    return timedelta(seconds=float(found.group(1)) * _UNITS[found.group(2) or "m"])


def _pct(fraction: float) -> str:
    return f"{fraction * 100:.4g} %"


def _span(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds / size
            return f"{n:.3g} {unit}{'s' * (n != 1)}"
    return f"{seconds:.0f} s"


def late_text(late: timedelta) -> str:
    """How late, for a page: '1 day 3 hours', '25 minutes'."""
    minutes = int(late.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} day{'s' * (days != 1)}"] if days else []
    if hours:
        parts.append(f"{hours} hour{'s' * (hours != 1)}")
    if not days and minutes:
        parts.append(f"{minutes} minute{'s' * (minutes != 1)}")
    return " ".join(parts) or "under a minute"
