"""When an exercise's file content was first handed in: a class run grades a student's whole
folder, and an exercise whose file she did not change keeps the hand-in time of its first
grading (record: first_handed_in), whatever later week's times (a timestamps CSV's, the files')
say; a time from a more trusted source corrects it (handed_in.RANK: a timestamps CSV over file
times, nbgrader's timestamp.txt over both), as does an earlier time from one as trusted
(correct_times, for content a run did not regrade).

    first_handed_in(db, sid, {"ex01": "9f2c..."}, {"ex01": "2026-10-09T09:00"},
                    {"ex01": "timestamps CSV"})   # {"ex01": ("2026-10-01T20:00", "...")}
"""
from __future__ import annotations

from datetime import datetime

from grader.classroom.gradebook_read import moment
from grader.classroom.handed_in import FROM_CSV, RANK


def _earlier_times(db, sid, exercise, file_hash) -> list[tuple[str, str | None]]:
    """(time, where from) of each earlier grading of this file content of the student's
    exercise that has a hand-in time."""
    return [(r[0], r[1]) for r in db.execute(
        "SELECT g.submitted_at, COALESCE(g.submitted_from, s.submitted_from) FROM "
        "graded_exercises g JOIN submissions s ON s.id = g.submission_id WHERE "
        "s.student_id = ? AND g.exercise = ? AND g.file_hash = ? AND g.submitted_at IS "
        "NOT NULL", (sid, exercise, file_hash))]


def first_handed_in(db, sid, files, handed_in, handed_from) -> dict:
    """{exercise: (time, where from)} to keep from an earlier grading of the same file content
    (`files`: {exercise: content hash}) instead of this grading's `handed_in` {exercise: time}
    from `handed_from` {exercise: FROM_*}: the most trusted source, and its earliest time."""
    kept = {}
    for ex, digest in files.items():
        if not digest:
            continue
        earlier = _earlier_times(db, sid, ex, digest)
        if not earlier:
            continue
        when, where = min(earlier, key=lambda e: (-rank(e[1]), moment(e[0]) or datetime.max))
        if not better(handed_in.get(ex), handed_from.get(ex), when, where):
            kept[ex] = (when, where)
    return kept


def correct_times(db, student, found, content_hash=None, zone=None) -> list[str]:
    """`found` {exercise: (file hash, time as stored, where from)}, read by a run that did not
    regrade that content: a time that is better (see better) replaces the one recorded for
    every grading of that content. Runs inside the caller's transaction. The lines saying
    what changed: 'ex01: handed in 2026-10-01 21:00 (timestamps CSV), not 2026-12-06 10:00
    (file times)'. A timestamps CSV's time LATER than one recorded from a timestamps CSV too
    replaces it where the student's submission is, whole, the very one that file was handed
    in with (`content_hash`: nothing of hers changed since): the CSV is the LMS's record of
    that hand-in ('..., not 2026-10-01 20:00 (timestamps CSV): later, as the LMS records this
    same work'). Where anything else of hers changed, a later CSV time is that of the newer
    work, and the file keeps its first time. `zone`: the course's, for the times said."""
    out = []
    row = db.execute("SELECT id FROM students WHERE name = ?", (student,)).fetchone()
    if row is None:
        return out
    for ex, (digest, text, where) in sorted(found.items()):
        if not digest or not text:
            continue
        rows = db.execute(
            "SELECT g.submission_id, g.submitted_at, COALESCE(g.submitted_from, "
            "s.submitted_from) AS source, s.content_hash FROM graded_exercises g JOIN "
            "submissions s ON s.id = g.submission_id WHERE s.student_id = ? AND g.exercise = ? "
            "AND g.file_hash = ? ORDER BY s.id", (row[0], ex, digest)).fetchall()
        wrong = [r for r in rows if better(text, where, r[1], r[2])]
        later = not wrong and _recorded_later(rows, text, where, content_hash)
        if later:
            wrong = list(rows)
        if not wrong:
            continue
        for r in wrong:
            db.execute("UPDATE graded_exercises SET submitted_at = ?, submitted_from = ? "
                       "WHERE submission_id = ? AND exercise = ?", (text, where, r[0], ex))
            db.execute("UPDATE submissions SET submitted_at = (SELECT MAX(submitted_at) FROM "
                       "graded_exercises WHERE submission_id = ?) WHERE id = ?", (r[0], r[0]))
        old = wrong[-1]
        out.append(f"{ex}: handed in {_short(text, zone)} ({where}), "
                   + (f"not {_short(old[1], zone)} ({old[2] or 'time not known'})"
                      if moment(old[1]) else "no time known before")
                   + (": later, as the LMS records this same work" if later else ""))
    return out


def _recorded_later(rows, text, where, content_hash) -> bool:
    """Does a timestamps CSV's time `text` move the recorded times of `rows` (every grading of
    one file) later? Only where each was recorded from a timestamps CSV, earlier, and in a
    submission that is, whole, the student's submission now (`content_hash`)."""
    when = moment(text)
    if where != FROM_CSV or not content_hash or not rows or when is None:
        return False
    if any(r[3] != content_hash or r[2] != FROM_CSV for r in rows):
        return False
    times = [moment(r[1]) for r in rows]
    return all(t is not None for t in times) and when > max(times)


def rank(where) -> int:
    """How far a hand-in time from `where` is trusted (handed_in.RANK; 0: not known). A
    submission's joined sources ('nbgrader timestamp.txt, file times') rank as their least."""
    parts = [p.strip() for p in str(where or "").split(",") if p.strip()]
    return min((RANK.get(p, 0) for p in parts), default=0)


def better(when, where, then, there) -> bool:
    """Does the hand-in time `when` (from `where`) replace `then` (from `there`) for the same
    content? Where `then` is known: only from a more trusted source, or an earlier time from
    one as trusted."""
    if when is None or moment(when) is None:
        return False
    if then is None or moment(then) is None:
        return True
    if rank(where) != rank(there):
        return rank(where) > rank(there)
    return moment(when) < moment(then)


def _short(text, zone=None) -> str:
    """'2026-10-01 21:00'; with the course's `zone`, in it and named: '2026-10-01 23:00 CEST'."""
    when = moment(text)
    if when is None:
        return "no time"
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if zone else \
        when.strftime("%Y-%m-%d %H:%M")


def csv_time_not_for(db, student, when, files, content_hash) -> set:
    """Which exercises of `files` ({exercise: file hash}) a timestamps CSV's time `when` is NOT
    the hand-in time of. A CSV time is the LMS's time of the work it was downloaded with: where
    the gradebook already holds that very time from a CSV for other work of hers (another
    submission, not hers as it is now: `content_hash`), the time is that work's, and it is the
    time only of the exercises whose very file that work held. Week 1's CSV (amy 10-01) given
    again after week 2's run (amy's ex02 at 10-20): ex02 is not moved to 10-01. A time new to
    the gradebook, or recorded with her submission as it is now, is the time of all of it."""
    row = db.execute("SELECT id FROM students WHERE name = ?", (student,)).fetchone()
    at = moment(when)
    if row is None or at is None or not content_hash:
        return set()
    held: dict = {}          # submission -> (its content, {exercise: file hash})
    for sub, content, ex, digest, text in db.execute(
            "SELECT s.id, s.content_hash, g.exercise, g.file_hash, g.submitted_at FROM "
            "graded_exercises g JOIN submissions s ON s.id = g.submission_id WHERE "
            "s.student_id = ? AND COALESCE(g.submitted_from, s.submitted_from) = ?",
            (row[0], FROM_CSV)):
        if moment(text) == at:
            held.setdefault(sub, (content, {}))[1][ex] = digest
    if not held or any(content == content_hash for content, _ in held.values()):
        return set()
    return {ex for ex, digest in files.items()
            if not any(digest and had.get(ex) == digest for _, had in held.values())}
