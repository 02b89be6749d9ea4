"""When a student handed her work in: per exercise, from nbgrader's `timestamp.txt` (the one
nbgrader's collect leaves in submitted/STUDENT/ASSIGNMENT/, the assignment folder of the
exercise, and nowhere else: a timestamp.txt in a student's own folder, zip or upload is hers,
not nbgrader's), else from the timestamps CSV an LMS download gives (--timestamps FILE:
columns student,submitted_at; a time without an offset in the course's time zone), else from
the files' own times (the latest modification time of the exercise's file and of the
student's own modules it imports, utils.py: a changed module is changed work; for a
zip, the zip's own time where it lies: the dates of its members are whatever the student's
machine said, or she wrote, when she made it). The first found wins, and the gradebook records where the time came from
(FROM_STAMP, FROM_CSV, FROM_FILE), which the student's page says. A time outside EARLIEST ..
LATEST is no time.

    stamps = read_timestamps("canvas_times.csv")          # {"alice": datetime(...)}
    times, where = handed_in(Path("class/alice"), ["ex01_tensors.py"], stamps.get("alice"))
"""
from __future__ import annotations

import collections
import csv
import itertools
import os
import stat
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from grader.exercises import module_of
from grader.sandbox import staging
from grader.sandbox.names import exercise_of
from grader.sandbox.tree import DATA_SUFFIXES

FROM_STAMP = "nbgrader timestamp.txt"
FROM_CSV = "timestamps CSV"
FROM_FILE = "file times"
STAMP = "timestamp.txt"
MAX_DEPTH = 5
EARLIEST = datetime(1980, 1, 1, tzinfo=timezone.utc)   # a zip's earliest time
LATEST = datetime(2200, 1, 1, tzinfo=timezone.utc)


class TimestampsError(ValueError):
    """A timestamps CSV that cannot be used: the message names the file and the line."""


# Time-zone abbreviations as strftime's %Z writes them (nbgrader's timestamp.txt: its
# `timezone` setting, e.g. Europe/Berlin, writes CEST in summer), each its offset in minutes.
# The course's own zone is asked first (parse_time); these are for a stamp of another zone.
ABBREVIATIONS = {"UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 60, "BST": 60, "CET": 60,
                 "CEST": 120, "EET": 120, "EEST": 180, "MSK": 180, "EST": -300, "EDT": -240,
                 "CST": -360, "CDT": -300, "MST": -420, "MDT": -360, "PST": -480, "PDT": -420,
                 "AKST": -540, "AKDT": -480, "HST": -600, "JST": 540, "KST": 540, "AWST": 480,
                 "ACST": 570, "ACDT": 630, "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780}


def zone_named(name: str, naive: datetime, course_zone=None):
    """The tzinfo that the zone name or abbreviation `name` (nbgrader writes %Z: 'CEST', 'EST',
    'UTC') stands for at the wall time `naive`: the course's zone where it is called so then
    (CEST in Europe/Berlin's summer), else a known abbreviation's fixed offset, else an IANA
    name without a slash ('UTC', 'EST5EDT'). None: not known."""
    from datetime import timedelta
    upper = name.upper()
    if course_zone is not None:
        for fold in (0, 1):
            if (naive.replace(tzinfo=course_zone, fold=fold).tzname() or "").upper() == upper:
                return course_zone
    if upper in ABBREVIATIONS:
        return timezone(timedelta(minutes=ABBREVIATIONS[upper]), upper)
    try:
        from zoneinfo import ZoneInfo
        return ZoneInfo(name)
    except Exception:  # noqa: BLE001 - an unknown name
        return None


def parse_time(text, zone=None) -> datetime | None:
    """An ISO 8601 time or nbgrader's '2026-10-01 22:30:00.123456 CEST' (a trailing zone name
    or abbreviation, as nbgrader writes it: zone_named), time-zone aware. A time without a
    zone, or with a name not known: `zone` (a tzinfo: the course's), else this machine's
    local time. None: not a time."""
    default = zone
    text = str(text).strip()
    if not text:
        return None
    if text[-1:] in "Zz" and text[-2:-1].isdigit():     # 2026-10-01T20:00:00Z
        text = text[:-1] + "+00:00"
    name = ""
    head, _, tail = text.rpartition(" ")
    if head and tail.isalpha():
        text, name = head, tail
    try:
        when = datetime.fromisoformat(text)
        if when.tzinfo is None:
            zone = (zone_named(name, when, default) if name else None) or default
            when = when.replace(tzinfo=zone) if zone else when.astimezone()
    except (ValueError, OverflowError):
        return None
    return sane(when)


def sane(when: datetime | None) -> datetime | None:
    """`when` where it lies between EARLIEST and LATEST (any zone), else None: a year 1 or
    9999 in a student's file would overflow every later conversion of it."""
    try:
        return when if when is not None and EARLIEST <= when.astimezone(timezone.utc) <= LATEST \
            else None
    except (ValueError, OverflowError):
        return None


class Timestamps(dict):
    """{student: submission time} read from a timestamps CSV, with `notes`: what the reader
    should know about the file (a student on several lines)."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.notes: list[str] = []
        self.path = ""


def read_timestamps(path, zone=None) -> Timestamps:
    """{student: submission time} from a CSV with the columns student,submitted_at (other
    columns are ignored; `name` or `login` may stand for student). A time without an offset
    is read in `zone` (the course's time zone: a tzinfo), else this machine's. A student on
    several lines gets the latest of their times, and one note naming the lines.
    TimestampsError naming the line when a time is not one."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            head = {h.strip().lower(): h for h in reader.fieldnames or []}
            who = next((head[k] for k in ("student", "login", "name") if k in head), None)
            when = head.get("submitted_at")
            if who is None or when is None:
                raise TimestampsError(f"timestamps {path}: line 1 should name the columns "
                                      f"student,submitted_at (it has "
                                      f"{', '.join(reader.fieldnames or []) or 'none'})")
            out, lines = Timestamps(), {}
            out.path = str(path)
            for row in reader:
                student = (row.get(who) or "").strip()
                if not student:
                    continue
                moment = parse_time(row.get(when) or "", zone)
                if moment is None:
                    raise TimestampsError(
                        f"timestamps {path}: line {reader.line_num}: submitted_at "
                        f"{staging.shown(row.get(when) or '')} is not a time (e.g. "
                        f"2026-10-01T23:12:00+02:00)")
                lines.setdefault(student, []).append(reader.line_num)
                out[student] = max(out.get(student, moment), moment)
            twice = [f"{staging.shown(s, quote=False)} (lines "
                     f"{', '.join(map(str, n))})" for s, n in lines.items() if len(n) > 1]
            if twice:
                out.notes.append(f"timestamps {path}: {len(twice)} student"
                                 f"{'s are' if len(twice) != 1 else ' is'} on several lines, "
                                 f"the latest time of each is used: {_few(twice)}")
            return out
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise TimestampsError(f"timestamps {path}: cannot be read ({exc})") from None


def _few(items, n=5) -> str:
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


def match_timestamps(stamps, students) -> tuple[dict, list[str]]:
    """({student: her time}, what the run says) for a timestamps CSV (`stamps`, from
    read_timestamps) and the class's `students`: (filed name, entry name[, LMS download name,
    LMS user id]) each. A line names a student by any of these; the filed name first, then the
    entry's name (`smithjohn_201`), her Canvas user id (`201`), her download name
    (`smithjohn`) where it is hers alone. A line that names several students (two `smithjohn`
    in one Canvas download) is used for none, and said; so are the lines that name no one and
    the students with no line, and each match by another name than the filed one where the
    filed name has a hash or the line gave an LMS's name or id."""
    if not stamps:
        return {}, []
    where = f"timestamps {getattr(stamps, 'path', '') or 'CSV'}"
    notes = list(getattr(stamps, "notes", []))
    forms = [tuple(n for n in dict.fromkeys(pair) if n) for pair in students]
    named: dict = {}         # a CSV's name -> the students it names
    for pair in forms:
        for n in pair:
            named.setdefault(n, []).append(pair[0])
    out, matched, several = {}, [], set()
    for pair in forms:
        for i, n in enumerate(pair):
            if n not in stamps:
                continue
            if len(set(named[n])) > 1 and n != pair[0]:
                several.add(n)
                continue
            out[pair[0]] = stamps[n]
            if n != pair[0] and (i >= 2 or "~" in pair[0]):
                matched.append(f"{staging.shown(n)} for {staging.shown(pair[0], quote=False)}")
            break
    unknown = sorted(k for k in stamps if k not in named)
    if unknown:
        notes.append(f"{where}: {len(unknown)} name{'s' * (len(unknown) != 1)} in it "
                     f"{'are' if len(unknown) != 1 else 'is'} no student of this class, "
                     f"their times unused: {_few([staging.shown(u) for u in unknown])}")
    for n in sorted(several):
        who = sorted(set(named[n]))
        notes.append(f"{where}: {staging.shown(n)} names {len(who)} students of this class "
                     f"({_few([staging.shown(w, quote=False) for w in who])}), its time "
                     f"unused: give each her own line, by the name she is graded under or, "
                     f"from Canvas, name_userid (smithjohn_201) or her user id (201)")
    missing = [pair[0] for pair in forms if pair[0] not in out]
    if missing:
        notes.append(f"{where}: no line for {len(missing)} student"
                     f"{'s' * (len(missing) != 1)}, whose times come from their files (or "
                     f"their work's earlier hand-in): "
                     f"{_few([staging.shown(m) for m in missing])}")
    if matched:
        notes.append(f"{where}: {len(matched)} line{'s' * (len(matched) != 1)} matched by "
                     f"another name than the one graded: {_few(matched)}")
    return out, notes


def timestamps_notes(stamps, students) -> list[str]:
    """What a class run says about its timestamps CSV (match_timestamps' notes)."""
    return match_timestamps(stamps, students)[1]


def handed_in(source: Path, files, from_csv: datetime | None = None
              ) -> tuple[dict[str, datetime], str]:
    """({exercise: when handed in}, where the times came from) for the exercise files `files`
    (their names, as gathered) of the submission at `source` (a folder or zip). Never raises:
    what cannot be read is left out."""
    each = handed_in_each(source, files, from_csv)
    times = {ex: when for ex, (when, _) in each.items()}
    used = list(dict.fromkeys(label for _, label in each.values()))
    if not times and sane(from_csv) is not None:    # nothing read (an unreadable zip): the CSV's
        used.append(FROM_CSV)
    return times, ", ".join(used)


# How far a hand-in time is trusted: an earlier time of the same content from a source ranked
# lower is corrected by one ranked higher (file times, then a timestamps CSV); never the other way.
RANK = {FROM_FILE: 1, FROM_CSV: 2, FROM_STAMP: 3}


def handed_in_each(source: Path, files, from_csv: datetime | None = None, zone=None,
                   exercises: dict | None = None) -> dict[str, tuple[datetime, str]]:
    """{exercise: (when handed in, where that time came from: FROM_*)}, as handed_in reads
    them, each exercise with its own source. `zone`: the course's (a tzinfo), for nbgrader's
    timestamp.txt (parse_time). `exercises`: {exercise: its file} where `files` (as gathered:
    Entry.files) also holds her modules, one of which may be named like an exercise's file
    (ex01_a.py, imported by ex01_linear_model.py: its time counts as a module's, and never
    stands for the exercise's own); without it, every name of `files` like an exercise's is
    that exercise's file."""
    names = {name: ex for ex, name in exercises.items()} if exercises is not None else \
        {name: ex for name in files if (ex := staging.exercise_of(name))}
    from grader.sandbox.apart import module_named
    from grader.sandbox.tree import data_file
    own = {module_named(name) for name in files if name.endswith(".py") and name not in names}
    own |= {name for name in files if data_file(name)}      # settings.json: by its name
    out: dict[str, tuple[datetime, str]] = {}
    try:
        found = _zip_times(source, names) if str(source).lower().endswith(".zip") \
            else _folder_times(source, names, own, zone)
    except Exception:  # noqa: BLE001 - a student's files: times left out, never the grade
        found = {}
    from_csv = sane(from_csv)
    for ex in names.values():
        stamp, file_time = found.get(ex, (None, None))
        stamp, file_time = sane(stamp), sane(file_time)
        for when, label in ((stamp, FROM_STAMP), (from_csv, FROM_CSV), (file_time, FROM_FILE)):
            if when is not None:
                out[ex] = (when, label)
                break
    return out


def _folder_times(root: Path, names: dict, own=(), zone=None) -> dict:
    """{exercise: (timestamp.txt's time or None, its time from the files)} for the files found
    in the folder (no link followed, MAX_DEPTH levels, at most tree.MAX_NAMES names:
    _listed). The time from the files is the latest modification time of the exercise's
    file and of the student's own modules (`own`: the module names graded with it, utils.py)
    it imports, through each other too
    (sandbox.apart.imported_closure): work changed in utils.py after the due date is late work,
    whatever the time of the exercise's file that imports it; so does a data file of hers
    (settings.json, in `own` by its name) that the exercise or those modules name. A module of
    several copies counts with its latest beside an exercise file."""
    from grader.classroom.entries import named_files
    from grader.sandbox.apart import imported_closure
    exercises: dict = {}       # ex -> (folder, file name, mtime)
    modules: dict = {}         # module -> [(folder, mtime, path)]
    lasts = {m.rsplit("/", 1)[-1] for m in own} | {f"{m.rsplit('.', 1)[-1]}.py" for m in own}
    for here, files in _listed(root):
        for name in files:
            ex = names.get(name)
            module, home = _own_module(root, here, name, own) \
                if name in lasts or name == "__init__.py" else (None, None)
            if (ex is None or ex in exercises) and module is None:
                continue
            st = os.lstat(os.path.join(here, name))
            if not stat.S_ISREG(st.st_mode):
                continue
            mtime = _mtime(st)
            if ex is not None:
                exercises[ex] = (here, name, mtime)
            else:
                modules.setdefault(module, []).append((home, mtime, os.path.join(here, name)))
    homes = {here for here, _, _ in exercises.values()}
    latest: dict = {}          # module -> (mtime, its bytes)
    for module, copies in modules.items():
        beside = [c for c in copies if c[0] in homes] or copies
        when, path = max(((m, p) for _, m, p in beside),
                         key=lambda c: c[0] or datetime.min.replace(tzinfo=timezone.utc))
        latest[module] = (when, _read(path))
    out: dict = {}
    for ex, (here, name, mtime) in exercises.items():
        data = _read(os.path.join(here, name))
        modules = {m: d for m, (_, d) in latest.items()
                   if not m.lower().endswith(DATA_SUFFIXES)}
        modules.update({module_of(e): _read(os.path.join(h, n))    # another exercise's file
                        for e, (h, n, _t) in exercises.items() if e != ex})   # it imports
        imported = imported_closure(name, data, modules)
        imported |= set(named_files([m for m in latest if m not in modules],
                                    [data] + [modules[m] for m in imported]))
        times = [t for t in [mtime] + [latest[m][0] if m in latest else
                                        exercises[exercise_of(f"{m}.py")][2] for m in imported]
                 if t is not None]
        out[ex] = (_nbgrader_stamp(Path(root), Path(here), zone),
                   max(times) if times else None)
    return out


def _listed(root) -> Iterator[tuple[str, list]]:
    """(folder, its names but its folders', sorted) for `root` and the folders below it, the
    nearest the top first (the file staging grades is the nearest the top), no link followed,
    no hidden folder, MAX_DEPTH levels; at most MAX_NAMES names listed in all, each folder
    taking its share of what is left (tree.share), as staging's walk (tree.Tree): a
    student's folder of millions of files costs this process no more than that."""
    from grader.sandbox.tree import MAX_NAMES, share
    left = MAX_NAMES
    queue = collections.deque([(os.fspath(root), 0)])
    while queue and left > 0:
        here, depth = queue.popleft()
        try:
            with os.scandir(here) as it:
                entries = list(itertools.islice(it, share(left)))
        except OSError:
            continue
        left -= len(entries)
        files, dirs = [], []
        for e in entries:
            try:
                (dirs if e.is_dir(follow_symlinks=False) else files).append(e.name)
            except OSError:
                continue
        yield here, sorted(files)
        if depth < MAX_DEPTH:
            queue.extend((os.path.join(here, d), depth + 1) for d in sorted(dirs)
                         if not d.startswith("."))


def _own_module(root, here: str, name: str, own) -> tuple[str | None, str | None]:
    """(the module of the student's own in `own` that the file `name` in the folder `here` is,
    the folder of the exercise files it is theirs in) or (None, None): utils.py beside them,
    mypkg/core.py in a package folder there (sandbox.own)."""
    from grader.sandbox.own import MAX_PACKAGE_DEPTH
    data = name.lower().endswith(DATA_SUFFIXES)       # data/points.csv, by its path
    if not (data or name.endswith(".py")):
        return None, None
    folders = Path(here).relative_to(root).parts
    stem = (name,) if data else () if name == "__init__.py" else (name[:-3],)
    for depth in range(min(MAX_PACKAGE_DEPTH, len(folders)) + 1):
        module = ("/" if data else ".").join(folders[len(folders) - depth:] + stem)
        if module in own:
            return module, str(Path(here).parents[depth - 1]) if depth else here
    return None, None


def _mtime(st: os.stat_result) -> datetime | None:
    try:
        return datetime.fromtimestamp(st.st_mtime, timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None


def _read(path) -> bytes:
    """A student's file as staging reads it (no link followed, capped); b"" when it cannot be."""
    try:
        return staging.read_file(path)
    except (staging.Refused, OSError):
        return b""


def _nbgrader_stamp(root: Path, folder: Path, zone=None) -> datetime | None:
    """The time nbgrader's collect wrote for an assignment: `root` is submitted/STUDENT in an
    nbgrader course, and `folder`, which holds the exercise's file, is one of its assignment
    folders (directly below it), with timestamp.txt beside the file. None anywhere else."""
    if root.parent.name != "submitted" or folder.parent != root:
        return None
    text = _small_file(folder / STAMP)
    return parse_time(text, zone) if text is not None else None


def _small_file(path: Path) -> str | None:
    """The start of a small regular file (no link followed, nothing waited on), or None."""
    try:
        return staging.read_head(path, 256).decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 - no such file, a link, a folder: no stamp here
        return None


def _zip_times(path: Path, names: dict) -> dict:
    """The same for a zip: the zip's own modification time, for each exercise file it holds
    (when it was uploaded or copied here); never a member's date (the student set it, as she
    can any date inside her archive: a zip made on the last day with its members dated a week
    before handed in on time), never a timestamp.txt (nbgrader writes none in a zip)."""
    out: dict = {}
    fd = staging.open_file(os.fspath(path))
    with os.fdopen(fd, "rb") as f, zipfile.ZipFile(f) as zf:
        try:
            mtime = datetime.fromtimestamp(os.fstat(f.fileno()).st_mtime, timezone.utc)
        except (ValueError, OverflowError, OSError):
            mtime = None
        for info in zf.infolist():
            ex = names.get(info.filename.rsplit("/", 1)[-1])
            if ex is not None and ex not in out:
                out[ex] = (None, mtime)
    return out


def older_csv(book, student, each, files, content_hash, path, names, stamp, zone=None,
              exercises=None):
    """`each` with a timestamps CSV's time left out where it is the time of other work of hers
    (Gradebook.csv_time_not_for): those exercises read their other times (timestamp.txt, file
    times), which never replace a CSV's. And the line that says so ('' if none)."""
    stale = book.csv_time_not_for(student, stamp, files, content_hash)
    stale = sorted(ex for ex in stale if each.get(ex, (None, None))[1] == FROM_CSV)
    if not stale:
        return each, ""
    other = handed_in_each(path, names, None, zone, exercises)
    each = {ex: v for ex, v in each.items() if ex not in stale}
    each.update({ex: other[ex] for ex in stale if ex in other})
    shown = stamp.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if zone else \
        stamp.strftime("%Y-%m-%d %H:%M")          # in the course's zone, named
    return each, (f"the timestamps CSV's {shown} is the time of "
                  f"work she handed in before, not of {', '.join(stale)} (its own time kept)")
