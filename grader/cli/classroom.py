"""The class verbs of the command line: grade-class, export, demo.

    python -m grader grade-class submissions/ --jobs 2 --html-dir feedback/
    python -m grader export --csv grades.csv
    python -m grader demo --out demo-class/
"""
from __future__ import annotations

import sqlite3
import sys
from pathlib import Path


def add_verbs(verbs) -> dict:
    g = verbs.add_parser(
        "grade-class", help="grade every submission in a folder into an SQLite gradebook",
        description="Grade every submission in SUBMISSIONS (one folder or .zip per student, or "
                    "nbgrader's submitted/STUDENT/ASSIGNMENT/ tree) in parallel into an SQLite "
                    "gradebook. Every graded submission is kept; a run adds the exercises it "
                    "grades and leaves the others' grades as they were. A submission already "
                    "graded for these exercises with the same content and grader is "
                    "skipped, so an interrupted run goes on where it stopped.")
    g.add_argument("submissions", help="the class folder")
    g.add_argument("--jobs", "-j", type=int, default=None,
                   help="grading processes, at least 1 (default: one per core)")
    g.add_argument("--db", default=None,
                   help="the gradebook (default: gradebook.db here; where that name is taken, "
                        "e.g. by a student's folder, a private one that the run names)")
    g.add_argument("--seed", type=int, default=None,
                   help="seed of the hidden checks' inputs (default: a new one every run, so a "
                        "resubmission meets new hidden inputs; given, a submission graded "
                        "with another seed is graded again)")
    g.add_argument("--exercises", default=None,
                   help="e.g. ex01,ex02 (default: the course file's, else all)")
    g.add_argument("--device", default="all", choices=("cpu", "cuda", "all"),
                   help="the device of the device checks (default: all; cuda needs a GPU "
                        "here or on the --cluster's workers, else nothing is graded)")
    g.add_argument("--html-dir", default=None, metavar="DIR",
                   help="write a feedback page per student and summary.html into DIR")
    g.add_argument("--force", action="store_true",
                   help="regrade submissions that are already in the gradebook")
    g.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="wall-clock limit for grading one submission, at least 1 "
                        "(default: 600)")
    g.add_argument("--csv", default=None, metavar="PATH",
                   help="also export the grades as CSV ('-': stdout)")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    g.add_argument("--cluster", default=None, metavar="ADDRESS",
                   help="grade on a Dask cluster: its scheduler (tcp://host:8786) or a "
                        "scheduler file (docs/cluster.md)")
    g.add_argument("--course", default=None, metavar="PATH",
                   help="the course file: assignments, due dates, late policy, extensions "
                        "(default: course.toml beside the class folder; docs/course.md)")
    g.add_argument("--timestamps", default=None, metavar="CSV",
                   help="when each student handed in, from an LMS download: columns "
                        "student,submitted_at (nbgrader's timestamp.txt comes first, the "
                        "files' own times last)")
    g.add_argument("--names", default=None, metavar="CSV",
                   help="file entries under the gradebook's names: columns folder,student, "
                        "e.g. 'Alice Smith,asmith' (a class folder that names students "
                        "otherwise, as another LMS's export; docs/course.md); the gradebook "
                        "remembers it for later runs")

    e = verbs.add_parser("export", help="write the gradebook as CSV: one row per student",
                         description="One row per student, a column per exercise, the total. "
                                     "The gradebook keeps every graded submission; for each "
                                     "student and exercise, --policy picks the one that "
                                     "counts.")
    e.add_argument("--csv", default=None, metavar="OUT",
                   help="the CSV file to write ('-': stdout); an existing path must be a "
                        "regular file (it is replaced whole)")
    e.add_argument("--lms", default=None, choices=("canvas", "moodle"),
                   help="write the grades for an LMS to import instead (docs/course.md): "
                        "canvas fills in --roster, the gradebook CSV Canvas exports; moodle "
                        "writes an identifier column (--id) and one column per grade item")
    e.add_argument("--roster", default=None, metavar="CSV",
                   help="with --lms: the LMS's own export (Canvas: Grades > Export; Moodle: "
                        "its grade export, optional) whose students are matched")
    e.add_argument("--id", default=None, choices=("username", "email", "idnumber"),
                   help="with --lms moodle: the identifier column (default: username)")
    e.add_argument("--out", default=None, metavar="OUT",
                   help="with --lms: the file to write ('-': stdout; default: canvas-grades.csv "
                        "or moodle-grades.csv)")
    e.add_argument("--policy", default="latest", choices=("latest", "best"),
                   help="which graded submission counts: the latest (default) or the best")
    e.add_argument("--before", default=None, metavar="TIME",
                   help="count only submissions handed in at or before TIME (ISO 8601, e.g. "
                        "2026-10-01T23:59; a date alone is its midnight, 00:00; with a course "
                        "file, in its time_zone); where the hand-in time is not known, the "
                        "time it was graded")
    e.add_argument("--course", default=None, metavar="PATH",
                   help="the course file (default: course.toml here, if any): a column per "
                        "assignment with its penalised score, raw score and how late; "
                        "--before due counts each student's work up to her own due date")
    e.add_argument("--history", action="store_true",
                   help="write every graded submission instead: one row per student, "
                        "submission and exercise, with its content hash, times, seed, grader "
                        "version, score and whether it counts (not with --lms: an LMS "
                        "imports one grade per student)")
    e.add_argument("--db", default=None,
                   help="the gradebook (default: gradebook.db here, or the one grade-class "
                        "kept for this folder)")

    d = verbs.add_parser(
        "demo", help="grade a generated demo class and print its score table",
        description="Write a demo class (the references, the stubs, and students with planted "
                    "mistakes) into --out, grade it into OUT/gradebook.db, print the score "
                    "table and write OUT/feedback/summary.html.")
    d.add_argument("--out", default="demo_class", metavar="DIR",
                   help="where the class, gradebook and pages go (default: demo_class)")
    d.add_argument("--jobs", "-j", type=int, default=None)
    d.add_argument("--exercises", default=None, help="e.g. ex01,ex02 (default: all)")
    d.add_argument("--seed", type=int, default=None)
    d.add_argument("--no-progress", action="store_true", help="no progress bar")
    return {"grade-class": cmd_grade_class, "export": cmd_export, "demo": cmd_demo,
            **add_similarity(verbs)}


MIN_TIMEOUT = 1.0       # seconds: below this no submission could be graded at all


def _wrong_limits(args) -> str:
    """What is wrong with --jobs or --timeout ('' when nothing): a run that could grade no
    one is refused before it starts ('--jobs 0' or '--timeout 0.001' would record every
    student as failed)."""
    import math
    if args.jobs is not None and args.jobs < 1:
        return f"--jobs {args.jobs}: at least 1 grading process (e.g. --jobs 2)"
    if args.timeout is not None and not (math.isfinite(args.timeout)
                                         and args.timeout >= MIN_TIMEOUT):
        return (f"--timeout {args.timeout:g}: seconds to grade one submission, at least "
                f"{MIN_TIMEOUT:g} (default 600; e.g. --timeout 300)")
    return ""


def cmd_grade_class(args) -> int:
    folder = Path(args.submissions)
    if not folder.is_dir():
        print(f"error: no such class folder: {folder}", file=sys.stderr)
        return 2
    wrong = _wrong_limits(args)
    if wrong:
        print(f"error: {wrong}", file=sys.stderr)
        return 2
    loaded = _load_course(args.course, folder, args.timestamps)
    if loaded is None:
        return 2
    names = None
    if args.names:
        from grader.classroom.roster import NamesError, read_names
        try:
            names = read_names(args.names)
        except NamesError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    try:
        return _graded(args, folder, loaded, names)
    except KeyboardInterrupt:     # Ctrl-C: one line; what was recorded stays recorded
        print("interrupted: every submission graded so far stays in the gradebook, and the run "
              "is marked interrupted; run the same command again to grade the rest",
              file=sys.stderr)
        return 130


def _graded(args, folder, loaded, names=None) -> int:
    from grader.classroom.run import DEFAULT_TIMEOUT, EmptyClassFolder, NoDevice, grade_class
    from grader.exercises import parse_list
    from grader.classroom.gradebook import OutputRefused
    exercises = parse_list(args.exercises)
    if args.exercises is None and loaded[0] is not None:   # the course's, not all twelve
        exercises = sorted({ex for a in loaded[0].assignments for ex in a.exercises})
    try:
        run = grade_class(folder, db=args.db, jobs=args.jobs, seed=args.seed,
                          exercises=exercises, device=args.device,
                          html_dir=args.html_dir, force=args.force,
                          timeout=args.timeout or DEFAULT_TIMEOUT, progress=not args.no_progress,
                          cluster=args.cluster, csv=args.csv,
                          course=loaded[0], timestamps=loaded[1], names=names)
    except OutputRefused as exc:   # a named gradebook or pages' folder is taken: nothing graded
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except sqlite3.DatabaseError as exc:   # a gradebook damaged while the run went on
        print(f"error: the gradebook cannot be read or written ({exc}); grades recorded "
              f"before stay in it", file=sys.stderr)
        return 2
    except (EmptyClassFolder, NoDevice) as exc:   # nothing graded: one line, no gradebook made
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:   # the grading processes could not start, no cluster
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:     # the course file or --names does not fit the class
        from grader.classroom.course_file import CourseError
        from grader.classroom.roster import NamesError
        if not isinstance(exc, (CourseError, NamesError)):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not run.total:
        print(f"error: no submissions in {folder} (expected one folder or .zip per student)",
              file=sys.stderr)
        return 2
    said = sys.stderr if args.csv == "-" else sys.stdout     # the CSV alone on stdout
    print(run.line(penalties=True), file=said)
    for note in run.notes:
        print(f"  note: {note}", file=said)
    if args.html_dir:
        print(f"feedback pages and summary.html in {args.html_dir}", file=said)
    if run.csv:
        print(f"wrote {'stdout' if run.csv == '-' else run.csv}", file=said)
    if run.csv_problem:
        print(f"error: {run.csv_problem}", file=sys.stderr)
        return 2
    return 0


def cmd_export(args) -> int:
    from grader.classroom.gradebook import OutputRefused, default_gradebook
    try:
        book, note = default_gradebook(args.db)
    except OutputRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except sqlite3.DatabaseError as exc:
        print(f"error: the gradebook cannot be read ({exc}); nothing was written",
              file=sys.stderr)
        return 2
    from grader.classroom.roster import unlisted_students
    from grader.sandbox.staging import shown
    if args.before is not None:
        from grader.classroom.gradebook_read import moment
        if args.before != "due" and moment(args.before) is None:
            book.close()
            print(f"error: --before {shown(args.before)} is not a time (ISO 8601, e.g. "
                  f"2026-10-01T23:59)", file=sys.stderr)
            return 2
    loaded = _load_course(args.course, None, None)
    if loaded is not None and loaded[0] is not None and args.before not in (None, "due"):
        from datetime import datetime          # read in the course's time zone, as its dates
        given = datetime.fromisoformat(args.before.strip().replace("Z", "+00:00"))
        if given.tzinfo is None:
            args.before = given.replace(tzinfo=loaded[0].zone()).isoformat()
    if loaded is None or (args.before == "due" and loaded[0] is None):
        book.close()
        if loaded is not None:
            print("error: --before due needs a course file (--course course.toml)",
                  file=sys.stderr)
        return 2
    to_stdout = args.csv == "-"
    if bool(args.csv) == bool(args.lms):
        book.close()
        print("error: give --csv OUT, or --lms canvas|moodle (e.g. --lms canvas --roster "
              "gradebook_export.csv)", file=sys.stderr)
        return 2
    if args.lms and args.history:    # an LMS imports one grade per student and assignment
        book.close()
        print("error: --history writes every graded submission, and an LMS imports one grade "
              "per student: export the history with --csv OUT --history, the grades with "
              "--lms alone (--policy and --before pick the submission that counts)",
              file=sys.stderr)
        return 2
    with book:
        if note:
            print(f"note: {note}", file=sys.stderr)
        if loaded[0] is None and not args.history:
            _say_course_left_out(book)
        if loaded[0] is not None:
            from grader.classroom.course_file import CourseError, check_extensions
            try:
                for line in check_extensions(loaded[0], book.students()):
                    print(f"note: {line}", file=sys.stderr)
            except CourseError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
        if args.lms:
            from grader.classroom.lms import export_command
            return export_command(book, args, loaded[0])
        try:
            n = _export(book, args, loaded[0])
        except (OutputRefused, OSError) as exc:
            print(f"error: --csv {exc}: nothing was written; the gradebook is unchanged. Name "
                  f"another file, e.g. --csv grades-export.csv", file=sys.stderr)
            return 2
        gone = unlisted_students(book)
    print(f"wrote {'stdout' if to_stdout else args.csv}: {n} "
          f"{'graded exercises of submissions' if args.history else 'students'}",
          file=sys.stderr if to_stdout else sys.stdout)
    if gone:   # rows whose entry was gone at their class folder's last run: a frozen grade
        names = ", ".join(shown(s) for s in gone[:10]) + \
            (f" and {len(gone) - 10} more" if gone[10:] else "")
        rows = "1 row of the CSV holds" if len(gone) == 1 else \
            f"{len(gone)} rows of the CSV hold"
        print(f"warning: {rows} the last grade of a student no entry of the class folder "
              f"maps to any more (at its last grade-class run): {names}", file=sys.stderr)
    return 0


def cmd_demo(args) -> int:
    from grader.instructor.demo import run_demo
    from grader.exercises import parse_list
    return run_demo(args.out, jobs=args.jobs, exercises=parse_list(args.exercises),
                    seed=args.seed, progress=not args.no_progress)


def add_similarity(verbs) -> dict:
    """`similarity`: the pairs of submissions most alike, per exercise, on a page to read.

        python -m grader similarity class1 --html feedback/similarity.html --archive term-2025
    """
    s = verbs.add_parser(
        "similarity", help="rank the pairs of submissions whose code is most alike (a page)",
        description="Per exercise, rank the pairs of submissions in CLASS by how much of their "
                    "code is alike once names, literals, comments and layout are set aside "
                    "(notebooks: their code cells; the stub's code never counts), and write "
                    "the top pairs side by side, matching regions highlighted, to an HTML "
                    "page. Nothing is run. The page is evidence for a person to read, never "
                    "a score. Named similarity.html in grade-class's --html-dir, the summary "
                    "page links it.")
    s.add_argument("submissions", metavar="CLASS", help="the class folder, as for grade-class")
    s.add_argument("--html", required=True, metavar="PATH", help="the page to write")
    s.add_argument("--exercises", default=None, help="e.g. ex01,ex02 (default: all)")
    s.add_argument("--archive", action="append", default=[], metavar="FOLDER",
                   help="a class folder of an earlier term: its submissions are compared with "
                        "this term's, never among themselves (repeat for several)")
    s.add_argument("--top", type=int, default=None, metavar="N",
                   help="pairs shown per exercise (default: 10)")
    s.add_argument("--names", default=None, metavar="CSV",
                   help="file entries under the gradebook's names, as grade-class --names "
                        "(columns folder,student); the maps grade-class was given before are "
                        "read from the gradebook")
    s.add_argument("--db", default=None,
                   help="the gradebook whose remembered map of names applies (default: "
                        "gradebook.db here, or the one grade-class kept for this folder, if "
                        "any)")
    return {"similarity": cmd_similarity}


def _similarity_names(args):
    """(the map of names similarity files entries by, or None; an error line, '' if none):
    --names, and the lines the gradebook remembers (--db, else this folder's, if any)."""
    from grader.classroom.gradebook import OutputRefused, default_gradebook
    from grader.classroom.roster import NamesError, read_names, with_remembered
    names = None
    try:
        if args.names:
            names = read_names(args.names)
        try:
            book, _ = default_gradebook(args.db)
        except (OutputRefused, sqlite3.DatabaseError) as exc:
            if args.db is not None:
                return None, f"--db {exc}"
            return names, ""          # no gradebook here: no remembered map
    except NamesError as exc:
        return None, str(exc)
    with book:
        return with_remembered(names, book), ""


def cmd_similarity(args) -> int:
    from grader.exercises import parse_list
    from grader.classroom import similarity as sim
    from grader.engine.report import count
    from grader.sandbox.staging import Refused
    folder = Path(args.submissions)
    if not folder.is_dir():
        print(f"error: no such class folder: {folder}", file=sys.stderr)
        return 2
    if args.top is not None and args.top < 1:
        print("error: --top must be 1 or more", file=sys.stderr)
        return 2
    names, wrong = _similarity_names(args)
    if wrong:
        print(f"error: {wrong}", file=sys.stderr)
        return 2
    from grader.classroom.roster import NamesError
    try:
        report = sim.similarity(folder, exercises=parse_list(args.exercises),
                                archives=args.archive, top=args.top or sim.TOP, names=names)
        sim.write_report(report, args.html, refuse_in=folder)
    except sim.NoSubmissions as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except NamesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (Refused, OSError) as exc:
        print(f"error: --html {exc}: nothing was written", file=sys.stderr)
        return 2
    for note in report.notes:
        print(f"  note: {note}")
    for ex, pairs in report.exercises.items():
        n = report.counts[ex][0]
        best = f"most alike: {pairs[0].a.student} & {pairs[0].b.student} " \
            f"({100 * pairs[0].score:.0f}%)" if pairs else "no shared code"
        print(f"{ex}: {count(n, 'submission')}, {best}" if n else f"{ex}: no submissions")
    print(f"wrote {args.html} (evidence to read, never a score)")
    from grader.classroom.summary import link_similarity
    if link_similarity(args.html):
        print(f"linked it from {Path(args.html).parent / 'summary.html'}")
    return 0


def _load_course(named, folder, timestamps):
    """(the course or None, {student: time}) for grade-class and export: --course PATH, else
    course.toml beside the class folder (export: here); None after saying why it cannot be
    used (exit 2)."""
    from grader.classroom.course_file import CourseError, find_course, load_course
    from grader.classroom.handed_in import TimestampsError, read_timestamps
    path = find_course(folder, named)
    try:
        course = load_course(path) if path is not None else None
        # a time without an offset: in the course's time zone where a course is in effect
        stamps = read_timestamps(timestamps, course.zone() if course else None) \
            if timestamps else {}
    except (CourseError, TimestampsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    if course is not None:
        from grader.engine.report import count
        print(f"note: course file {path}: {count(len(course.assignments), 'assignment')} "
              f"({', '.join(a.name for a in course.assignments)})", file=sys.stderr)
    return course, stamps


def _say_course_left_out(book) -> None:
    """One line where a course file lies beside the class folder or the gradebook and this
    export, without --course, does not apply it."""
    import os
    from grader.classroom.course_file import course_left_out
    from grader.sandbox.staging import shown
    place = course_left_out(book)
    if place is None:
        return
    try:
        named = os.path.relpath(place)
    except ValueError:
        named = str(place)
    named = shown(min(named, str(place), key=len), quote=False, limit=300)
    print(f"note: the course file {named} is not applied: this export has one column per "
          f"exercise, no due dates or late penalties; to apply it, export again with --course "
          f"{named}", file=sys.stderr)


def _export(book, args, course) -> int:
    if args.history:
        return book.export_history(args.csv, policy=args.policy,
                                   before=None if args.before == "due" else args.before)
    if course is None:
        return book.export_csv(args.csv, policy=args.policy, before=args.before)
    from grader.classroom.course_grades import export_course_csv
    return export_course_csv(book, course, args.csv, policy=args.policy, before=args.before)
