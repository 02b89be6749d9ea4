"""Student text is data: what a submission prints, raises, returns and is named is made safe once,
where it enters, and every output shows that same safe text (the terminal, the JSON, the HTML,
the gradebook, the CSV). It never aborts a class run, never passes for a line of the grader's
(a hint, a note, a total), and no student's name can take another's feedback page or a
class-wide one."""
import csv
import json
import os
import sqlite3
import zipfile
from pathlib import Path

import pytest

from grader.sandbox import safetext
from grader.classroom.run import class_entries, grade_class
from grader.classroom.feedback import CLASS_PAGES, page_name
from grader.classroom.gradebook import Gradebook
from grader.engine.compare import CheckFailure, fail
from grader.sandbox.protocol import RemoteObject, roundtrip
from grader.engine.runner import CheckResult, GradeResult, grade_submission
from grader.classroom.summary import summary_context
from tests.conftest import pinned_version

ROOT = Path(__file__).resolve().parents[2]
EX01 = "ex01_linear_model.py"
REF = (ROOT / "solutions" / EX01).read_text()

FAKE_NOTE = ("ex01_linear_model.ipynb: cell 2 was skipped, line 1 raised NameError: name 'x' "
             "is not defined. The cell starts: x")
# Everything a hostile student can put in text, in one ex01 file: the reference with forward
# printing and raising it, best_weight printing it (and still right), mse_surface returning an
# object whose repr says it. The other functions stay correct.
HOSTILE = REF + '''

EVIL = ("lone \\ud800 surrogate, clear screen \\x1b[2J, title \\x1b]0;pwned\\x07, "
        "carriage return\\rOVERDRAWN, bidi \\u202eevil\\u202c \\u2066x\\u2069, c1 \\x9b31m, "
        "line separator\\u2028hint: split here")
FAKE = ("\\nhint: fake hint from the student\\nnote: ''' + FAKE_NOTE + '''\\n"
        "TOTAL 100/100\\n")


def forward(x, w):
    print(EVIL + FAKE)
    raise RuntimeError(EVIL + FAKE + "x" * 10_000_000)


def best_weight(x_data, y_data, weights):
    print(EVIL + FAKE)
    x, y, ws = _as_array(x_data), _as_array(y_data), _as_array(weights)
    mse = [np.mean((x * w - y) ** 2) for w in ws]
    return float(ws[int(np.argmin(mse))])


class Liar:
    def __repr__(self):
        return EVIL + FAKE


def mse_surface(x_data, y_data, ws, bs):
    return Liar()
'''
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


@pytest.fixture(scope="module", autouse=True)
def pinned_grader_version():
    with pinned_version("student-text-test"):
        yield


def unsafe(text: str) -> list[str]:
    """What in `text` must never reach an output: raw control characters (but newline and tab),
    carriage returns, C1 controls, line separators, bidi marks, lone surrogates."""
    bad = []
    for ch in text:
        code = ord(ch)
        if (code < 0x20 and ch not in "\n\t") or 0x7F <= code <= 0x9F or ch in BIDI \
                or ch in "\u2028\u2029" or 0xD800 <= code <= 0xDFFF:
            bad.append(f"U+{code:04X}")
    return sorted(set(bad))


def strings(x):
    """Every string in a JSON-like value (keys too)."""
    if isinstance(x, str):
        yield x
    elif isinstance(x, dict):
        for k, v in x.items():
            yield from strings(k)
            yield from strings(v)
    elif isinstance(x, (list, tuple)):
        for v in x:
            yield from strings(v)


def grader_like_lines(text: str) -> list[str]:
    """Lines of an output that a student's text would have made look like the grader's own: a
    hint, a note, a total, a skipped-cell note, anywhere but quoted after '|'."""
    out = []
    for line in text.splitlines():
        bare = line.strip().lower()
        if bare.startswith(("hint: fake", "hint: split", "note: ex01", "total 100",
                            "ex01_linear_model.ipynb: cell")):
            out.append(line)
    return out


# ----------------------------------------------------------------------------------------------
# the one function

def test_clean_replaces_surrogates_and_shows_controls_escaped():
    text = "a\ud800b\x1b[2J\x1b]0;t\x07\rOVER\u202eR\u2066\x9b\x00\u2028c\td\ne"
    out = safetext.clean(text, None)
    assert unsafe(out) == []
    assert out == ("a\ufffdb\\x1b[2J\\x1b]0;t\\x07\\rOVER\\u202eR\\u2066\\x9b\\x00\\u2028c\td\ne")
    assert out.splitlines() == ["a\ufffdb\\x1b[2J\\x1b]0;t\\x07\\rOVER\\u202eR\\u2066\\x9b\\x00"
                                "\\u2028c\td", "e"]      # only the real newline splits it
    assert safetext.clean("a\r\nb", None) == "a\nb"       # a Windows line end is a line end
    assert safetext.clean("one\ntwo\tx", None, lines=False) == "one\\ntwo\\tx"
    out.encode("utf-8")                                   # writable anywhere, strictly


def test_clean_caps_with_a_visible_count_and_is_idempotent():
    out = safetext.clean("x" * 10_000_000, 2000)
    shown = out.index("…")
    assert len(out) <= 2000 and out.endswith(f"… ({10_000_000 - shown} more characters)")
    escaped = safetext.clean("\x1b" * 5000, 200)    # escaping makes it longer: still capped
    assert len(escaped) <= 200 and escaped.startswith("\\x1b\\x1b") and "more characters" in escaped
    for text in (out, escaped, safetext.clean("a\ud800\x1b\u202e\r\n" * 50, 300)):
        assert safetext.clean(text, len(text) if len(text) >= 80 else 80) == text
        assert safetext.clean(text, None) == text


def test_values_from_a_worker_are_cleaned_keys_objects_and_tensor_metadata_too():
    import torch
    t = torch.ones(2)
    value = roundtrip({"k\x1b[2J": ["a\ud800", ("b\r", 1.5)], "t": t})
    value["o"] = RemoteObject("Evil\x1b", "line one\n  hint: fake\u202e")
    value["t"]._remote_meta.device = "cpu\x1b[2J"
    reply = safetext.clean_reply({"status": "ok", "value": value, "message": "m\ud800",
                                  "notes": ["n\nnote: fake\x1b"], "stdout": "\x1b]0;x\x07",
                                  "where": "w\nhint: x", "traceback": "t\x1b"})
    v = reply["value"]
    assert set(v) == {"k\\x1b[2J", "t", "o"}
    assert v["k\\x1b[2J"] == ["a\ufffd", ("b\\r", 1.5)]
    assert v["o"].text == "line one\\n  hint: fake\\u202e" and v["o"].type_name == "Evil\\x1b"
    assert v["t"]._remote_meta.device == "cpu\\x1b[2J" and torch.equal(v["t"], t)
    assert reply["notes"] == ["n\\nnote: fake\\x1b"] and reply["where"] == "w\\nhint: x"
    assert all(unsafe(s) == [] for s in strings([reply[k] for k in reply if k != "value"]))


# ----------------------------------------------------------------------------------------------
# hints are data, never lines of a message

def test_a_hint_is_part_of_the_failure_not_a_line_to_parse():
    with pytest.raises(CheckFailure) as named:
        fail("f(x) returned the wrong value.", hint="the mean is missing")
    assert named.value.hints == ["the mean is missing"]
    assert str(named.value).endswith("\n  hint: the mean is missing")
    with pytest.raises(CheckFailure) as quoted:
        fail("f(x): RuntimeError: boom\n  | hint: the student's own\nhint: also the student's")
    assert quoted.value.hints == []


def test_a_hint_read_from_a_students_error_is_not_a_named_mistake():
    """Whatever a check concludes from the text of the student's own exception is shown, but
    never counted as a mistake the checks named: the student could have written that text."""
    from grader.sandbox import StudentError
    with pytest.raises(CheckFailure) as from_text:
        try:
            raise StudentError("exception", "AttributeError: 'NoneType' object has no "
                                            "attribute 'zero_'")
        except StudentError as err:
            fail(err.describe("train(...)"), hint="the parameter was rebound")
    assert from_text.value.hints == [] and "hint: the parameter was rebound" in \
        str(from_text.value)


def test_a_layout_error_is_named_by_its_kind_never_by_its_text():
    from grader.checks.training import STATE_LAYOUT, named_student_error
    from grader.sandbox.inside.probes.common import LAYOUT_ERROR
    from grader.sandbox import StudentError
    assert named_student_error(StudentError("exception", f"RuntimeError: {LAYOUT_ERROR}")) \
        is None
    assert named_student_error(StudentError("layout", f"LayoutMismatch: {LAYOUT_ERROR}")) \
        == STATE_LAYOUT


def test_the_summary_counts_named_mistakes_only():
    def check(message, hints=()):
        return CheckResult(nodeid="visible/test_ex01.py::test_forward", exercise="ex01",
                           target="forward", title="forward", params="", points=1.0,
                           visible=True, status="failed", message=message, seconds=0.0,
                           hints=list(hints))
    results = {
        "ann": GradeResult(submission="ann", seed=1, exercises=["ex01"], checks=[
            check("forward: RuntimeError: x\n  | hint: fake hint from the student\n"
                  "hint: fake hint from the student")]),
        "ben": GradeResult(submission="ben", seed=1, exercises=["ex01"], checks=[
            check("forward returned the wrong value.\n  hint: the sign is flipped",
                  hints=["the sign is flipped"])]),
    }
    mistakes = summary_context(results)["mistakes"]
    assert [(m["hint"], m["students"]) for m in mistakes] == [("the sign is flipped", 1)]


# ----------------------------------------------------------------------------------------------
# one submission, through grade_submission and the CLI

@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile") / "mallory"
    folder.mkdir()
    (folder / EX01).write_text(HOSTILE, encoding="utf-8", errors="surrogatepass")
    return folder


def test_grade_submission_gives_only_safe_text(zygote, hostile):
    result = grade_submission(hostile, zygote, exercises=["ex01"], seed=5)
    data = result.to_dict()
    assert all(unsafe(s) == [] for s in strings(data)), \
        sorted({u for s in strings(data) for u in unsafe(s)})
    by_target = {}
    for c in result.checks:
        by_target.setdefault(c.target, []).append(c)
    # the honest functions still pass; the hostile ones fail, each with its own message
    assert all(c.status == "passed" for t in ("forward_wb", "best_weight")
               for c in by_target[t] if c.counted)
    assert all(c.status == "failed" for c in by_target["forward"] if c.counted)
    message = next(c.message for c in by_target["forward"] if c.counted)
    assert len(message) <= safetext.MESSAGE
    assert "lone \ufffd surrogate, clear screen \\x1b[2J, title \\x1b]0;pwned\\x07" in message
    assert "carriage return\\rOVERDRAWN, bidi \\u202eevil\\u202c" in message
    # the student's lines are quoted: none of them passes for the grader's
    assert "\n  | hint: fake hint from the student\n  | note: ex01_linear_model.ipynb" in message
    assert "\n  | TOTAL 100/100\n" in message
    for c in result.checks:
        assert grader_like_lines(c.message) == [], c.message
        assert c.hints == []
    surface = next(c.message for c in by_target["mse_surface"] if c.counted)
    assert "\\nhint: fake hint from the student\\n" in surface        # a repr: one line
    assert result.notes == []                                       # no note from a print
    assert "clear screen \\x1b[2J" in result.stdout_sample           # shown as its output
    assert len(result.stdout_sample) <= safetext.OUTPUT


def test_the_cli_prints_and_writes_only_safe_text(hostile, tmp_path, capsys):
    from grader.cli import main
    out_json, out_html = tmp_path / "results.json", tmp_path / "page.html"
    code = main(["grade", str(hostile), "--exercises", "ex01", "--seed", "5",
                 "--json", str(out_json), "--html", str(out_html)])
    captured = capsys.readouterr()
    assert code == 0
    for stream in (captured.out, captured.err):
        assert "\x1b" not in stream and unsafe(stream) == []
        stream.encode("utf-8")
    assert grader_like_lines(captured.out) == []
    totals = [line for line in captured.out.splitlines() if line.lower().startswith("total")]
    assert len(totals) == 1 and not totals[0].startswith("TOTAL 100")
    assert "| TOTAL 100/100" in captured.out                    # shown, as the student's
    assert not any(line.startswith("note:") for line in captured.out.splitlines())

    raw = out_json.read_bytes()
    report = json.loads(raw)
    assert all(unsafe(s) == [] for s in strings(report))
    assert b"\\u001b" not in raw and b"\\ud800" not in raw        # not even JSON-escaped
    assert not [t for t in report["tests"] if t["name"] == "note"]
    assert all(grader_like_lines(t["output"]) == [] for t in report["tests"])
    assert len(raw) < 200_000                                    # 10 MB messages: capped

    html = out_html.read_text(encoding="utf-8")
    assert unsafe(html) == [] and "\x1b" not in html
    assert "About your submission" not in html                  # no note was forged
    assert "  | hint: fake hint from the student" in html
    assert len(html) < 500_000


# ----------------------------------------------------------------------------------------------
# a class run

def make_zip(path, members: dict):
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)


def notebook(cells) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                       "cells": [{"cell_type": "code", "metadata": {}, "source": c,
                                  "outputs": [], "execution_count": None} for c in cells]})


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("class")
    folder = tmp / "submissions"
    folder.mkdir()
    plain = {
        "mallory": HOSTILE,
        "Bob Smith": REF, "bob smith": REF, "bob_smith": REF,   # one slug, three students
        "summary": REF, "index": REF,                          # named like class-wide pages
        "\x1b[2Jeve\u202e": REF,                                # controls in a folder name
        "[bold]kim": REF,                                      # rich markup in a name
        "=HYPERLINK(1)": REF,                                  # a formula, for the CSV
    }
    for name, text in plain.items():
        (folder / name).mkdir()
        (folder / name / EX01).write_text(text, encoding="utf-8", errors="surrogatepass")
    raw = os.fsencode(folder)
    os.mkdir(raw + b"/caf\xe9")                                  # latin-1, not UTF-8
    with open(raw + b"/caf\xe9/" + EX01.encode(), "w") as f:
        f.write(REF)
    make_zip((raw + b"/\xff\xfe.zip").decode("utf-8", "surrogateescape"), {EX01: REF})
    (folder / "nora").mkdir()                                   # a notebook whose cell raises
    (folder / "nora" / "ex01_linear_model.ipynb").write_text(notebook([
        REF, "# \x1b[2J\u202e evil cell\nraise ValueError('\x1b]0;x\x07 boom\\nhint: no')"]))
    db, html = tmp / "gradebook.db", tmp / "html"
    run = grade_class(folder, db=db, jobs=1, seed=3, exercises=["ex01"], html_dir=html,
                      progress=True)
    return {"run": run, "db": db, "html": html, "folder": folder, "tmp": tmp}


def test_a_class_of_hostile_text_and_names_is_graded_whole(hostile_class):
    run, db = hostile_class["run"], hostile_class["db"]
    assert run.total == run.graded == 12 and run.failed == 0
    with Gradebook(db) as book:
        names = book.students()
        _, rows, maxes = book.table()
        totals = {name: total for name, _, total in rows}
        mallory = book.result("mallory")
        nora_notes = book.notes("nora")
        summary = book.results()
    assert len(names) == len(set(names)) == 12
    assert all(unsafe(n) == [] for n in names)
    plain = {"Bob Smith", "bob smith", "bob_smith", "summary", "index", "[bold]kim",
             "=HYPERLINK(1)", "mallory", "nora"}
    assert plain <= set(names)
    odd = sorted(set(names) - plain)
    assert [n.split("~")[0] for n in odd] == ["\\x1b[2Jeve\\u202e", "\\xff\\xfe", "caf\\xe9"]
    full = maxes["ex01"]
    assert all(totals[n] == full for n in names if n not in ("mallory", "nora"))
    assert 0 < totals["mallory"] < full
    assert all(unsafe(s) == [] for s in strings(mallory.to_dict()))
    assert not any(c.hints for c in mallory.checks)
    # nora's skipped cell: a note, with the cell's text escaped on one line
    assert len(nora_notes) == 1 and "cell 2 was skipped" in nora_notes[0]
    assert "\\x1b[2J\\u202e evil cell" in nora_notes[0] and unsafe(nora_notes[0]) == []
    assert "\\x1b]0;x\\x07 boom" in nora_notes[0] and "hint: no" not in nora_notes[0]
    ctx = summary_context(summary)
    assert not any("fake" in m["hint"] or "no" == m["hint"] for m in ctx["mistakes"])
    # nothing unsafe stored anywhere in the gradebook
    con = sqlite3.connect(db)
    for table, in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        for row in con.execute(f"SELECT * FROM {table}"):
            for value in row:
                if isinstance(value, str):
                    assert unsafe(value) == [], (table, value[:200])
    con.close()


def test_every_student_gets_a_page_of_her_own_and_the_summary_stays(hostile_class):
    html, db = hostile_class["html"], hostile_class["db"]
    with Gradebook(db) as book:
        names = book.students()
    pages = {n: page_name(n) for n in names}
    assert len(set(pages.values())) == len(names)                       # one page each
    assert not {f"{p}.html" for p in CLASS_PAGES} & set(pages.values())  # none a class page's
    files = sorted(p.name for p in html.iterdir())
    assert files == sorted(list(pages.values()) + ["summary.html"])
    assert pages["bob_smith"] == "bob_smith.html"
    assert pages["Bob Smith"].startswith("bob_smith~")
    assert pages["bob smith"].startswith("bob_smith~")
    assert pages["summary"].startswith("summary~") and pages["index"].startswith("index~")
    summary = (html / "summary.html").read_text(encoding="utf-8")
    assert "<h1>Class summary</h1>" in summary and unsafe(summary) == []
    for name, page in pages.items():
        text = (html / page).read_text(encoding="utf-8")
        assert unsafe(text) == [] and "\x1b" not in text
        assert f"Feedback for {name}" in text.replace("&#39;", "'").replace("&lt;", "<") \
            .replace("&gt;", ">").replace("&amp;", "&").replace("&#34;", '"')
        assert f'href="{page}"' in summary
    bob = (html / pages["Bob Smith"]).read_text()
    assert "Feedback for Bob Smith" in bob and "Feedback for bob smith" not in bob


def test_names_and_csv_cells_stay_text(hostile_class, tmp_path):
    entries = dict(class_entries(hostile_class["folder"]))
    assert len(entries) == 12 and all(unsafe(n) == [] for n in entries)
    with Gradebook(hostile_class["db"]) as book:
        book.export_csv(tmp_path / "grades.csv")
    text = (tmp_path / "grades.csv").read_text(encoding="utf-8")
    assert unsafe(text.replace("\r\n", "\n")) == []
    rows = list(csv.reader(text.splitlines()))
    first = [r[0] for r in rows[1:]]
    assert "'=HYPERLINK(1)" in first and "=HYPERLINK(1)" not in first


def test_a_rerun_goes_on(hostile_class):
    """Everyone graded again (mallory's text included), and a student added meanwhile too."""
    folder, db = hostile_class["folder"], hostile_class["db"]
    with Gradebook(db) as book:
        before = {n: r.score for n, r in book.results().items()}
    (folder / "zed").mkdir()
    (folder / "zed" / EX01).write_text(REF)
    again = grade_class(folder, db=db, jobs=1, seed=3, exercises=["ex01"],
                        html_dir=hostile_class["html"], progress=False, force=True)
    assert again.total == again.graded == 13 and again.failed == 0 and again.skipped == 0
    with Gradebook(db) as book:
        after = {n: r.score for n, r in book.results().items()}
        zed = book.result("zed")
    assert zed.score == zed.max_score > 0
    assert {n: s for n, s in after.items() if n != "zed"} == before


def test_the_gradebook_never_fails_on_text(tmp_path):
    """The last line of defence: a result built anywhere, with raw student text in every field,
    is recorded and reads back safe."""
    evil = "x\ud800\x1b[2J\r\u202e" + "y" * 100_000
    check = CheckResult(nodeid="n", exercise="ex01", target="forward", title=evil, params=evil,
                        points=1.0, visible=True, status="failed", message=evil, seconds=0.0,
                        hints=[evil])
    result = GradeResult(submission=evil, seed=1, checks=[check], exercises=["ex01"],
                         stdout_sample=evil, errors=[evil], notes=[evil])
    with Gradebook(tmp_path / "g.db") as book:
        book.record("stu\udcffdent\x1b", result, content_hash="h", source=evil, notes=[evil])
        (name,) = book.students()
        back = book.result(name)
        assert book.current("stu\udcffdent\x1b", "h", ["ex01"], seed=1)
        notes = book.notes(name)
    assert name == "stu\ufffddent\\x1b"
    assert all(unsafe(s) == [] for s in strings(back.to_dict())) and unsafe("".join(notes)) == []
    assert back.checks[0].message.startswith("x\ufffd\\x1b[2J\\r\\u202e")
    assert len(back.checks[0].message) <= safetext.MESSAGE
    assert back.checks[0].hints and len(back.stdout_sample) <= safetext.OUTPUT
