"""What a mistake in a course file (grader.classroom.course_file) expected, with an example of
the line that works: the messages of CourseError name the line, say what was expected, and
show it written right.

    toml_error(exc, text)   # "line 10: `due = 2026-10-01 23:59` is not valid TOML (...): a
                            #  date and time is written 2026-10-01T23:59:00 ..."
    example("due")          # 'due = 2026-10-01T23:59:00'
"""
from __future__ import annotations

import difflib
import re

EXAMPLES = {
    "time_zone": 'time_zone = "Europe/Berlin"', "attempts": "attempts = 3",
    "name": 'name = "week1"', "exercises": 'exercises = ["ex01", "ex02"]',
    "due": "due = 2026-10-01T23:59:00", "last": "last = 2026-10-04T23:59:00",
    "penalty": "penalty = 10", "per": 'per = "day"', "cap": "cap = 50",
    "grace": 'grace = "15m"', "accept_for": 'accept_for = "7d"', "student": 'student = "alice"',
    "assignment": 'assignment = "week1"', "days": "days = 2", "hours": "hours = 36",
}
TOP = ("time_zone", "attempts")        # keys of the file's top, before any [table]


def example(key: str) -> str:
    """The line that sets `key` (its last part: 'late.cap' -> 'cap = 50')."""
    key = key.rsplit(".", 1)[-1]
    return EXAMPLES.get(key, f'{key} = "..."')


_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


def toml_error(exc: Exception, text: str) -> str:
    """The line of a TOML syntax error, what is wrong there, and the line written right:
    'line 7: `name = week1` is not valid TOML (invalid value, column 8): text is quoted, e.g.
    name = "week1"'."""
    said = str(exc)
    found = _AT.search(said)
    if not found:
        return f"not valid TOML: {said}"
    number, column = int(found.group(1)), int(found.group(2))
    lines = text.splitlines()
    line = lines[number - 1].strip() if 0 < number <= len(lines) else ""
    why = _AT.sub("", said).strip().rstrip(".")
    why = why[:1].lower() + why[1:]
    head = f"line {number}: " + (f"`{line[:80]}` is not valid TOML" if line else
                                  "not valid TOML") + f" ({why}, column {column})"
    return f"{head}: {_hint(line)}"


def _hint(line: str) -> str:
    """What the line most likely meant."""
    key = line.split("=", 1)[0].strip() if "=" in line else ""
    value = line.split("=", 1)[1].strip() if "=" in line else ""
    if line.startswith("["):
        return "a table is [late], an assignment or extension [[assignment]], [[extension]]"
    when = re.fullmatch(r"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})(:\d{2})?", value)
    if when:
        return (f"a date and time is written with a T, or quoted: {key} = {when.group(1)}T"
                f"{when.group(2)}{when.group(3) or ':00'} or {key} = \"{value}\"")
    if key and value and not value[:1] in "\"'[{0123456789-+tf":
        return f"text is quoted, e.g. {key} = \"{value}\""
    return f"e.g. {example(key)}" if key else \
        "each line is key = value, e.g. due = 2026-10-01T23:59:00"


def unknown_key(key: str, known, prefix: str) -> str:
    """'unknown key late.capp (did you mean cap?; known: ...)'; a top-level key written under a
    [late] table belongs to that table in TOML: say where it goes."""
    text = f"unknown key {prefix}{key}"
    near = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.7)
    if near:
        text += f" (did you mean {near[0]}? e.g. {example(near[0])})"
    elif prefix and key in TOP:
        text += (f" (every key after a [table] line belongs to that table: put {key} at the "
                 f"top of the file, above the first [...] line, e.g. {example(key)})")
    return text + f"; known: {', '.join(sorted(known))}"


def within(student: str, known) -> str:
    """'' or, where the name of an extension's student is part of the names of students of the
    class (a Canvas download files 'ben' as 'brownben'), a question naming them: ' (is it
    'brownben'? name her as the class folder does)'."""
    key = student.casefold()
    hits = [k for k in known if len(key) >= 3 and key in str(k).casefold()]
    if not hits or len(hits) > 3:
        return ""
    return f" (is it {' or '.join(repr(h) for h in hits)}? name her as the class run does)"
