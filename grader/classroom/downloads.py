"""An LMS's bulk download read as a class folder: Canvas's and Moodle's names are read as the
students they name.

  - Canvas's "Download Submissions" zip, unpacked, holds every file of every student flat in one
    folder, each named `name[_LATE]_userid_submissionid_file`: `smithjohn_12345_67890_ex01_linear
    _model.py`, and with `LATE` when Canvas marks the submission late (`smithjohn_LATE_12345_
    67890_ex02_gradient_descent.py`). A file handed in again carries `-1` (then `-2`, ...)
    before its suffix: of one student's files of one name, the newest is graded.
    The files of one student (her name and user id) form one entry, a Bundle, filed under her
    name ('smithjohn'), each file under its own name again (`ex01_linear_model.py`).
  - Moodle's "Download all submissions" gives one folder per student and plugin: `John Smith_
    4567_assignsubmission_file_/`, filed under the full name ('John Smith'); flat, its files are
    `John Smith_4567_assignsubmission_file_ex01_linear_model.py` (bundled as Canvas's are).

    parse("smithjohn_LATE_12345_67890_ex01_linear_model-1.py")
    # Download(lms='canvas', name='smithjohn', user_id='12345', late=True,
    #          file='ex01_linear_model.py')

A late mark is kept as a note on the student's row (late_note), and marked_late(entry) says so
to whoever applies a late policy. The Canvas user id of each student graded from Canvas's
files (a Bundle, or a zip Canvas named) is kept in the gradebook (remember_users), so that
`export --lms canvas` matches her to the roster's row of that ID first: two students whose
download names are one (two Jane Smiths) each get their own row.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from grader.sandbox import staging
from grader.sandbox.names import not_a_student

# Canvas: the name (letters of the sortable name, lower case), LATE when late, the user id, the
# submission's (or attachment's) id, the file's own name.
_CANVAS = re.compile(r"(?P<name>.+?)(?:_(?P<late>LATE|late))?_(?P<uid>\d+)_(?P<sid>\d+)_"
                     r"(?P<file>.+)", re.S)
# Moodle: the full name, the participant's id, the plugin; a folder ends there (its name is
# Moodle's whole), a file goes on with its own name (the first `_N_assignsubmission_x_` is
# Moodle's: what follows is the student's, whatever it holds).
_MOODLE = re.compile(r"(?P<name>.+)_(?P<uid>\d+)_assignsubmission_(?P<plugin>[a-z0-9]+)_", re.S)
_MOODLE_FILE = re.compile(r"(?P<name>.+?)_(?P<uid>\d+)_assignsubmission_(?P<plugin>[a-z0-9]+)_"
                          r"(?P<file>.+)", re.S)
_AGAIN = re.compile(r"-(\d+)(?=\.[A-Za-z0-9]+$)")   # '-1' Canvas adds to a file handed in again
CODE_SUFFIXES = (".py", ".ipynb")


@dataclass(frozen=True)
class Download:
    """What an LMS's bulk-download name says: which LMS, the student's name and id there,
    whether it is marked late (Canvas), and the file's own name ('' for a Moodle folder)."""

    lms: str
    name: str
    user_id: str
    late: bool = False
    file: str = ""
    plugin: str = ""


def parse(name: str, folder: bool = False) -> Download | None:
    """The Download a file's or folder's name is (None: not an LMS's name). A folder is only
    Moodle's (`John Smith_4567_assignsubmission_file_`); a file is Canvas's or Moodle's. Each
    LMS puts its own part first and the student's file name after it, which may hold anything,
    the other LMS's shape too (`smithjohn_12345_67890_hw_5_assignsubmission_file_ex01.py` is
    Canvas's): where both shapes fit, the one whose ids come first is the LMS's."""
    if folder:
        m = _MOODLE.fullmatch(name)
        return Download("moodle", m["name"], m["uid"], plugin=m["plugin"]) if m else None
    moodle, canvas = _MOODLE_FILE.fullmatch(name), _CANVAS.fullmatch(name)
    if moodle and canvas:
        if canvas.start("uid") < moodle.start("uid"):
            moodle = None
        else:
            canvas = None
    if moodle:
        return Download("moodle", moodle["name"], moodle["uid"], file=moodle["file"],
                        plugin=moodle["plugin"])
    if canvas:
        return Download("canvas", canvas["name"], canvas["uid"], late=bool(canvas["late"]),
                        file=_AGAIN.sub("", canvas["file"]))
    return None


class Bundle(type(Path())):
    """One student's files of a flat bulk download: a class entry that is no file or folder of
    its own. Its path names the student (`smithjohn_12345` in the class folder); `files` are
    her files there, `download` what their names say."""

    files: tuple = ()
    download: Download | None = None


def display_name(path: Path) -> str:
    """The name an entry of a class folder is filed by: the student's name where the entry is
    an LMS's (a Bundle; a Moodle folder; a zip named by Canvas), else the folder's name or the
    zip's stem."""
    if isinstance(path, Bundle) and path.download is not None:
        return path.download.name
    is_dir = path.is_dir()
    found = parse(path.name if is_dir else path.stem, folder=is_dir)
    if found is not None and (is_dir or found.lms == "canvas"):
        return found.name
    return path.name if is_dir else path.stem


def lms_names(path) -> tuple[str, ...]:
    """(her download name, her user id) where the entry is an LMS's (a Bundle, a Moodle folder,
    a zip Canvas named), else (): the names a timestamps CSV may give her by
    (handed_in.match_timestamps)."""
    try:
        if isinstance(path, Bundle):
            found = path.download
        else:
            is_dir = Path(path).is_dir()
            found = parse(path.name if is_dir else Path(path).stem, folder=is_dir)
    except (OSError, TypeError, AttributeError):
        return ()
    return (found.name, found.user_id) if found is not None else ()


def bundles(folder: Path, taken, owns=lambda p: False) -> list[Bundle]:
    """The students of a flat bulk download in `folder`: its files (not zips, not folders: those
    are entries of their own) named as Canvas or Moodle names them, one Bundle per student
    (her name and id). A bundle's path is `folder/name_userid`, with '_' added where an entry of
    the folder (`taken`) bears that name."""
    groups: dict = {}
    try:
        listing = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return []
    for e in listing:
        if e.name.startswith(".") or not_a_student(e.name):
            continue
        try:
            if e.is_dir() or not (e.is_file() or e.is_symlink()):
                continue
        except OSError:
            continue
        if e.name.lower().endswith(".zip") or owns(Path(e.path)):
            continue
        found = parse(e.name)
        if found is None:
            continue
        groups.setdefault((found.lms, found.name, found.user_id), []).append(
            (Path(e.path), found))
    out, names = [], set(taken)
    for (lms, name, uid), files in groups.items():
        key = f"{name}_{uid}"
        while key in names:
            key += "_"
        names.add(key)
        b = Bundle(Path(folder) / key)
        b.files = tuple(p for p, _ in files)
        b.download = Download(lms, name, uid, late=any(d.late for _, d in files))
        out.append(b)
    return out


def marked_late(entry) -> bool:
    """Did the LMS mark this entry late: a Bundle with a LATE file, or a zip Canvas named
    with LATE (`smithjohn_LATE_12345_67890_week1.zip`)? For a late policy to read."""
    if isinstance(entry, Bundle):
        return bool(entry.download and entry.download.late)
    found = parse(Path(entry).stem)
    return bool(found and found.late)


CANVAS_USERS = "canvas users"    # the gradebook's meta key: {student: her Canvas user id}


def canvas_user(entry) -> str:
    """The Canvas user id a class entry's name carries ('' for none): a Bundle of Canvas's
    files, or a zip Canvas named (`smithjohn_12345_67890_week1.zip`). A folder's name is
    never read as one: Canvas makes no folders."""
    if isinstance(entry, Bundle):
        found = entry.download
    elif Path(entry).name.lower().endswith(".zip"):
        found = parse(Path(entry).stem)
    else:
        found = None
    return found.user_id if found is not None and found.lms == "canvas" else ""


def remember_users(book, entries) -> None:
    """Keep the Canvas user id of each student of a class run (`entries`: (student, entry))
    in the gradebook (meta CANVAS_USERS), for canvas_users; a student of this run whose
    entry carries none has none kept. Students of other runs keep theirs."""
    kept = canvas_users(book)
    for student, entry in entries:
        uid = canvas_user(entry)
        if uid:
            kept[student] = uid
        else:
            kept.pop(student, None)
    book.set_meta(CANVAS_USERS, json.dumps(kept, sort_keys=True))


def canvas_users(book) -> dict[str, str]:
    """{student: her Canvas user id} of the students graded from Canvas's download names."""
    try:
        kept = json.loads(book.get_meta(CANVAS_USERS) or "{}")
    except ValueError:
        return {}
    if not isinstance(kept, dict):
        return {}
    return {s: u for s, u in kept.items() if isinstance(s, str) and isinstance(u, str)
            and u.isdigit()}


def late_note(entry) -> str:
    """The note kept on the student's row when Canvas marked her submission late ('')."""
    if not marked_late(entry):
        return ""
    return ("Canvas marks this submission late (LATE in its file names); any late penalty "
            "is the course's to apply")


def handed_again(name: str) -> tuple[int, int]:
    """How recent a file of Canvas's download is among those of one name, as Canvas says it:
    (the number Canvas adds to a file handed in again, `-1`, `-2` (0: none), the id Canvas
    gave it, the number before the file's own name). `ex01-2.py` is newer than `ex01-1.py`,
    which is newer than `ex01.py`."""
    m = _CANVAS.fullmatch(name)
    if m is None:
        return (0, 0)
    again = _AGAIN.search(m["file"])
    return (int(again[1]) if again else 0, int(m["sid"]))


def _newest_first(files) -> list:
    """A bundle's files in name order, except that of the files one name once Canvas's
    prefix and `-1` are off (`ex01_linear_model.py`), the newest comes first: it is the one
    graded."""
    def key(path):
        found = parse(path.name)
        own = found.file if found else path.name
        newest = handed_again(path.name)
        return (own, -newest[0], -newest[1], path.name)
    return sorted(files, key=key)


def collect(bundle: Bundle, stage: Path, *, max_file: int, max_total: int) -> staging.Found:
    """The exercise files of a Bundle, as staging.collect finds them in a folder: each file is
    read as staging reads one (a regular file, no link followed, capped) and written under its
    own name (the LMS's prefix and Canvas's '-1' taken off) into the private folder `stage`,
    which is then collected and removed. Of files of one own name, the newest (handed_again:
    `ex01-2.py` over `ex01-1.py` over `ex01.py`) is graded and the others noted. Refused when
    the files add up to more than max_total; what is left out is noted."""
    notes, total, written, misnamed = [], 0, {}, []
    stage.mkdir(parents=True, exist_ok=False)
    try:
        for path in _newest_first(bundle.files):
            found = parse(path.name)
            own = found.file if found else path.name
            label = staging.shown(path.name)
            if not own.lower().endswith(CODE_SUFFIXES):
                notes.append(f"{label} was not graded: only exercise files (exNN_name.py or "
                             f".ipynb) are")
                continue
            if own in (".", "..") or own.startswith(".") or "/" in own or "\0" in own:
                notes.append(f"{label} was not graded: its name is not a file's")
                continue
            inside = ending_exercise(own)
            if inside is not None:      # 'hw_5_assignsubmission_file_ex02_gradient_descent.py'
                misnamed.append((own, inside))
                continue
            if own in written:
                newer = handed_again(written[own]) > handed_again(path.name)
                notes.append(f"{label} was not graded: {staging.shown(written[own])} is "
                             f"{staging.shown(own)} too"
                             + (", handed in again later (Canvas numbers a file handed in "
                                "again -1, -2, ...), and counts" if newer else ", and counts"))
                continue
            try:
                data = staging.read_file(path, max_file)
            except staging.Refused as exc:
                notes.append(f"left out {label}: {exc}")
                continue
            except OSError as exc:
                notes.append(f"left out {label}: could not be read ({exc.strerror or exc})")
                continue
            total += len(data)
            if total > max_total:
                raise staging.Refused(f"the exercise files add up to more than "
                                      f"{staging.size_text(max_total)}")
            try:
                (stage / own).write_bytes(data)
            except OSError as exc:
                notes.append(f"left out {label}: its name cannot be kept "
                             f"({exc.strerror or exc})")
                continue
            written[own] = path.name
        found = staging.collect(stage, max_file=max_file, max_total=max_total,
                                assignments=False)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    from grader.exercises import EXERCISES
    from grader.sandbox.tree import name_note
    for own, ex in misnamed:      # as staging says of a misnamed file: not graded in its place
        chosen = next((n for n in written if staging.exercise_of(n) == ex), None)
        notes.append(name_note((own,), ex, chosen) if chosen else
                     f"found {staging.shown(own)}; this exercise is read from {EXERCISES[ex]}.py "
                     f"(or .ipynb): rename the file, {ex} was not graded")
    for text in notes:
        found.note(text)
    return found


def ending_exercise(name: str) -> str | None:
    """The exercise whose file name ends this file's own name after a prefix of the student's
    or another LMS's ('hw_5_assignsubmission_file_ex02_gradient_descent.py', a Moodle file
    handed in again on Canvas): it is not that exercise's file (its name is not the
    exercise's), and is said so. None for an exercise's own name or any other."""
    from grader.exercises import EXERCISES
    stem, suffix = os.path.splitext(name)
    if suffix.lower() not in CODE_SUFFIXES or staging.exercise_of(name):
        return None
    low = stem.lower()
    for ex, module in EXERCISES.items():
        if low.endswith(module) and low[:-len(module)][-1:] in ("_", "-", " ", "."):
            return ex
    return None


def extras(paths) -> tuple[list, list[str]]:
    """(entries, notes): Moodle's folders of other plugins than files (`John Smith_4567_
    assignsubmission_onlinetext_/`) left out where the same student has a files folder
    (`..._assignsubmission_file_/`): they hold no exercise files, and would file her twice."""
    with_files = set()
    for p in paths:
        found = parse(p.name, folder=True) if p.is_dir() else None
        if found and found.plugin == "file":
            with_files.add((found.name, found.user_id))
    kept, left = [], []
    for p in paths:
        found = parse(p.name, folder=True) if p.is_dir() else None
        if found and found.plugin != "file" and (found.name, found.user_id) in with_files:
            left.append(p)
        else:
            kept.append(p)
    notes = [f"not graded, as Moodle's folders of text handed in beside a student's files "
             f"folder: {', '.join(staging.shown(p.name) for p in left[:5])}"
             + (f" and {len(left) - 5} more" if left[5:] else "")] if left else []
    return kept, notes
