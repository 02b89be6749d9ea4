"""Grade a whole class: every submission in a folder, in parallel, into an SQLite gradebook.

    summary = grade_class("submissions/", db="gradebook.db", jobs=2, html_dir="feedback/")
    print(summary.line())

A class folder holds one entry per student:
  - a folder `alice/` with her exNN_*.py files or notebooks (nested folders are looked into),
  - or a zip `bob.zip` (read safely: no absolute or `..` paths, no links, size caps),
  - or nbgrader's tree `submitted/STUDENT/ASSIGNMENT/exNN_*.ipynb` (give the course folder or
    its `submitted/` folder): one student's assignment folders together form her submission.

Parallelism is several grading processes (`jobs`), each with its own worker zygote, each grading
one submission after another (pytest is not thread-safe); this process writes the gradebook, one
transaction per submission. A submission already graded for every exercise asked with the same
content and grader version (in this run or any earlier one: Gradebook.to_grade; with the same
seed too where `seed` is given) is skipped (unless `force`), so a run that was killed goes on
where it stopped when started again, and next week's run for ex03 grades ex03 of an unchanged
submission; of a changed one, only the exercises whose file changed are graded
(Gradebook.graded_files), and each unchanged file keeps the time it was first handed in. Nothing in the gradebook is replaced:
each grading is added to the history, and the latest grading of each exercise counts (unless a
reading asks for another policy: grader.classroom.gradebook_read.Policy). One grading request (grader.engine.request.GradeRequest) serves the
whole class: built once, in `grade_class`, it reaches the grading processes as plain data.

Every entry of the class folder is a student's, whatever its name, unless it is what tools leave
(__MACOSX/, .git/: staging.NOT_STUDENTS), hidden ('.alice': left out, with a note), or this
grader's own output, known by identity (Outputs), never by name: the gradebook and the files
SQLite keeps beside it (their inodes, and the gradebook's mark: gradebook_files.inspect), the
feedback pages' folder (a marker file holding a secret of the gradebook), the CSV export, the
run's temporary folder. No output is ever written into a student's entry: a gradebook, CSV or
pages' folder the instructor names there is refused (OutputRefused, one line, exit 2); the
default gradebook, when its name is taken, is kept in a private folder of the user's
(gradebook.kept_path), said where, and every student is graded. Entries are filed under names
that never read alike (file_names), and a name stays with the entry graded under it from run to
run.

Who does what (grader.classroom): entries (the class folder's entries, Outputs, gather), filing
(the names entries are filed under), outputs (the gradebook, pages and CSV a run writes), roster
(who is who from run to run), process (THE grading process: a local job's and a Dask worker's),
pool (the local grading processes), cluster (the same on Dask), progress (the bar), and here:
the run itself, and the recording of each result (this process is the gradebook's one writer).
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections import deque
from pathlib import Path

from grader.classroom import gradebook_files as gradebooks
from grader.classroom.class_run import ClassRun
from grader.classroom.course_file import CourseError, check_extensions
from grader.classroom.downloads import lms_names, remember_users
from grader.classroom.entries import (Outputs, class_entries, class_folder_notes, entry_paths,
                                      exercise_hashes, gather, list_class,
                                      submissions_folder)
from grader.classroom.feedback import page_name
from grader.classroom.gradebook_schema import stored_name
from grader.classroom.handed_in import (FROM_FILE, handed_in_each, match_timestamps,
                                        older_csv)
from grader.classroom.interrupt import check, watching
from grader.classroom.outputs import (holders, open_gradebook, pages_folder, same_path, within,
                                      write_csv)
from grader.classroom.pool import run_tasks
from grader.classroom.process import Job
from grader.engine.service import error_result
from grader.classroom.progress import Bar
from grader.classroom.roster import (NamesError, apply_names, class_rows, moves,
                                     no_names_in_common, other_folders, remember_names,
                                     with_remembered)
from grader.engine.request import GradeRequest
from grader.sandbox import staging, sweep_stale_temp
from grader.sandbox.safetext import LINE, clean

# What grader.classroom.run offers: the class run, and the names its callers read from here.
__all__ = ["ClassRun", "DEFAULT_TIMEOUT", "NoDevice", "Outputs", "class_entries", "default_jobs",
           "gather", "grade_class"]

DEFAULT_TIMEOUT = 600.0          # wall-clock seconds for grading one whole submission


# ----------------------------------------------------------------------------------------------
# the class run (what it did: grader.classroom.class_run.ClassRun)

def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


class EmptyClassFolder(RuntimeError):
    """The class folder holds no entry at all (the command line: one error line, exit 2)."""


class NoDevice(RuntimeError):
    """--device cuda on a machine without a GPU, graded here (the command line: one error line,
    exit 2). Its cuda checks could not run: every student would lose their points, and that
    grading would count over the full one. Nothing is graded; the gradebook is untouched."""


def grade_class(folder, *, db=None, jobs=None, seed=None, exercises=None,
                device="all", html_dir=None, force=False, timeout=DEFAULT_TIMEOUT,
                progress=True, cluster=None, cluster_timeout=30.0, on_event=None,
                csv=None, course=None, timestamps=None, names=None) -> ClassRun:
    """Grade every submission in `folder` into the gradebook `db`; see the module docstring.
    `db`: None for the default, gradebook.db in the current folder, or, where that name is
    taken, the folder's kept gradebook (open_gradebook). `cluster`: a Dask scheduler's address
    or scheduler file (docs/cluster.md); the grading runs there, the gradebook is still written
    here. `on_event(event, student)` hears a cluster run's "done", "failed" and "retried".
    `csv`: also export the grades there; where that path is taken, run.csv_problem says why
    (the grades stay in the gradebook). OutputRefused, before anything is graded: a gradebook
    or pages' folder that was named is taken (a folder, a student's entry, another program's
    database). `course`: the course (grader.classroom.course_file.Course) whose assignments,
    due dates and late policy the pages show; `timestamps`: {student: when handed in}, from
    an LMS's CSV (grader.classroom.handed_in: each exercise's time is read from nbgrader's
    timestamp.txt, else from these, else from its file's time); `names`: a map of names
    (grader.classroom.roster.read_names: {folder: (student, line)}) that files the entries it
    names under the gradebook's students (NamesError, before anything is graded, where it
    names a student the gradebook does not hold, or two entries as one student); the
    gradebook remembers it, and files those entries so at later runs without it."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no such class folder: {folder}")
    if device == "cuda" and not cluster:     # a cluster's workers are started with a GPU
        from grader.sandbox import device as devices
        if not devices.cuda_available():
            raise NoDevice("--device cuda, but CUDA is not available on this machine: its "
                           "cuda checks cannot run, and grades without them would replace "
                           "full ones. Nothing graded; run it where a GPU is (or --cluster "
                           "with GPU workers), or leave out --device")
    asked = dict(db=db, jobs=jobs, seed=seed, exercises=exercises, device=device,
                 html_dir=html_dir, force=force, timeout=timeout, progress=progress, csv=csv,
                 course=course, timestamps=timestamps or {}, names=names)
    with watching():     # Ctrl-C stops the run at its next step, even where it was swallowed
        if not cluster:
            return _grade_class(folder, **asked)
        from grader.classroom.cluster import client_for
        client = client_for(str(cluster), timeout=cluster_timeout)
        try:
            return _grade_class(folder, client=client, on_event=on_event, **asked)
        finally:
            client.close()


def _grade_class(folder, *, db, jobs, seed, exercises, device, html_dir, force, timeout,
                 progress, csv, course, timestamps, names=None, client=None,
                 on_event=None) -> ClassRun:
    jobs = max(1, int(jobs or default_jobs()))
    if client is not None:
        jobs = max(1, len(client.scheduler_info().get("workers", {})))
    started = time.perf_counter()
    where = submissions_folder(folder)
    raw = [p for p, _ in entry_paths(where)]     # every entry, before the outputs are known
    if not raw:   # nothing to grade: no gradebook is made for it
        raise EmptyClassFolder(f"no submissions in {folder} (expected one folder or .zip per "
                               f"student, or nbgrader's submitted/STUDENT/ASSIGNMENT/): nothing "
                               f"graded, no gradebook written")
    book, notes = open_gradebook(db, folder)
    try:
        outputs = Outputs(book.files(), book.pages_token(), book.exports())
        for holder in holders(book.path, where):
            outputs.add(holder)
        if html_dir:
            html_dir = pages_folder(Path(html_dir), folder, where, raw, outputs)
    except BaseException:
        book.discard()
        raise
    try:
        request = GradeRequest(exercises=exercises or (), device=device,
                               seed=seed)   # a new random one unless the instructor gives one
        book.set_meta("seed", request.seed)          # the last run's: the summary page shows it
        shown_db = str(db) if db is not None and same_path(book.path, db) else gradebooks.DEFAULT \
            if same_path(book.path, Path.cwd() / gradebooks.DEFAULT) else str(book.path)
        run = ClassRun(folder=str(folder), db=shown_db, seed=request.seed, jobs=jobs,
                       html_dir=str(html_dir) if html_dir else None)
        run.notes += notes
        if within(tempfile.gettempdir(), folder):
            run.notes.append(f"the temporary folder ({staging.shown(tempfile.gettempdir())}) "
                             f"lies in the class folder: folders a killed run left there are "
                             f"not swept (they could be a student's); set TMPDIR elsewhere")
        else:
            sweep_stale_temp("grader-class-")
        work = Path(tempfile.mkdtemp(prefix=f"grader-class-{os.getpid()}-"))
        outputs.add(work)
        try:
            try:
                _grade_entries(run, book, request, folder=folder, where=where,
                               outputs=outputs, work=work, jobs=jobs, html_dir=html_dir,
                               force=force, timeout=timeout, progress=progress, client=client,
                               on_event=on_event, course=course, timestamps=timestamps,
                               asked_seed=seed, names=names)
            except (CourseError, NamesError):   # refused before anything was graded
                book.discard()
                raise
            if csv:
                write_csv(book, Path(csv), where, raw, outputs, run, named_db=db is not None,
                          course=course)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    finally:
        book.close()
    run.seconds = time.perf_counter() - started
    return run


def _grade_entries(run: ClassRun, book, request: GradeRequest, *, folder, where, outputs, work,
                   jobs, html_dir, force, timeout, progress, client, on_event, course=None,
                   timestamps=None, asked_seed=None, names=None):
    """List and gather the class, grade what is not graded yet (locally or on the cluster),
    and write the class's summary page. What was graded before with the same content is
    skipped whatever its seed, unless the instructor asked for a seed (`asked_seed`)."""
    rows = class_rows(book, folder, where)
    entries, notes = list_class(folder, outputs, rows)
    names = with_remembered(names, book)    # the maps given before, and --names
    if names:       # entries filed as the gradebook names them
        entries, said = apply_names(entries, names, book.students())
        notes += said
    run.notes += notes + class_folder_notes(folder, outputs)
    run.total = len(entries)
    run.students = [s for s, _ in entries]
    if course is not None:      # an extension for nobody: the course file's error, before
        run.notes += check_extensions(course, set(run.students) | set(book.students()) |
                         {n for _, p in entries for n in (getattr(p, "name", ""),
                                                          Path(getattr(p, "name", "")).stem)})
    # the run holds the gradebook from here (GradebookBusy while another one writes it)
    run_id = book.begin_run(os.path.abspath(folder), request.seed, request.exercises, jobs)
    if names:
        remember_names(book, names)      # for the next run and `similarity`
    run.notes += no_names_in_common(book, entries) + other_folders(book, entries, folder, where) \
        + moves(rows, entries, book, where, names.applied if names else ())
    remember_users(book, entries)     # Canvas user ids, for export --lms canvas
    tasks, handed, by_file_time = [], {}, []
    stamps = timestamps or {}
    zone = course.zone() if course is not None else None    # for nbgrader's timestamp.txt
    stamps, said = match_timestamps(stamps, [(s, getattr(p, "name", None), *lms_names(p))
                                             for s, p in entries])
    run.notes += said
    for i, (student, path) in enumerate(entries):
        check()
        # each exercise of an nbgrader student from its own assignment folder (staging.collect)
        entry = gather(student, path, work / f"{i:05d}")
        stamp = stamps.get(student)
        each = handed_in_each(path, entry.files, stamp, zone, entry.exercises)
        files = exercise_hashes(entry)
        if stamp is not None:     # another hand-in's time: only for the work handed in then
            each, line = older_csv(book, student, each, files, entry.content_hash, path,
                                    entry.files, stamp, zone, entry.exercises)
            run.notes += [clean(f"{student}: {line}", LINE, lines=False)] if line else []
        handed[student] = each, files
        if book.file_times_used(student, {ex: files.get(ex) for ex, (_, where) in each.items()
                                          if where == FROM_FILE}):
            by_file_time.append(student)
        moved = rows.get(student) not in (None, staging.printable(path.name))
        # work graded before, read again: a better hand-in time (a timestamps CSV where file
        # times were recorded) corrects the recorded one, regraded or not, and says so
        run.notes += [clean(f"{student}: {line}", LINE, lines=False) for line in
                      book.correct_times(student, {ex: (files.get(ex), when, where)
                                                   for ex, (when, where) in each.items()},
                                         entry.content_hash, zone)]
        # what is left to grade: nothing if this very submission was graded; else the
        # exercises whose file is new (an unchanged file keeps its grading and its time)
        left = [] if force or moved else book.to_grade(student, entry.content_hash,
                                                       request.exercises, request.device,
                                                       asked_seed)
        if left and entry.folder is not None:
            done = book.graded_files(student, files, request.device, asked_seed)
            left = [ex for ex in left if ex not in done]
            if left and len(left) < len(request.exercises):
                entry.only = left        # grade these alone (_readable_tasks)
        if not force and not moved and not left:
            run.skipped += 1
            shutil.rmtree(work / f"{i:05d}", ignore_errors=True)
            # with a course, the page again: an assignment may have come due since
            if html_dir and (course is not None or
                             not (Path(html_dir) / page_name(student)).exists()):
                _page_from_book(book, student, html_dir, course)
            continue
        tasks.append(entry)
    if course is not None and by_file_time:     # the late policy reads times she can set
        one = len(by_file_time) == 1
        run.notes.append(clean(
            (f"1 student's hand-in times are her files' own times ({by_file_time[0]})" if one
             else f"{len(by_file_time)} students' hand-in times are their files' own times "
                  f"(e.g. {by_file_time[0]})")
            + ", which a student can set (unzip keeps the dates in her zip): give your LMS's "
              "times with --timestamps, or grade nbgrader's submitted/ tree", LINE,
            lines=False))
    job = Job(request.to_dict(), html_dir=str(html_dir) if html_dir else None,
              jobs=min(jobs, max(1, len(tasks))), references=str(work / "references"))
    run.jobs = job.jobs
    if client is not None:
        run.cluster = str(client.scheduler.address)

    def record(task, result, page=False):
        _record(book, task, result, run, run_id, request, job, page=page,
                handed=handed.get(task["student"]), course=course)

    _grade_tasks(tasks, record, run, request, job, timeout=timeout, progress=progress,
                 client=client, on_event=on_event)
    book.finish_run(run_id, run.graded, run.skipped)
    if course is not None:      # who was late, and late work that counts over better work
        from grader.classroom.course_grades import course_lines
        run.notes += course_lines(book, course, request.exercises, run.students,
                                  [e.student for e in tasks])
    # the class mean of what this run counts: its exercises (all of them where none was
    # asked), out of their points, not those of every exercise the gradebook ever graded
    exercises, rows, maxes = book.table()
    asked = set(request.exercises)
    counted = [ex for ex in exercises if not asked or ex in asked]
    mine = set(run.students)
    scores = {name: mine_ for name, mine_, _ in rows if name in mine}
    totals = [sum(s[ex] for ex in counted) for s in scores.values()]
    run.mean = sum(totals) / len(totals) if totals else 0.0
    run.max_score = sum(maxes[ex] for ex in counted)
    if course is not None:
        from grader.classroom.course_grades import run_means
        run.course_means = run_means(book, course, scores, counted)
    if html_dir:
        from grader.classroom.summary import write_summary
        try:
            write_summary(book, Path(html_dir) / "summary.html", course=course)
        except Exception as exc:  # noqa: BLE001 - the grades stand without the summary
            run.notes.append(f"summary.html was not written: {type(exc).__name__}: "
                             f"{staging.shown(str(exc), quote=False, limit=200)}")


# ----------------------------------------------------------------------------------------------
# grading and recording: this process is the gradebook's one writer

def _grade_tasks(tasks, record, run: ClassRun, request: GradeRequest, job: Job, *, timeout,
                 progress, client, on_event):
    """Grade the gathered submissions: those that could not be read are recorded at once, the
    others by the local pool (grader.classroom.pool) or on the Dask cluster
    (grader.classroom.cluster), each result recorded here as it arrives (`record`)."""
    tasks = _readable_tasks(tasks, record, request)
    if not tasks:
        return
    bar = Bar(len(tasks) + run.graded, progress, done=run.graded)
    try:
        if client is None:
            run_tasks(tasks, request, job, timeout, record, bar)
        else:
            _run_on_cluster(tasks, record, request, timeout, bar, client, on_event)
    finally:
        bar.close()


def _readable_tasks(tasks, record, request: GradeRequest) -> deque:
    """Record the submissions that could not be read (no grading needed); the others, as
    tasks for the grading processes or the cluster."""
    for entry in tasks:
        if entry.error:
            task = {"student": entry.student, "source": staging.printable(entry.source),
                    "folder": "", "hash": entry.content_hash,
                    "notes": list(entry.problems) + [entry.error]}
            record(task, error_result(task["source"], request, entry.error), page=True)
    return deque({"student": e.student, "folder": str(e.folder),
                  "source": staging.printable(e.source),
                  "hash": e.content_hash, "notes": list(e.problems),
                  **({"request": GradeRequest.from_dict({**request.to_dict(),
                                                         "exercises": list(e.only)}).to_dict()}
                     if getattr(e, "only", None) else {})}
                 for e in tasks if not e.error)


def _run_on_cluster(tasks, record, request: GradeRequest, timeout, bar: Bar, client,
                    on_event=None):
    """The same, on a Dask cluster (grader.classroom.cluster): this process records each result
    as it arrives, and writes the feedback pages from the gradebook."""
    from grader.classroom.cluster import run_on_cluster

    def event(name, task):
        if name in ("done", "failed"):
            bar.advance(task["student"])
        bar.count(name)
        if on_event is not None:
            on_event(name, task["student"])

    def record_here(task, result):     # its page written here, from the gradebook
        record(task, result, page=True)

    run_on_cluster(list(tasks), client, request, record_here, progress=event, timeout=timeout)


def _record(book, task, result, run, run_id, request: GradeRequest, job: Job, page=False,
            handed=None, course=None):
    each, files = handed or ({}, {})
    times = {ex: when for ex, (when, _) in each.items()}
    where = ", ".join(dict.fromkeys(w for _, w in each.values()))
    book.record(task["student"], result, content_hash=task["hash"], run_id=run_id,
                source=task["source"], device=request.device, notes=task.get("notes", ()),
                handed_in=times, submitted_from=where or None,
                handed_from={ex: w for ex, (_, w) in each.items()}, files=files)
    run.notes += [clean(f"{task['student']}: {n}", LINE, lines=False)
                  for n in task.get("notes", ())]
    if job.html_dir and not page and course is not None:    # its assignments: the book's
        page = True
    if job.html_dir and not page:
        # the grading process wrote the page of this grading alone: where the student's
        # grades hold other exercises (graded by earlier runs), her page shows them all
        counted = book.result(task["student"])
        page = counted is not None and bool(set(counted.exercises) - set(result.exercises))
    if page and job.html_dir:
        _page_from_book(book, task["student"], job.html_dir, course)
    if task["folder"]:
        shutil.rmtree(task["folder"], ignore_errors=True)
    run.graded += 1
    if result.errors:
        run.failed += 1
    check()      # recorded first: a Ctrl-C swallowed while it was graded ends the run here


def _page_from_book(book, student, html_dir, course=None):
    try:
        from grader.classroom.feedback import write_page
        assignments = None
        if course is not None:
            from grader.classroom.course_grades import course_grades, page_rows
            assignments = page_rows(course_grades(book, course, student=student).get(
                stored_name(student), []))
        write_page(book.result(student), Path(html_dir) / page_name(student), student=student,
                   notes=book.notes(student), assignments=assignments,
                   zone=course.zone() if course is not None else None)
    except Exception:  # noqa: BLE001 - the grade stands without its page
        pass
