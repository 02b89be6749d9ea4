"""No student's feedback page takes the name of a page of the whole class: every class-wide page
the grader names ("NAME.html" in the classroom code and the command line: the summary, the
similarity report) is in feedback.CLASS_PAGES, and a student named like one gets a page of her
own (a student called `similarity` and `similarity --html feedback/similarity.html` once wrote
one file)."""
import re
from pathlib import Path

from grader.classroom import similarity
from grader.classroom.feedback import _DEVICES, CLASS_PAGES, page_name

ROOT = Path(__file__).resolve().parents[2]
# templates of a student's own page, never written under their own name (and the devices
# page_name keeps out: con.html)
STUDENT_TEMPLATES = {"feedback", "_style"}


def class_pages_named() -> set[str]:
    found = set()
    for source in [*(ROOT / "grader" / "classroom").glob("*.py"),
                   *(ROOT / "grader" / "cli").glob("*.py")]:
        found |= set(re.findall(r"[\"']([A-Za-z0-9_-]+)\.html[\"']", source.read_text()))
    return {p for p in found - STUDENT_TEMPLATES if p.lower() not in _DEVICES}


def test_every_class_page_is_reserved():
    pages = class_pages_named()
    assert {"summary", similarity.PAGE[:-len(".html")]} <= pages
    assert not {p for p in pages if p.lower() not in CLASS_PAGES}


def test_a_student_named_like_a_class_page_gets_her_own():
    for name in CLASS_PAGES:
        assert page_name(name) != f"{name}.html"
        assert page_name(name).startswith(f"{name}~")
