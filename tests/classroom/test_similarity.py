"""The similarity report (grader.classroom.similarity): a planted renamed copy ranks first among
honest solutions written from the same stub, the stub itself matches nobody, a notebook and a
.py of the same code match, earlier terms are compared against, and the page escapes what
students wrote."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("copydetect", reason="the similarity report needs copydetect "
                                         "(pip install torchdrills[classroom])")

from grader.classroom.similarity import NoSubmissions, similarity, write_report  # noqa: E402
from grader.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
STUB = (ROOT / "exercises" / "ex02_gradient_descent.py").read_text()
EX02 = "ex02_gradient_descent.py"
FUNCS = ("cost", "gradient", "gradient_descent", "sample_gradient",
         "stochastic_gradient_descent")

# Four students' own bodies for the five functions of ex02, each written their own way.
HONEST = {
    "ana": [
        "x, y = _as_array(xs), _as_array(ys)\nreturn float(np.mean((x * w - y) ** 2))",
        "x, y = _as_array(xs), _as_array(ys)\nreturn float(np.mean(2 * x * (x * w - y)))",
        "w = float(w0)\ncosts = []\nfor _ in range(epochs):\n    costs.append(cost(xs, ys, w))"
        "\n    w = w - lr * gradient(xs, ys, w)\nreturn w, costs",
        "return float(2 * x * (x * w - y))",
        "x, y = _as_array(xs), _as_array(ys)\nw = float(w0)\nlosses = []\n"
        "for _ in range(epochs):\n    loss = 0.0\n    for xi, yi in zip(x.tolist(), y.tolist()):"
        "\n        w = w - lr * sample_gradient(xi, yi, w)\n        loss = (xi * w - yi) ** 2\n"
        "    losses.append(float(loss))\nreturn w, losses",
    ],
    "ben": [
        "total = 0.0\nn = 0\nfor a, b in zip(list(_as_array(xs)), list(_as_array(ys))):\n"
        "    total += (a * w - b) * (a * w - b)\n    n += 1\nreturn total / n",
        "pairs = list(zip(_as_array(xs).tolist(), _as_array(ys).tolist()))\n"
        "return sum(2.0 * a * (a * w - b) for a, b in pairs) / len(pairs)",
        "history = [0.0] * epochs\nweight = w0\nstep = 0\nwhile step < epochs:\n"
        "    history[step] = cost(xs, ys, weight)\n    g = gradient(xs, ys, weight)\n"
        "    weight -= lr * g\n    step += 1\nreturn float(weight), history",
        "err = x * w - y\nreturn 2.0 * x * err",
        "weight = w0\nrecord = []\nsamples = list(zip(_as_array(xs), _as_array(ys)))\n"
        "for epoch in range(epochs):\n    last = None\n    for a, b in samples:\n"
        "        weight -= lr * sample_gradient(float(a), float(b), weight)\n"
        "        last = (float(a) * weight - float(b)) ** 2\n    record.append(last)\n"
        "return float(weight), record",
    ],
    "chen": [
        "t_x = torch.as_tensor(_as_array(xs))\nt_y = torch.as_tensor(_as_array(ys))\n"
        "return ((t_x * w - t_y).pow(2)).mean().item()",
        "t_x = torch.as_tensor(_as_array(xs))\nt_y = torch.as_tensor(_as_array(ys))\n"
        "residual = t_x * w - t_y\nreturn (2 * t_x * residual).mean().item()",
        "trace = [cost(xs, ys, w) for w in [w0]]\ncurrent = w0\ntrace = []\n"
        "for i in range(epochs):\n    trace += [cost(xs, ys, current)]\n"
        "    current = current - gradient(xs, ys, current) * lr\nreturn float(current), trace",
        "return float(2 * x * x * w - 2 * x * y)",
        "arr_x = _as_array(xs).tolist()\narr_y = _as_array(ys).tolist()\nw = w0\nout = []\n"
        "for i in range(epochs):\n    for k in range(len(arr_x)):\n"
        "        w = w - lr * sample_gradient(arr_x[k], arr_y[k], w)\n"
        "    out.append((arr_x[-1] * w - arr_y[-1]) ** 2)\nreturn float(w), out",
    ],
    "dara": [
        "diffs = _as_array(xs) * w - _as_array(ys)\nreturn float(diffs @ diffs / diffs.size)",
        "a = _as_array(xs)\nd = a * w - _as_array(ys)\nreturn float(2 * (a @ d) / a.size)",
        "import math\nw = w0\nseen = list()\nfor _step in range(epochs):\n"
        "    seen.append(cost(xs, ys, w))\n    w -= gradient(xs, ys, w) * lr\n"
        "return float(w), seen",
        "d = x * w - y\nreturn float(d * x * 2)",
        "pts = np.stack([_as_array(xs), _as_array(ys)], axis=1)\nw = float(w0)\nlog = []\n"
        "for _e in range(epochs):\n    for px, py in pts:\n"
        "        w = w - sample_gradient(px, py, w) * lr\n"
        "    log.append(float((pts[-1, 0] * w - pts[-1, 1]) ** 2))\nreturn w, log",
    ],
}


def filled(bodies) -> str:
    """The stub with each function's `raise NotImplementedError` replaced by a body."""
    text = STUB
    for name, body in zip(FUNCS, bodies):
        line = f'    raise NotImplementedError("ex02.{name}: not started")'
        assert line in text
        text = text.replace(line, "\n".join("    " + b for b in body.splitlines()))
    return text


def renamed_copy(code: str) -> str:
    """A disguised copy: identifiers renamed, literals changed, comments added."""
    for old, new in (("xi", "inp"), ("yi", "tgt"), ("losses", "loss_log"), ("costs", "hist"),
                     ("loss", "err_sq"), ("w0", "w_start"), ("0.0", "0.00"), ("2 *", "2.0 *")):
        code = re.sub(rf"(?<![\w.]){re.escape(old)}(?!\w)" if old[0].isalpha() else
                      re.escape(old), new, code)
    return code.replace("    return ", "    # the answer, as a Python float\n    return ")


def make_class(root: Path, students: dict) -> Path:
    for name, text in students.items():
        (root / name).mkdir(parents=True)
        (root / name / EX02).write_text(text)
    return root


@pytest.fixture(scope="module")
def honest():
    return {name: filled(bodies) for name, bodies in HONEST.items()}


def test_a_planted_renamed_copy_ranks_first(tmp_path, honest):
    copy = renamed_copy(honest["ana"])
    assert copy != honest["ana"] and "inp" in copy and "err_sq" in copy
    folder = make_class(tmp_path / "class", dict(honest, eve=copy))
    report = similarity(folder, exercises=["ex02"])
    pairs = report.exercises["ex02"]
    assert {pairs[0].a.student, pairs[0].b.student} == {"ana", "eve"}
    assert pairs[0].score > 0.95      # its changed numbers read as the original's
    honest_scores = [p.score for p in pairs if "eve" not in (p.a.student, p.b.student)]
    assert max(honest_scores, default=0.0) < 0.5 * pairs[0].score


def test_one_obvious_line_written_alike_ranks_below_a_copied_file(tmp_path, honest):
    """Two students who each wrote only cost's one obvious line share 100% of their own code;
    a copy that changed one function of five shares less than 100%, and much more code."""
    line = "return float(2.0 * x * (x * w - y))"
    copy = renamed_copy(honest["ana"])
    assert line in copy
    copy = copy.replace(line, "return float(x * (x * w - y) + x * (x * w - y))")
    only_cost = [STUB.replace('    raise NotImplementedError("ex02.cost: not started")',
                              f"    {a}, {b} = _as_array(xs), _as_array(ys)\n"
                              f"    return float(np.mean(({a} * w - {b}) ** 2))")
                 for a, b in (("x", "y"), ("inputs", "targets"))]
    folder = make_class(tmp_path / "class", dict(honest, eve=copy, pat=only_cost[0],
                                                 quinn=only_cost[1]))
    pairs = similarity(folder, exercises=["ex02"]).exercises["ex02"]
    obvious = next(p for p in pairs if {p.a.student, p.b.student} == {"pat", "quinn"})
    assert obvious.score == 1.0 and pairs[0].score < 1.0
    assert {pairs[0].a.student, pairs[0].b.student} == {"ana", "eve"}


def test_the_stub_alone_makes_no_pair_alike(tmp_path, honest, monkeypatch):
    folder = make_class(tmp_path / "class", dict(honest, fay=STUB, gil=STUB))
    pairs = similarity(folder, exercises=["ex02"]).exercises["ex02"]
    assert pairs, "the honest solutions share a little code of their own"
    for p in pairs:
        assert p.score < 0.5, (p.a.student, p.b.student, p.score)
        assert not {p.a.student, p.b.student} & {"fay", "gil"}
    # without the stub as boilerplate, the untouched stubs would be the pair most alike
    import grader.classroom.similarity as sim
    monkeypatch.setattr(sim, "boilerplate_of", lambda ex: sim.Boilerplate(
        frozenset(), __import__("numpy").array([], dtype="int64")))
    first = similarity(folder, exercises=["ex02"]).exercises["ex02"][0]
    assert {first.a.student, first.b.student} == {"fay", "gil"} and first.score == 1.0


def test_a_notebook_and_a_py_of_the_same_code_match(tmp_path, honest):
    code = filled(HONEST["ben"])
    cells = [c for c in code.split("\n\n\ndef ")]
    cells = [cells[0]] + ["def " + c for c in cells[1:]]
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells":
          [{"cell_type": "markdown", "metadata": {}, "source": "# ex02"}] +
          [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
            "source": c} for c in cells] +
          [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
            "source": "# grader: checks for ex02.cost\nrun_checks('ex02', 'cost', In)"}]}
    folder = make_class(tmp_path / "class", {k: v for k, v in honest.items() if k != "ben"})
    (folder / "hal").mkdir()
    (folder / "hal" / "ex02_gradient_descent.ipynb").write_text(json.dumps(nb))
    (folder / "ivy").mkdir()
    (folder / "ivy" / EX02).write_text(code)
    pairs = similarity(folder, exercises=["ex02"]).exercises["ex02"]
    assert {pairs[0].a.student, pairs[0].b.student} == {"hal", "ivy"}
    assert pairs[0].score > 0.9


def test_earlier_terms_are_compared_against_never_among_themselves(tmp_path, honest):
    folder = make_class(tmp_path / "class", {k: honest[k] for k in ("ben", "chen", "dara")})
    old = make_class(tmp_path / "term-2025", {"old_ana": honest["ana"],
                                              "old_ana_twin": honest["ana"]})
    report = similarity(folder, exercises=["ex02"], archives=[old])
    pairs = report.exercises["ex02"]
    names = [{p.a.student, p.b.student} for p in pairs]
    assert {"term-2025/old_ana", "term-2025/old_ana_twin"} not in names
    assert report.counts["ex02"] == (3, 2)
    # this term's copy of the old solution: it pairs with both archived ones, first
    now = make_class(tmp_path / "class2", {k: honest[k] for k in ("ben", "chen")} |
                     {"jo": renamed_copy(honest["ana"])})
    top = similarity(now, exercises=["ex02"], archives=[old]).exercises["ex02"][:2]
    assert all("jo" in (p.a.student, p.b.student) and p.b.archive == "term-2025" for p in top)
    # the class folder itself given as an archive: left out, said
    again = similarity(now, exercises=["ex02"], archives=[now])
    assert again.counts["ex02"] == (3, 0) and "class folder" in again.notes[-1]


def test_hostile_names_and_code_are_escaped_on_the_page(tmp_path, honest):
    evil = "<script>alert(1)</script>"
    code = honest["ana"].replace("losses = []", f"losses = []  # {evil}\n    tag = '{evil}'")
    folder = make_class(tmp_path / "class", {"ana": honest["ana"], "<b>x&y": code,
                                             "ben": honest["ben"]})
    page = write_report(similarity(folder, exercises=["ex02"]), tmp_path / "sim.html")
    html = page.read_text()
    assert "<script>" not in html and "<b>x" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;x&amp;y" in html
    assert "<mark>" in html and "never a score" in html


def test_an_empty_class_folder_says_so(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    with pytest.raises(NoSubmissions):
        similarity(tmp_path / "empty", exercises=["ex02"])
    assert main(["similarity", str(tmp_path / "empty"), "--html",
                 str(tmp_path / "r.html")]) == 1
    err = capsys.readouterr().err
    assert "no submission" in err and not (tmp_path / "r.html").exists()


def test_the_command_writes_the_page(tmp_path, honest, capsys):
    folder = make_class(tmp_path / "class", dict(honest, eve=renamed_copy(honest["ana"])))
    out = tmp_path / "pages" / "similarity.html"
    assert main(["similarity", str(folder), "--html", str(out), "--exercises", "ex02,ex03",
                 "--top", "3"]) == 0
    html = out.read_text()
    assert html.count('class="card pair"') == 3
    said = capsys.readouterr().out
    from markupsafe import escape
    stub_lines = {str(escape(t)) for t in map(str.strip, STUB.splitlines()) if len(t) > 3}
    marked = [m.strip() for m in re.findall(r"<mark>(.*?)</mark>", html)]
    assert marked and not [m for m in marked if m in stub_lines]   # the stub is never marked
    assert "ex02: 5 submissions, most alike: ana & eve" in said
    assert "ex03: no submissions" in said
    # a page inside a student's entry is refused, nothing written
    assert main(["similarity", str(folder), "--html", str(folder / "ana" / "p.html")]) == 2
    assert not (folder / "ana" / "p.html").exists()


def test_the_summary_page_links_a_report_beside_it(tmp_path, honest):
    from grader.classroom.summary import write_summary
    pages = tmp_path / "pages"
    pages.mkdir()
    before = write_summary({}, pages / "summary.html").read_text()
    assert 'href="similarity.html"' not in before
    folder = make_class(tmp_path / "class", honest)
    write_report(similarity(folder, exercises=["ex02"]), pages / "similarity.html")
    after = write_summary({}, pages / "summary.html").read_text()
    assert 'href="similarity.html"' in after


def test_the_class_folder_is_read_as_grade_class_reads_it(tmp_path, honest):
    """A zip is read (never unpacked to disk); an entry that is a link to a folder outside the
    class is not followed: noted, never compared."""
    import zipfile
    folder = make_class(tmp_path / "class", {k: honest[k] for k in ("ben", "chen", "dara")})
    with zipfile.ZipFile(folder / "kim.zip", "w") as zf:
        zf.writestr(f"kim/{EX02}", renamed_copy(honest["ben"]))
    outside = make_class(tmp_path / "elsewhere", {"ana": honest["ana"], "ana2": honest["ana"]})
    (folder / "lee").symlink_to(outside / "ana", target_is_directory=True)
    (folder / "mo").mkdir()
    (folder / "mo" / EX02).symlink_to(outside / "ana2" / EX02)
    report = similarity(folder, exercises=["ex02"])
    first = report.exercises["ex02"][0]
    assert {first.a.student, first.b.student} == {"ben", "kim"}
    everyone = {s for p in report.exercises["ex02"] for s in (p.a.student, p.b.student)}
    assert not {"lee", "mo"} & everyone
    assert report.counts["ex02"] == (4, 0)
    assert any("lee" in n and "link" in n for n in report.notes), report.notes
    assert any(n.startswith("mo:") and "link" in n for n in report.notes), report.notes


def test_comments_cannot_push_a_copy_past_what_is_read(tmp_path, honest):
    """300 KB of comments above a verbatim copy: the comments are dropped before the file is
    cut to what is compared, so the copy still ranks first."""
    from grader.classroom.similarity import MAX_CODE_CHARS
    pad = "# " + "x" * 78 + "\n"
    padded = pad * (MAX_CODE_CHARS // len(pad) + 10) + honest["ana"]
    folder = make_class(tmp_path / "class", dict(honest, eve=padded))
    pairs = similarity(folder, exercises=["ex02"]).exercises["ex02"]
    assert {pairs[0].a.student, pairs[0].b.student} == {"ana", "eve"}
    assert pairs[0].score > 0.95


def _names_in_parentheses(body: str) -> str:
    """Every name that is not called, an attribute or a keyword, in parentheses:
    `return w * x + b` -> `return (w) * (x) + (b)`."""
    import keyword
    return re.sub(r"(?<![\w.])([A-Za-z_]\w*)\b(?!\s*\()",
                  lambda m: m[1] if keyword.iskeyword(m[1]) else f"({m[1]})", body)


def _values_in_parentheses(body: str) -> str:
    """The value of each assignment and return in parentheses: `w = w - lr * g` ->
    `w = (w - lr * g)`."""
    body = re.sub(r"^(\s*(?:[\w, ]+|\w+\[\w+\])\s*(?:[-+*/]?=)\s*)(?!=)(.+)$", r"\1(\2)", body,
                  flags=re.M)
    return re.sub(r"^(\s*return )(.+)$", r"\1(\2)", body, flags=re.M)


def _spaced(body: str) -> str:
    """Other spaces: none around operators, more after commas."""
    for op in (" = ", " - ", " + ", " * ", " ** "):
        body = body.replace(op, op.strip())
    return body.replace(", ", " ,   ")


def _broken_lines(body: str) -> str:
    """A line break after every opening bracket (inside brackets, any indentation)."""
    return re.sub(r"([(\[])(?=[^)\]])", "\\1\n                ", body)


REWRITES = {"names in parentheses": _names_in_parentheses,
            "values in parentheses": _values_in_parentheses, "spaces": _spaced,
            "line breaks inside brackets": _broken_lines,
            "all of them": lambda b: _broken_lines(_spaced(_values_in_parentheses(
                _names_in_parentheses(b))))}


@pytest.mark.parametrize("how", list(REWRITES))
def test_rewrites_that_change_nothing_score_as_copies(tmp_path, honest, how):
    """A copy rewritten in ways Python reads the same (parentheses around names or values,
    other spaces, line breaks inside brackets) scores as the copy it is, and ranks first,
    renamed too, and with a function that does not parse added (the rest is still read
    normalised): before, `return (w) * (x) + (b)` against `return w * x + b` scored 29 %."""
    import ast
    bodies = [REWRITES[how](b) for b in HONEST["ana"]]
    copy = filled(bodies)
    assert copy != honest["ana"]
    assert ast.dump(ast.parse(copy)) == ast.dump(ast.parse(honest["ana"])), \
        "the rewrite must keep the same program"
    broken = copy + "\n\ndef oops(:\n    pass\n"     # one block that does not parse
    for name, text in (("eve", copy), ("kit", renamed_copy(copy)), ("lou", broken)):
        folder = make_class(tmp_path / name, dict(honest, **{name: text}))
        pairs = similarity(folder, exercises=["ex02"]).exercises["ex02"]
        assert {pairs[0].a.student, pairs[0].b.student} == {"ana", name}, (how, name)
        assert pairs[0].score > 0.95, (how, name, pairs[0].score)


WRAPS = {"exec": lambda code: f"exec({code!r})",
         "exec, triple quotes": lambda code: "exec(" + "'" * 3 + code + "'" * 3 + ")",
         "eval of compile": lambda code: f"eval(compile({code!r}, 'f', 'exec'))",
         "builtins.exec": lambda code: f"import builtins\nbuiltins.exec({code!r})",
         "exec within exec": lambda code: "exec(" + repr(f"exec({code!r})") + ")"}


@pytest.mark.parametrize("wrap", list(WRAPS))
def test_code_run_from_a_string_literal_is_compared(tmp_path, honest, wrap):
    """A copy handed in as a string that the file runs (exec, eval, compile) is compared as
    the code it is, and ranks first; the page marks the exec line."""
    text = WRAPS[wrap](filled(HONEST["ana"]))
    import ast
    assert len(ast.parse(text).body) <= 2          # a call or two, no function of its own
    folder = make_class(tmp_path / "class", dict(honest, eve=text))
    report = similarity(folder, exercises=["ex02"])
    top = report.exercises["ex02"][0]
    assert {top.a.student, top.b.student} == {"ana", "eve"}, wrap
    assert top.score > 0.9, (wrap, top.score)
    eve = top.a if top.a.student == "eve" else top.b
    shown = top.slices_a if eve is top.a else top.slices_b
    assert shown and all(0 <= s < e <= len(eve.code) for s, e in shown)
    marked = "".join(eve.code[s:e] for s, e in shown)
    assert "exec(" in marked or "compile(" in marked


def test_the_page_marks_what_was_written_where_it_was_written(tmp_path, honest):
    """Normalised code is compared, the code as handed in is shown: the marked regions are
    whole lines of the student's own file, her comments and parentheses included."""
    copy = filled([_names_in_parentheses(b) for b in HONEST["ana"]])
    folder = make_class(tmp_path / "class", dict(honest, eve=copy))
    page = write_report(similarity(folder, exercises=["ex02"]), tmp_path / "sim.html")
    html = page.read_text()
    assert "<mark>" in html and "(w)" in html
    top = similarity(folder, exercises=["ex02"]).exercises["ex02"][0]
    eve = top.a if top.a.student == "eve" else top.b
    regions = top.slices_a if eve is top.a else top.slices_b
    for s, e in regions:                   # whole lines of eve's file
        assert s == 0 or eve.code[s - 1] == "\n"
        assert e == len(eve.code) or eve.code[e] == "\n"


# Lines that do nothing, as a student pads a file with them (after every statement), and
# functions nothing calls (after the file).
PADDING = {"pass": ["pass", "pass"], "comments": ["# step", "# done"],
           "docstrings": ['"""Nothing to see."""', "..."],
           "unused assignments": ["_unused = 0", "spare, extra = 1, 2"],
           "unused imports": ["import os", "from math import pi as unused_pi"]}
DEAD = ('\n\ndef helper_{i}(a, b):\n    """A helper."""\n    total = 0\n'
        '    for k in range(a):\n        total += k * b\n    return total\n')


def padded(code: str, lines=(), dead: int = 0) -> str:
    """`code` with `lines` after each of its statements (its indentation), and `dead`
    functions nothing calls at its end: the same program."""
    import ast
    after = {}
    for node in ast.walk(ast.parse(code)):
        for field in ("body", "orelse", "finalbody"):
            for st in getattr(node, field, None) or ():
                if isinstance(st, ast.stmt) and not isinstance(st, (ast.Return, ast.Raise)) \
                        and not (isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant)):
                    after[st.end_lineno] = " " * st.col_offset
    out = []
    for number, line in enumerate(code.split("\n"), 1):
        out.append(line)
        out += [after[number] + pad for pad in lines] if number in after else []
    text = "\n".join(out) + "".join(DEAD.format(i=i) for i in range(dead))
    ast.parse(text)
    return text


PADS = {**{kind: (lines, 0) for kind, lines in PADDING.items()}, "dead functions": ((), 3),
        "all of them": ([line for lines in PADDING.values() for line in lines], 3)}


def _scores(folder) -> dict:
    pairs = similarity(folder, exercises=["ex02"], top=20).exercises["ex02"]
    return {frozenset((p.a.student, p.b.student)): p.score for p in pairs}


@pytest.fixture(scope="module")
def honest_scores(honest, tmp_path_factory):
    return _scores(make_class(tmp_path_factory.mktemp("plain") / "class", honest))


@pytest.mark.parametrize("kind", list(PADS))
def test_padding_independent_files_makes_no_pair_alike(tmp_path, honest, honest_scores, kind):
    """Every student pads her own solution with lines that do nothing (the same kind of
    padding: the tokeniser reads `pass`, `_unused = 0` or a dead helper alike, whoever wrote
    it): no pair of independent solutions scores more than it did unpadded, nor near the 50 %
    that a copy passes. Before, all of them at once lifted every pair to 62-77 %."""
    lines, dead = PADS[kind]
    scores = _scores(make_class(tmp_path / "class", {name: padded(code, lines, dead)
                                                     for name, code in honest.items()}))
    assert len(honest) == 4
    for pair, score in scores.items():
        assert score <= honest_scores.get(pair, 0.0) + 0.02, (kind, sorted(pair), score)
        assert score < 0.3, (kind, sorted(pair), score)


def _parsing_copy(code: str) -> str:
    """renamed_copy without the comment it adds (which leaves a file that does not parse)."""
    return renamed_copy(code).replace("    # the answer, as a Python float\n", "")


@pytest.mark.parametrize("kind", list(PADS))
@pytest.mark.parametrize("copy", [_parsing_copy, renamed_copy], ids=["parses", "broken"])
def test_a_copy_padded_with_lines_that_do_nothing_is_still_found(tmp_path, honest, kind, copy):
    """A renamed copy of ana's file padded after every statement (and with dead functions):
    it ranks first, as alike as the copy unpadded, whether the file parses or, broken by
    the renaming, is read block by block. Before, all the padding at once took it to 44-49 %."""
    import ast
    lines, dead = PADS[kind]
    text = copy(padded(honest["ana"], lines, dead))
    try:
        ast.parse(text)
        parses = True
    except SyntaxError:
        parses = False
    assert parses == (copy is _parsing_copy)
    folder = make_class(tmp_path / "class", dict(honest, eve=text))
    pairs = similarity(folder, exercises=["ex02"]).exercises["ex02"]
    assert {pairs[0].a.student, pairs[0].b.student} == {"ana", "eve"}, kind
    assert pairs[0].score > 0.9, (kind, pairs[0].score)


def test_lines_that_do_nothing_go_and_the_rest_keep_their_places():
    """normalised() leaves out the padding, in a file that parses and block by block in one
    that does not, and each line it keeps still points at its line as handed in (the page
    highlights those)."""
    from grader.classroom.similarity_code import normalised
    code = ('import os\n"""A module."""\ndef cost(xs, ys, w):\n    """Doc."""\n    pass\n'
            '    _unused = 0\n    return helper(w)\ndef helper(w):\n    return w\n'
            'def dead():\n    return helper(1)\n')
    text, lines = normalised(code)
    assert text == "def cost(xs, ys, w):\n    return helper(w)\n\ndef helper(w):\n    return w"
    assert lines == [(3, 3), (7, 7), None, (8, 8), (9, 9)]
    broken = "def f(:\n    pass\nimport os\n  import sys\nx = 1\ndef g(\n    return x\n"
    text, lines = normalised(broken)
    assert text.split("\n") == ["def f(:", "", "x = 1", "def g(", "    return x"]
    assert lines == [(1, 1), None, (5, 5), (6, 6), (7, 7)]


def test_code_shown_on_the_page_shows_control_and_bidi_characters_escaped():
    """A student's code on the similarity page cannot reorder what a reader sees (a bidi
    override, U+202E) or draw over it (a terminal escape): such characters are shown escaped."""
    from grader.classroom.similarity import _lines
    code = "x = 1\nname = 'abc\u202edef'  # \x1b[2Jcomment\ny = 2\n"
    rows = _lines(code, [(0, len(code))])
    text = "".join(piece for row in rows if row for piece, _ in row[1])
    assert "\u202e" not in text and "\x1b" not in text
    assert "\\u202e" in text and "\\x1b" in text and "name = 'abc" in text


def test_a_helper_named_like_the_exercise_file_is_not_compared_as_it(tmp_path, honest):
    """Each student's exercise is her graded file: a helper module of the same prefix
    (ex02_utils.py, the same in every folder, as a course might hand it out) is neither a
    second document of hers nor a copy between students."""
    students = {k: honest[k] for k in ("ben", "chen", "dara")}
    folder = make_class(tmp_path / "class", students)
    for name in students:
        exercise = folder / name / EX02
        exercise.write_text("from ex02_utils import SCALE\n" + exercise.read_text())
        (folder / name / "ex02_utils.py").write_text(
            "SCALE = 1.0\n\n\ndef shared_plotting_helper(xs, ys):\n    return list(zip(xs, ys))\n")
    report = similarity(folder, exercises=["ex02"])
    assert report.counts["ex02"] == (3, 0)
    assert {(p.a.file, p.b.file) for p in report.exercises["ex02"]} == {(EX02, EX02)}
