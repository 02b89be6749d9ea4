"""How a class entry's name is filed in the gradebook: the name it reads as (student_name), and
for entries that read alike (one skeleton: 'alice/' and 'alice.zip', Cyrillic 'аlice' and
'alice', 'José' composed and decomposed) names that never read alike (file_names); a name stays
with the entry graded under it from run to run. A note says why an entry is filed under another
name than its own (filing_note)."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from grader.sandbox import staging
from grader.sandbox.safetext import short_hash

# A name filed with a hash (escaped, cut, or two entries under one name) ends like this; a plain
# name that reads like this (its skeleton: '0' and 'O', Cyrillic 'а' and 'a' alike) is filed with
# a hash of its own, so that no name can pose as another.
_HASHED = re.compile(r".*~[0-9a-f]{8}(?:[0-9a-f]{8})?")
_HASHED_READ = re.compile(r".*~[2-9a-fOl]{8}(?:[2-9a-fOl]{8})?")   # the same, on a skeleton


# Characters that print as nothing though Python calls them printable (a combining grapheme
# joiner, Hangul fillers, variation selectors, the blank braille pattern): 'alice\u3164' reads
# as 'alice' in a terminal and a CSV.
_BLANK = re.compile("[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2800\u3164\ufe00-\ufe0f"
                    "\uffa0\U000e0100-\U000e01ef]")
# Look-alikes (after Unicode TR39's confusables, the common ones): Cyrillic and Greek letters
# that print like Latin ones, and the Latin and digit shapes that print alike ('I', 'l', '1';
# 'O', '0'). A name's skeleton (NFKD, then this table, then NFD) is how it reads: two names with
# one skeleton read alike ('alice' and Cyrillic 'аlice'; 'José' composed and decomposed;
# fullwidth 'ａｌｉｃｅ').
_CONFUSABLE = str.maketrans({
    # Cyrillic
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "ѕ": "s", "і": "i",
    "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l", "ү": "y", "ѵ": "v",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "І": "l", "Ӏ": "l", "Ј": "J", "Ү": "Y", "Ԛ": "Q",
    "Ԝ": "W",
    # Greek
    "α": "a", "ο": "o", "ν": "v", "ρ": "p", "υ": "u", "ι": "i", "χ": "x", "γ": "y", "ϲ": "c",
    "ϳ": "j", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "l", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ϲ": "C", "Ϳ": "J",
    # Latin and digits
    "ı": "i", "ɑ": "a", "ɡ": "g", "I": "l", "1": "l", "|": "l", "ǀ": "l", "0": "O",
})
_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


def skeleton(name: str) -> str:
    """How a name reads: its look-alikes made one (_CONFUSABLE). Two names that read alike
    have one skeleton."""
    text = unicodedata.normalize("NFKD", name).translate(_CONFUSABLE)
    return unicodedata.normalize("NFD", text)


def _looks_like_another(name: str) -> str:
    """Why a plain name could pass for another's, or '': spaces at its ends, characters that
    print as nothing, letters of two scripts ('аlice': a Cyrillic 'а'), or non-ASCII letters
    that all read as plain ones (Cyrillic 'аlісе', fullwidth 'ａｌｉｃｅ', a ligature)."""
    if name != name.strip() or _BLANK.search(name):
        return "it has spaces at its ends or characters that print as nothing"
    scripts = set()
    for ch in name:
        if ch.isalpha():
            words = unicodedata.name(ch, "").split()
            scripts.update(w for w in _SCRIPTS if w in words)
    if len(scripts) > 1:
        return f"it mixes {' and '.join(w.title() for w in sorted(scripts))} letters"
    if not name.isascii() and skeleton(name).isascii():
        return "its letters only look like plain Latin ones"
    return ""


def _looks_filed(name: str) -> bool:
    """Does a plain name read like one filed with a hash ('x~0123abcd', or with 'O' for '0')?"""
    return bool(_HASHED.fullmatch(name) or _HASHED_READ.fullmatch(skeleton(name)))


def student_name(name: str) -> str:
    """The name a class entry reads as, and is filed under unless another entry reads alike
    (file_names): the name itself, composed (NFC: as an LMS stores it), when it is plain text;
    else escaped with a hash of the exact name: the escaped b'\\xff' and a folder really called
    '\\xff' read alike, and stay two students. A plain name that looks filed with a hash
    ('Jos\\xe9~399207d2'), or could pass for another (_looks_like_another: 'alice ',
    'alice\\u3164', Cyrillic 'аlice'), gets a hash of its own, so it never takes or looks like
    another student's name."""
    label = staging.safe_label(name)
    if label == name:
        plain = unicodedata.normalize("NFC", name)
        if not _looks_filed(plain) and not _looks_like_another(plain):
            return plain
    elif re.fullmatch(r".{60}~[0-9a-f]{8}", label):  # (a long one has its hash)
        return label
    return f"{unicodedata.normalize('NFC', label)}~{short_hash(name)}"


def shared_name(entry: str) -> str:
    """The name of one of two entries that read alike: the entry's exact name (with '.zip'),
    escaped, and a longer hash of it ('alice.zip~3fa81c2e0b5d9e71')."""
    digest = hashlib.blake2b(entry.encode("utf-8", "surrogateescape"), digest_size=8)
    return f"{unicodedata.normalize('NFC', staging.safe_label(entry))}~{digest.hexdigest()}"


def file_names(names: dict, filed: dict | None = None) -> tuple[dict, list[str]]:
    """({entry: student}, notes) for the entries of one class folder; `names` maps each entry
    ('alice', 'alice.zip') to the name it is filed by (a folder's name, a zip's stem).

    Each is filed under student_name, unless other entries read alike (one skeleton: 'alice/'
    and 'alice.zip'; 'José' composed and decomposed; 'Ivan' and 'lvan'). An entry graded before
    under a name that reads as its own (`filed`: {student: the entry she was last graded from},
    the earliest filed first) keeps that name, as it was spelled, so that a newcomer never
    freezes or takes a classmate's row, and a rerun files everyone alike; each other entry
    that reads alike is filed under its exact name with a hash (shared_name), and none keeps
    the name when none had it. A name student_name gives a hash (a look-alike) never keeps a
    plain one. Filing is one-to-one, and no two entries are filed under names that read
    alike. (A row whose entry is gone keeps its name: the run and `export` name it.)"""
    filed = filed or {}
    order = {student: i for i, student in enumerate(filed)}
    by_entry: dict = {}            # entry -> the names it was graded under that read as now
    for student, entry in filed.items():
        by_entry.setdefault(entry, []).append(student)
    readable = {e: student_name(stem) for e, stem in names.items()}
    groups: dict = {}
    for e in sorted(names):
        groups.setdefault(skeleton(readable[e]), []).append(e)
    out, notes = {}, []
    for key, members in groups.items():
        held = sorted((order[name], name, e) for e in members
                      for name in by_entry.get(staging.printable(e), ())
                      if skeleton(name) == key)
        keep = held[0][2] if held else (members[0] if len(members) == 1 else None)
        for e in members:
            out[e] = (held[0][1] if held else readable[e]) if e == keep else shared_name(e)
        if held and len(members) > 1:
            others = ", ".join(f"{_exactly(e)} as {staging.shown(out[e])}"
                               for e in members if e != keep)
            notes.append(f"{_exactly(keep)} keeps the name {staging.shown(out[keep])} it was "
                         f"graded under before; entries that read alike are graded under names "
                         f"of their own: {others}")
    seen: dict = {}
    for e in sorted(out):          # (by construction none; never two that read alike)
        other = seen.setdefault(skeleton(out[e]), e)
        if other != e:
            out[e], out[other] = shared_name(e), shared_name(other)
    return out, notes


def _spelled(name: str) -> str:
    """A name with every character that is not ASCII written out ('\\u0430lice')."""
    return name.encode("ascii", "backslashreplace").decode("ascii")


def _exactly(name: str) -> str:
    """A name as notes show it, and spelled out when it is not ASCII: names that read alike
    are told apart ('José' (Jose\\u0301))."""
    return staging.shown(name) + ("" if name.isascii() or staging.name_problem(name)
                                  else f" ({_spelled(name)})")


def filing_note(source: Path, student: str) -> str:
    """Why an entry is filed under another name than its own, for the instructor and the
    student; '' when it is not (or only composed: 'José' as an LMS stores it)."""
    exact = source.name
    stem = exact if source.is_dir() else source.stem
    if student == shared_name(exact):
        return (f"another entry of the class reads as {staging.shown(student_name(stem))} "
                f"too: this one ({_exactly(exact)}) is graded under a name of its own, "
                f"'{student}'")
    odd = staging.name_problem(exact)
    if odd:
        return f"the submission {staging.shown(exact)}: {odd}; it is graded as '{student}'"
    plain = unicodedata.normalize("NFC", stem)
    if student == plain or student != student_name(stem):
        return ""
    why = _looks_like_another(plain) or "it reads like a name filed with a hash"
    spelled = f" ({_spelled(stem)})" if not stem.isascii() else ""
    return (f"the submission {staging.shown(exact)}{spelled}: {why}, so it could pass for "
            f"another student's name; it is graded as {staging.shown(student)}")

