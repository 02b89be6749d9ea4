"""The trusted side's review of one submission is bounded as a whole, not file by file: its
files share one budget of code (MAX_SUBMISSION_CODE); a file past it is a finding of its own,
never reviewed in part, and a submission of honest size is reviewed whole. Reading which
modules a file imports parses each text once, however many readers ask."""
from __future__ import annotations

from pathlib import Path

from grader.engine.review.rules import MAX_SOURCE_BYTES
from grader.engine.review.scan import MAX_SUBMISSION_CODE, review_submission

ROOT = Path(__file__).resolve().parents[2]


def _padded(name: str, size: int) -> bytes:
    """The reference's file with plain code appended up to `size` bytes."""
    text = (ROOT / "solutions" / name).read_text()
    i = 0
    while len(text) < size:
        text += f"\n\ndef helper_{i}(a, b):\n    c = a + b * {i}\n    return c - a\n"
        i += 1
    return text.encode()


def test_a_submission_past_its_code_budget_has_the_rest_as_findings():
    names = sorted(p.name for p in (ROOT / "solutions").glob("ex0[1-4]_*.py"))
    size = int(MAX_SUBMISSION_CODE * 0.4)
    assert size < MAX_SOURCE_BYTES and 2 * size < MAX_SUBMISSION_CODE < 3 * size
    files = {name: _padded(name, size) for name in names}
    found = review_submission(files, {})
    over = sorted(f.file for f in found if "too large to review" in f.what)
    assert over == names[2:], found           # the first two reviewed, the rest are findings
    assert all("in all" in f.what for f in found if f.file in over)


def test_own_modules_share_the_budget():
    name = "ex02_gradient_descent.py"
    text = (ROOT / "solutions" / name).read_text()
    modules = {f"helper{i}": (f"helper{i}.py", _padded("ex01_linear_model.py",
                                                       int(MAX_SUBMISSION_CODE * 0.3)))
               for i in range(6)}
    uses = "".join(f"import helper{i}\n" for i in range(6))
    found = review_submission({name: (uses + text).encode()}, modules)
    assert any("too large to review" in f.what and f.file.startswith("helper") for f in found)


def test_a_submission_of_honest_size_is_reviewed_whole():
    files = {p.name: p.read_bytes() for p in (ROOT / "solutions").glob("ex*.py")}
    assert sum(map(len, files.values())) < MAX_SUBMISSION_CODE / 5
    assert review_submission(files, {}) == []


def test_each_text_is_parsed_once_for_the_modules_it_imports(monkeypatch):
    import grader.sandbox.apart as apart
    calls = []
    real = apart.parse
    monkeypatch.setattr(apart, "parse", lambda text: calls.append(1) or real(text))
    text = b"import numpy\nfrom mypkg import core\n" + b"x = 1\n" * 10
    for _ in range(5):
        assert apart.imported_names(text) >= {"numpy", "mypkg", "mypkg.core"}
    assert len(calls) == 1
    assert apart.imported_names(b"x = 1\n") == set()     # no import: not even parsed
    assert len(calls) == 1
