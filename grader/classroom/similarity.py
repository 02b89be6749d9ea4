"""The similarity report: per exercise, the pairs of submissions whose code is most alike, for a
person to read. It is evidence to look at, never a score or a verdict.

    report = similarity("class1", exercises=["ex02"], archives=["term-2025"])
    write_report(report, "feedback/similarity.html")

Each submission's exercise file is read as grade-class reads it (grader.classroom.entries:
class_entries lists the students, gather collects their exercise files; nothing outside the
class folder is read, no link is followed, sizes are capped) and never run: a notebook's code
cells are its code (grader.sandbox.notebooks.notebook_cells, check cells left out). The code is
written out again from its syntax tree first (normalised: `return (w) * (x) + (b)` is `return
w * x + b`; layout, line breaks inside brackets and comments go, and so do the lines that do
nothing, padding: `pass`, docstrings, unused assignments and imports, dead functions; code a
file runs from a string literal, `exec("...")`, is compared too), then normalised by
copydetect's tokeniser
(identifiers, function and class names become V, F, O; strings S; numbers, spelled as names
first, V too; whitespace dropped) and fingerprinted; a file that does not parse is compared as
written; the stub (exercises/exNN_*.py) is boilerplate, its lines blanked and its k-grams
dropped: what every student was handed matches nobody. Folders of earlier terms (archives) are
compared with this term's students, never among themselves.

A pair's similarity is the share of each side's normalised code that also appears in the other
(copydetect.compare_files); pairs rank by the larger share (Pair.weight: in proportion where
they share fewer than SHORT normalised characters). Pairwise comparison grows with the
square of the class (bench/bench_similarity.py): a cheap count of shared fingerprints picks the
candidates, and only those are compared in full.
"""
from __future__ import annotations

import bisect
import functools
import io
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from grader.engine.report import count
from grader.exercises import EXERCISES, module_of
from grader.classroom.entries import class_entries, gather
from grader.classroom.outputs import within
from grader.classroom.similarity_code import (literals_as_names, normalised,
                                              without_comments)
from grader.sandbox import staging
from grader.sandbox.safetext import clean

NOISE = 25           # k: a match shorter than this many normalised characters is never reported
GUARANTEE = 25       # a match this long is always found: every k-gram is kept (window 1), so a
                     # report does not change from run to run (Python salts its string hashes)
TOP = 10             # pairs shown per exercise (--top)
SHORT = 100          # a pair sharing fewer normalised characters ranks in proportion
CANDIDATES = 5       # candidates compared in full per pair shown
MAX_CODE_CHARS = 100_000    # of one file's code compared (a larger file: its start, noted;
                            # normalising 100 000 characters of short lines: 6 s, 80 MB)
CONTEXT = 3          # lines shown around a matching region
MAX_SHOWN_LINES = 250       # per side of one pair on the page
MAX_LINE_CHARS = 240
PAGE = "similarity.html"    # the report's name in a pages folder: the summary page links it
TEMPLATE = "similarity.html"
STUBS = Path(__file__).resolve().parents[2] / "exercises"


class NoSubmissions(ValueError):
    """The class folder holds no submission of the exercises asked for; str() says so."""


@dataclass
class Doc:
    """One submission's code of one exercise."""

    student: str          # as filed (grader.classroom.filing); an archive's: "TERM/student"
    file: str             # the exercise file's name, as handed in
    code: str             # the Python as handed in (a notebook's code cells), shown
    archive: str = ""     # the archive folder it came from ("" for this term)
    fingerprint: object = None
    compared: str = ""    # the code compared (normalised), "": `code` as it is
    lines: list | None = None   # per line of `compared`, the lines of `code` it stands for
                                # ((first, last), 1-based; None: none), None: `compared` is code

    def __post_init__(self):
        if not self.compared:
            self.compared, self.lines = normalised(self.code)


@dataclass
class Pair:
    a: Doc
    b: Doc
    share_a: float        # of a's normalised code, the part that also appears in b
    share_b: float
    tokens: int           # normalised characters in common
    slices_a: list = field(default_factory=list)   # [(start, end)] in a.code
    slices_b: list = field(default_factory=list)

    @property
    def score(self) -> float:
        return max(self.share_a, self.share_b)

    @property
    def weight(self) -> float:
        """What pairs rank by: the larger share, in proportion for a pair sharing fewer than
        SHORT normalised characters (two students who each wrote one obvious line share 100%
        of it, and little else)."""
        return self.score * min(1.0, self.tokens / SHORT)


@dataclass
class Report:
    folder: str
    exercises: dict = field(default_factory=dict)    # ex -> [Pair], best first ([]: none)
    counts: dict = field(default_factory=dict)       # ex -> (this term's files, archive's)
    notes: list = field(default_factory=list)
    students: int = 0
    archived: int = 0
    stubs: dict = field(default_factory=dict)        # ex -> the stub's lines, stripped
    top: int = TOP


# ----------------------------------------------------------------------------------------------
# reading: the class folder as grade-class reads it, code never run

def code_of(name: str, data: bytes) -> str:
    """The Python of one exercise file: a notebook's code cells one after the other (magics
    as `pass`, check cells left out), a .py file's text. ValueError for a broken notebook."""
    if name.lower().endswith(".ipynb"):
        import json
        from grader.sandbox.notebooks import notebook_cells
        try:
            nb = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise ValueError("not a valid notebook (not UTF-8 JSON)") from None
        if not isinstance(nb, dict):
            raise ValueError("not a valid notebook (not a JSON object)")
        try:
            return "\n".join(source for _label, source in notebook_cells(nb))
        except RecursionError:
            raise ValueError("not a valid notebook (nested too deeply)") from None
    return data.decode("utf-8", "replace")


def read_class(folder, exercises, archive: str = "", names=None
               ) -> tuple[dict, list[str], int]:
    """({ex: [Doc]}, notes, number of entries) of a class folder: each student's exercise
    files, gathered by grader.classroom.entries.gather (into a temporary folder, removed).
    `names`: a map of names (grader.classroom.roster.Names) filing entries as grade-class
    does (NamesError where two entries would be one student)."""
    docs: dict = {ex: [] for ex in exercises}
    notes: list[str] = []
    entries = class_entries(folder)
    if names:
        from grader.classroom.roster import apply_names
        entries, said = apply_names(entries, names, {s for s, _ in names.values()})
        notes += said
    prefix = f"{archive}/" if archive else ""
    with tempfile.TemporaryDirectory(prefix="torchdrills-similarity-") as tmp:
        for i, (student, source) in enumerate(entries):
            entry = gather(student, source, Path(tmp) / str(i))
            who = staging.shown(prefix + student, quote=False)
            notes += [f"{who}: {problem}" for problem in entry.problems]
            if entry.error:
                notes.append(f"{who}: {entry.error}")
                continue
            for ex, name in sorted(entry.exercises.items()):    # never a helper ex01_a.py
                if ex not in docs:
                    continue
                data = (entry.folder / name).read_bytes()
                try:
                    code = code_of(name, data)
                except ValueError as exc:
                    notes.append(f"{who}: left out {staging.shown(name)}: {exc}")
                    continue
                if len(code) > MAX_CODE_CHARS:     # comments compare as nothing: they go
                    code = without_comments(code)  # first, lines kept (a padded copy shows)
                if len(code) > MAX_CODE_CHARS:
                    notes.append(f"{who}: only the first {MAX_CODE_CHARS} characters of "
                                 f"{staging.shown(name)} were compared")
                    code = code[:MAX_CODE_CHARS]
                docs[ex].append(Doc(prefix + student, staging.printable(name), code, archive))
            if entry.folder is not None:
                shutil.rmtree(entry.folder, ignore_errors=True)
    return docs, notes, len(entries)


def in_code(doc: Doc, slices: list) -> list:
    """Matching regions of `doc.compared` as regions of `doc.code`: the same where the code is
    compared as it is; else the whole lines of the statements they fall in."""
    if doc.lines is None:
        return slices
    starts = _line_starts(doc.compared)
    wanted = set()
    for s, e in slices:
        first = bisect.bisect_right(starts, s) - 1
        last = bisect.bisect_right(starts, max(s, e - 1)) - 1
        for n in range(first, min(last, len(doc.lines) - 1) + 1):
            if doc.lines[n] is not None:
                wanted.update(range(doc.lines[n][0], doc.lines[n][1] + 1))
    code_starts = _line_starts(doc.code)
    out = []
    for n in sorted(wanted):
        if n - 1 >= len(code_starts):
            continue
        s = code_starts[n - 1]
        e = code_starts[n] - 1 if n < len(code_starts) else len(doc.code)
        if out and out[-1][1] + 1 >= s:
            out[-1] = (out[-1][0], e)
        elif e > s:
            out.append((s, e))
    return out


@functools.lru_cache(maxsize=64)
def _line_starts(text: str) -> list[int]:
    """Where each line of `text` starts (a pair shown is mapped more than once)."""
    return [0] + [m.end() for m in re.finditer("\n", text)]


def stub_code(ex: str) -> str:
    """The stub of `ex` as handed out (exercises/exNN_*.py): every student's boilerplate."""
    path = STUBS / f"{module_of(ex)}.py"
    try:
        return staging.read_file(path).decode("utf-8", "replace")
    except (OSError, staging.Refused):
        return ""


# ----------------------------------------------------------------------------------------------
# comparing

def _fingerprint(label: str, code: str, boilerplate=None, window=GUARANTEE - NOISE + 1):
    from copydetect import CodeFingerprint
    return CodeFingerprint(label, NOISE, window, boilerplate=boilerplate, fp=io.StringIO(code),
                           language="python")


@dataclass
class Boilerplate:
    """What every student was handed: the stub's lines (stripped; those without quotes, whose
    removal never changes how the rest of a file reads) and the fingerprints of every k-gram
    of its normalised code, as written and with those lines blanked (without_stub)."""

    lines: frozenset = frozenset()
    hashes: object = None


def boilerplate_of(ex: str) -> Boilerplate:
    import numpy as np
    stub = stub_code(ex)
    if not stub.strip():
        return Boilerplate(frozenset(), np.array([], dtype=np.int64))
    forms = {stub, normalised(stub)[0]}      # as written (a file that does not parse), and
    lines = frozenset(t for form in forms    # normalised, as a file that parses is compared
                      for t in (line.strip() for line in form.splitlines())
                      if t and "'" not in t and '"' not in t)
    hashes = set()
    for form in forms:
        hashes |= _fingerprint("stub", literals_as_names(form), window=1).hashes | \
            _fingerprint("stub", literals_as_names(without_stub(form, lines)), window=1).hashes
    return Boilerplate(lines, np.unique(np.array(sorted(hashes), dtype=np.int64)))


def without_stub(code: str, lines: frozenset) -> str:
    """`code` with each line that is one of the stub's `lines` blanked (spaces: every other
    character keeps its place, so matches map onto the code as written). The k-grams of the
    stub alone miss those that join the stub's last line to a student's first: blanked, the
    stub's lines join nothing."""
    return "\n".join(" " * len(line) if line.strip() in lines else line
                     for line in code.split("\n"))


def _slices(array, code: str) -> list:
    """copydetect's matching regions of `code` as [(start, end)], each widened to whole names
    at its ends (its offsets can fall inside a name)."""
    if getattr(array, "ndim", 1) != 2:
        return []
    out = []
    for s, e in zip(array[0].tolist(), array[1].tolist()):
        s, e = max(0, int(s)), min(len(code), int(e))
        while 0 < s < len(code) and (code[s - 1].isalnum() or code[s - 1] == "_"):
            s -= 1
        while e < len(code) and e > 0 and (code[e].isalnum() or code[e] == "_") and \
                (code[e - 1].isalnum() or code[e - 1] == "_"):
            e += 1
        if e > s:
            out.append((s, e))
    return out


def compare(a: Doc, b: Doc) -> Pair:
    from copydetect import compare_files
    tokens, (share_a, share_b), (sa, sb) = compare_files(a.fingerprint, b.fingerprint)
    return Pair(a, b, float(share_a), float(share_b), int(tokens),
                in_code(a, _slices(sa, a.compared)), in_code(b, _slices(sb, b.compared)))


def rank(docs: list[Doc], archive: list[Doc], boilerplate: Boilerplate,
         top: int = TOP) -> list[Pair]:
    """The `top` pairs most alike, best first: this term's submissions with one another and
    with the archive's (never the archive's among themselves). Pairs with nothing in common
    are left out. Every pair gets a cheap count of shared fingerprints; the best
    CANDIDATES * top by that count are compared in full (copydetect.compare_files)."""
    for d in docs + archive:
        if d.fingerprint is None:
            d.fingerprint = _fingerprint(
                d.student, literals_as_names(without_stub(d.compared, boilerplate.lines)),
                boilerplate.hashes)
    sets = [frozenset(map(int, d.fingerprint.hashes)) for d in docs + archive]
    sizes = [max(1, len(s)) for s in sets]
    cheap = []
    for i in range(len(docs)):
        hi, si = sets[i], sizes[i]
        for j in range(i + 1, len(sets)):
            shared = len(hi & sets[j]) if hi and sets[j] else 0
            if shared:   # as Pair.weight, with shared k-grams for characters
                cheap.append((shared / min(si, sizes[j]) *
                              min(1.0, (shared + NOISE - 1) / SHORT), shared, i, j))
    cheap.sort(key=lambda c: (-c[0], -c[1], c[2], c[3]))
    both = docs + archive
    pairs = [compare(both[i], both[j]) for _e, _s, i, j in cheap[:CANDIDATES * top]]
    pairs = [p for p in pairs if p.tokens > 0]
    pairs.sort(key=lambda p: (-p.weight, -p.tokens, p.a.student, p.b.student))
    for d in both:              # the fingerprints are this exercise's only: memory for the next
        d.fingerprint = None
    return pairs[:top]


def similarity(folder, exercises=None, archives=(), top: int = TOP, names=None) -> Report:
    """The report on a class folder: per exercise, its `top` pairs. NoSubmissions when no
    entry holds a file of the exercises asked for. `names`: the map of names its entries are
    filed by, as grade-class files them (grader.classroom.roster.Names: 'Alice Smith' is
    asmith); archives' entries keep their own names."""
    exercises = list(exercises or EXERCISES)
    report = Report(str(folder), top=top)
    docs, notes, report.students = read_class(folder, exercises, names=names)
    report.notes += notes
    old: dict = {ex: [] for ex in exercises}
    for place in archives:
        label = staging.printable(Path(place).name or str(place))
        if not Path(place).is_dir():
            report.notes.append(f"archive {staging.shown(label)}: not a folder, left out")
            continue
        if within(place, folder) or within(folder, place):
            report.notes.append(f"archive {staging.shown(label)}: the class folder, or a "
                                f"folder in or around it, left out (every student would "
                                f"match herself)")
            continue
        found, notes, n = read_class(place, exercises, archive=label)
        report.notes += notes
        report.archived += n
        for ex in exercises:
            old[ex] += found[ex]
    if not any(docs.values()):
        raise NoSubmissions(
            f"no submission of {', '.join(exercises)} in {staging.shown(str(folder))} "
            f"({count(report.students, 'entry', 'entries')}; expected one folder or .zip per student holding "
            f"exNN_*.py files or notebooks)")
    for ex in exercises:
        report.counts[ex] = (len(docs[ex]), len(old[ex]))
        report.stubs[ex] = frozenset(t for t in map(str.strip, stub_code(ex).splitlines()) if t)
        report.exercises[ex] = rank(docs[ex], old[ex], boilerplate_of(ex), top) \
            if docs[ex] else []
    return report


# ----------------------------------------------------------------------------------------------
# the page

def _lines(code: str, slices: list, stub: frozenset = frozenset()) -> list:
    """The lines of `code` shown on the page: those within CONTEXT lines of a matching region,
    each a list of (text, highlighted) pieces, None where lines are skipped. A line of the
    stub (`stub`: its lines, stripped) is never highlighted: a match that spans it matched
    the student's code around it."""
    marks = bytearray(len(code))
    for s, e in slices:
        marks[s:e] = b"\x01" * (e - s)
    rows, start = [], 0
    for number, line in enumerate(code.split("\n"), 1):
        end = start + len(line)
        if line.strip() in stub:
            marks[start:end] = bytes(end - start)
        rows.append((number, line, marks[start:end], any(marks[start:end])))
        start = end + 1
    hit = [r[3] for r in rows]
    keep = [any(hit[max(0, i - CONTEXT):i + CONTEXT + 1]) for i in range(len(rows))]
    out, skipped, shown = [], False, 0
    for (number, line, mark, _hit), k in zip(rows, keep):
        if not k:
            skipped = True
            continue
        if shown >= MAX_SHOWN_LINES:
            out.append(None)
            break
        if skipped and out:
            out.append(None)
        skipped = False
        shown += 1
        cut = line[:MAX_LINE_CHARS]
        pieces, i = [], 0
        while i < len(cut):
            j = i
            while j < len(cut) and mark[j] == mark[i]:
                j += 1
            pieces.append((clean(cut[i:j], None), bool(mark[i])))   # bidi, controls shown
            i = j
        if len(line) > MAX_LINE_CHARS:
            pieces.append((" ...", False))
        out.append((number, pieces))
    return out


def report_context(report: Report) -> dict:
    sections = []
    for ex, pairs in report.exercises.items():
        rows = []
        for n, p in enumerate(pairs, 1):
            rows.append({"id": f"{ex}-{n}", "a": p.a, "b": p.b, "share_a": p.share_a,
                         "share_b": p.share_b, "score": p.score, "tokens": p.tokens,
                         "lines_a": _lines(p.a.code, p.slices_a, report.stubs.get(ex, ())),
                         "lines_b": _lines(p.b.code, p.slices_b, report.stubs.get(ex, ()))})
        current, archived = report.counts.get(ex, (0, 0))
        sections.append({"ex": ex, "module": module_of(ex), "files": current,
                         "archived": archived, "pairs": rows})
    return {"folder": staging.printable(report.folder), "sections": sections,
            "notes": report.notes, "students": report.students, "archived": report.archived,
            "top": report.top, "noise": NOISE, "short": SHORT,
            "date": datetime.now().strftime("%Y-%m-%d %H:%M")}


def render(report: Report) -> str:
    from grader.classroom.feedback import _env
    return _env().get_template(TEMPLATE).render(**report_context(report))


def write_report(report: Report, path, refuse_in=None) -> Path:
    """Write the page to `path`, replaced whole. Refused (staging.Refused) where `path` is not
    a regular file, or is, or lies inside, a student's entry of the class folder `refuse_in`."""
    path = Path(path)
    if os.path.lexists(path) and (path.is_symlink() or not path.is_file()):
        raise staging.Refused(f"{staging.shown(str(path))} is not a regular file: "
                              f"name a new file, e.g. similarity.html")
    if refuse_in is not None:
        from grader.classroom.entries import entry_paths, submissions_folder
        for entry, _is_dir in entry_paths(submissions_folder(refuse_in)):
            if within(path, entry):
                raise staging.Refused(f"{staging.shown(str(path))} is a student's entry or "
                                      f"lies inside one: write the page elsewhere")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(render(report), encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if os.path.lexists(tmp):
            tmp.unlink()
    return path
