"""The course file (grader.classroom.course_file): assignments with due dates in a time zone,
the late policy, attempt limits, extensions; a bad file is one clear message naming the line or
key, and exit 2 on the command line."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from grader.classroom.course_file import (CourseError, LatePolicy, find_course, late_text,
                                          load_course)

GOOD = """\
time_zone = "Europe/Berlin"
attempts = 3

[late]
penalty = 10
per = "day"
cap = 30
grace = "15m"
accept_for = "7d"

[[assignment]]
name = "week2"
exercises = ["ex03"]
due = 2026-10-08T23:59:00

[[assignment]]
name = "week1"
exercises = ["ex01", "ex02"]
due = 2026-10-01T23:59:00
attempts = 1

[[extension]]
student = "alice"
assignment = "week1"
days = 2

[[extension]]
student = "bob"
assignment = "week2"
due = 2026-10-10T12:00:00Z
"""


def write(tmp_path, text, name="course.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_course_file_reads_whole(tmp_path):
    course = load_course(write(tmp_path, GOOD))
    berlin = ZoneInfo("Europe/Berlin")
    assert [a.name for a in course.assignments] == ["week1", "week2"]     # due-date order
    week1, week2 = course.assignments
    assert week1.exercises == ("ex01", "ex02")
    assert week1.due == datetime(2026, 10, 1, 23, 59, tzinfo=berlin)
    assert week1.due.astimezone(timezone.utc) == datetime(2026, 10, 1, 21, 59,
                                                           tzinfo=timezone.utc)
    assert course.attempt_limit(week1) == 1 and course.attempt_limit(week2) == 3
    assert course.due_for(week1, "alice") == (datetime(2026, 10, 3, 23, 59, tzinfo=berlin),
                                              True)
    assert course.due_for(week1, "bob") == (week1.due, False)
    assert course.due_for(week2, "bob")[0] == datetime(2026, 10, 10, 12, tzinfo=timezone.utc)
    assert course.last_for(week1, "carol") == week1.due + timedelta(days=7)
    assert course.last_for(week1, "alice") == week1.due + timedelta(days=9)
    assert course.assignment_of("ex02") is week1 and course.assignment_of("ex09") is None
    assert course.late == LatePolicy(rate=0.1, per=timedelta(days=1), cap=0.3,
                                     grace=timedelta(minutes=15),
                                     accept_for=timedelta(days=7))


def test_the_penalty_counts_started_days_up_to_the_cap_after_the_grace():
    late = LatePolicy(rate=0.1, per=timedelta(days=1), cap=0.3, grace=timedelta(minutes=15))
    assert late.penalty(timedelta(minutes=14)) == 0.0
    assert late.penalty(timedelta(minutes=16)) == pytest.approx(0.1)
    assert late.penalty(timedelta(days=1, hours=2)) == pytest.approx(0.2)
    assert late.penalty(timedelta(days=6)) == pytest.approx(0.3)
    hourly = LatePolicy(rate=0.02, per=timedelta(hours=1))
    assert hourly.penalty(timedelta(hours=2, minutes=1)) == pytest.approx(0.06)
    assert "10 % off per day late, at most 30 %" in late.describe()
    assert late_text(timedelta(days=1, hours=3, minutes=5)) == "1 day 3 hours"
    assert late_text(timedelta(minutes=25)) == "25 minutes"


@pytest.mark.parametrize("text, said", [
    ('[[assignment]]\nname = "w"\nexercises = ["ex01"]\ndue = 2026-10-01T23:59:00\n'
     'dew = 3\n', "line 5: unknown key assignment[1].dew"),
    ('[[assignment]]\nname = "w"\nexercises = ["ex01"]\ndue = "next friday"\n',
     "line 4: assignment[1].due 'next friday' is not a date"),
    ('[[assignment]]\nname = "w"\nexercises = ["ex1"]\ndue = 2026-10-01\n',
     "line 3: assignment[1].exercises: 'ex1' is not an exercise"),
    ('[[assignment]]\nname = "w"\nexercises = ["ex01"]\n',
     "line 1: assignment[1] has no `due`"),
    ('time_zone = "Mars/Olympus"\n[[assignment]]\nname = "w"\nexercises = ["ex01"]\n'
     'due = 2026-10-01\n', "line 1: time_zone 'Mars/Olympus' is not a time zone"),
    ('[late]\npenalty = 10\nper = "week"\n', 'line 3: late.per is \'week\''),
    ('[late]\ngrace = "soon"\n[[assignment]]\nname = "w"\nexercises = ["ex01"]\n'
     'due = 2026-10-01\n', "line 2: late.grace 'soon' is not a duration"),
    ('[[assignment]]\nname = "w"\nexercises = ["ex01"]\ndue = 2026-10-01\n'
     '[[extension]]\nstudent = "al"\nassignment = "w9"\ndays = 1\n',
     "line 7: extension[1].assignment 'w9' is not an assignment (w)"),
    ('[[assignment]]\nname = "w"\nexercises = ["ex01"]\ndue = 2026-10-01\n'
     '[[assignment]]\nname = "v"\nexercises = ["ex01"]\ndue = 2026-10-02\n',
     "ex01 is already in another assignment"),
    ('[[assignment]\nname = "w"\n', "not valid TOML"),
    ("", "names no assignment"),
])
def test_a_bad_course_file_is_one_message_naming_the_line_or_key(tmp_path, text, said):
    path = write(tmp_path, text)
    with pytest.raises(CourseError) as err:
        load_course(path)
    assert said in str(err.value) and str(path) in str(err.value)


ASSIGNMENT = '[[assignment]]\nname = "w"\nexercises = ["ex01"]\ndue = 2026-10-01\n'


@pytest.mark.parametrize("text", [
    "attempts = 0\n", 'attempts = "3"\n', "time_zone = 5\n", "late = 3\n",
    "[late]\npenalty = 300\n", "[late]\npenalty = -1\n", "[late]\ncap = true\n",
    "[late]\naccept_for = [1]\n", "extension = 5\n", "[extension]\nstudent = 'a'\n",
    "[[extension]]\nstudent = 'a'\nassignment = 'w'\n",
    "[[extension]]\nstudent = 'a'\nassignment = 'w'\ndays = 'two'\n",
    "assignment = 3\n",
])
def test_odd_values_are_a_course_error_never_a_traceback(tmp_path, text):
    body = text if text.startswith(("assignment", "extension")) and "[[" not in text \
        else text + ASSIGNMENT if not text.startswith("[[extension]]") else ASSIGNMENT + text
    with pytest.raises(CourseError):
        load_course(write(tmp_path, body))


def test_a_bad_course_file_exits_2_on_the_command_line_without_a_traceback(tmp_path, capsys):
    from grader.cli import main
    (tmp_path / "class").mkdir()
    write(tmp_path, '[[assignment]]\nname = "w"\nexercises = ["ex01"]\ndue = "soon"\n')
    assert main(["grade-class", str(tmp_path / "class"), "--db",
                 str(tmp_path / "g.db")]) == 2                 # course.toml beside the class
    err = capsys.readouterr().err
    assert "error: course file" in err and "line 4" in err and "Traceback" not in err
    assert not (tmp_path / "g.db").exists()
    from grader.classroom.gradebook import Gradebook
    Gradebook(tmp_path / "g.db").close()
    assert main(["export", "--csv", str(tmp_path / "out.csv"), "--db", str(tmp_path / "g.db"),
                 "--course", str(tmp_path / "missing.toml")]) == 2
    err = capsys.readouterr().err
    assert "missing.toml: cannot be read" in err and "Traceback" not in err
    assert not (tmp_path / "out.csv").exists()
    assert main(["export", "--csv", str(tmp_path / "out.csv"), "--db", str(tmp_path / "g.db"),
                 "--before", "due"]) == 2
    assert "--before due needs a course file" in capsys.readouterr().err


def test_the_course_file_is_found_beside_the_class_folder_or_named(tmp_path):
    (tmp_path / "class").mkdir()
    assert find_course(tmp_path / "class") is None
    path = write(tmp_path, GOOD)
    assert find_course(tmp_path / "class") == path
    assert find_course(tmp_path / "class", named="other.toml").name == "other.toml"


def _dues(tmp_path, values, zone="Europe/Berlin"):
    """The due dates of one assignment per value, as the course file reads them."""
    text = f'time_zone = "{zone}"\n' + "".join(
        f'[[assignment]]\nname = "a{i}"\nexercises = ["ex{i + 1:02d}"]\ndue = {v}\n'
        f'last = {v}\n' for i, v in enumerate(values))
    course = load_course(write(tmp_path, text))
    by_name = {a.name: a for a in course.assignments}
    return [(by_name[f"a{i}"].due, by_name[f"a{i}"].last) for i in range(len(values))]


@pytest.mark.parametrize("zone,values,meant", [
    ("Europe/Berlin",                      # summer time: 23:59 in Berlin is 21:59 UTC
     ["2026-10-01T23:59:00", '"2026-10-01T23:59:00"', "2026-10-01 23:59:00",
      '"2026-10-01 23:59:00"', '"2026-10-01 23:59"', '"2026-10-01t23:59:00"',
      '" 2026-10-01T23:59:00 "', "2026-10-01T21:59:00Z", '"2026-10-01T21:59:00Z"',
      '"2026-10-01T21:59:00z"', "2026-10-01T23:59:00+02:00", '"2026-10-01T23:59:00+02:00"'],
     datetime(2026, 10, 1, 21, 59, tzinfo=timezone.utc)),
    ("Europe/Berlin",                      # winter time: +01:00
     ["2026-12-01T23:59:00", '"2026-12-01T23:59:00"', '"2026-12-01 23:59"'],
     datetime(2026, 12, 1, 22, 59, tzinfo=timezone.utc)),
    ("America/New_York",
     ["2026-10-01T23:59:00", '"2026-10-01T23:59:00"'],
     datetime(2026, 10, 2, 3, 59, tzinfo=timezone.utc))])
def test_a_bare_toml_time_and_the_same_time_quoted_are_one_instant(tmp_path, zone, values,
                                                                    meant):
    for due, last in _dues(tmp_path, values, zone):
        assert due == last == meant, (values, due)


@pytest.mark.parametrize("zone,day,value", [
    ("Europe/Berlin", (2026, 10, 1), "2026-10-01"),
    ("Europe/Berlin", (2026, 10, 1), '"2026-10-01"'),
    ("Europe/Berlin", (2026, 12, 1), '" 2026-12-01 "'), ("UTC", (2026, 10, 1), '"2026-10-01"'),
    ("America/New_York", (2026, 10, 1), "2026-10-01")])
def test_a_date_without_a_time_is_the_end_of_that_day_in_the_course_zone(tmp_path, zone, day,
                                                                           value):
    """Work handed in at the day's last second, in the course's zone, is on time; at the next
    day's first moment there, late; quoted or not ("2026-10-01" was its first moment, 00:00,
    and the bare date 23:59:59, so work in that day's last second was late)."""
    [(due, last)] = _dues(tmp_path, [value], zone)
    here = ZoneInfo(zone) if zone != "UTC" else timezone.utc
    assert due == last
    assert datetime(*day, 23, 59, 59, 999_000, tzinfo=here) <= due
    assert datetime(*day, tzinfo=here) + timedelta(days=1) > due
    assert due.astimezone(here).date() == datetime(*day).date()
    if zone != "UTC":                         # not UTC's day: the course's
        assert datetime(*day, 23, 59, 59, 999_000, tzinfo=timezone.utc) != due


def test_an_extensions_date_quoted_or_bare_is_the_end_of_that_day_too(tmp_path):
    course = load_course(write(tmp_path, 'time_zone = "Europe/Berlin"\n[[assignment]]\n'
                               'name = "w1"\nexercises = ["ex01"]\ndue = 2026-10-01\n'
                               '[[extension]]\nstudent = "alice"\nassignment = "w1"\n'
                               'due = "2026-10-03"\n[[extension]]\nstudent = "bob"\n'
                               'assignment = "w1"\ndue = 2026-10-03\n'))
    [w1] = course.assignments
    assert course.due_for(w1, "alice")[0] == course.due_for(w1, "bob")[0] == \
        w1.due + timedelta(days=2)
