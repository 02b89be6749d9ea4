"""Source in an encoding that hides code from readers (rule 8): a coding cookie whose
encoding reads ASCII bytes as other characters (utf-7, unicode_escape ...)."""
from __future__ import annotations

import codecs
import functools
import io
import tokenize

from grader.engine.review.rules import Finding, _PLAIN_ENCODINGS


def _encoding_findings(data, file, where):
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        name = codecs.lookup(encoding).name
    except (SyntaxError, LookupError):
        return []
    if name.startswith(_PLAIN_ENCODINGS) or _keeps_ascii(name):
        return []
    return [Finding(file, 1, where, f"is written in the {name} encoding, which hides code "
                                    f"from readers")]


# ASCII text that some encodings read as other characters (utf-7's +-, unicode_escape's \u,
# idna's xn--, the escapes of ISO-2022 and HZ)
_ASCII_PROBES = (bytes(range(128)), b"+AGk-", b"+-", b"\\u0041\\x41\\101\\N{DIGIT ONE}",
                 b"xn--ls8h.xn--a", b"~{VP~}", b"\x1b$B\x1b(B", b"\x0e\x0f")


@functools.lru_cache(maxsize=None)
def _keeps_ascii(name):
    import warnings
    try:
        with warnings.catch_warnings():     # unicode_escape warns of "\]" in the probes
            warnings.simplefilter("ignore")
            return _ascii_kept(name)
    except Exception:  # noqa: BLE001  a codec that fails in any other way keeps nothing
        return False


def _ascii_kept(name):
    """Whether text in encoding `name` shows its code to a reader as Python reads it: every
    ASCII byte is that character wherever it stands, and no other byte or pair of bytes
    decodes to an ASCII character (gbk, euc_kr, shift_jis, big5, cp437, tis_620 ...). utf-7,
    unicode_escape, raw_unicode_escape, idna, punycode, the ISO-2022 and HZ encodings, EBCDIC
    and UTF-16/32 do not."""
    try:
        info = codecs.lookup(name)
        if not getattr(info, "_is_text_encoding", True):
            return False
        decode = info.decode
        if any(decode(probe)[0] != probe.decode("ascii") for probe in _ASCII_PROBES):
            return False
        if any(decode(bytes([b]))[0] != chr(b) for b in range(128)):
            return False
    except (UnicodeError, TypeError, ValueError, LookupError):
        return False
    for lead in range(128, 256):
        try:
            alone = decode(bytes([lead]))[0]
        except UnicodeError:
            alone = None
        if alone is not None and any(ord(c) < 128 for c in alone):
            return False
        for trail in range(256):
            try:
                text = decode(bytes([lead, trail]))[0]
            except UnicodeError:
                continue
            ascii_chars = [c for c in text if ord(c) < 128]
            if ascii_chars and not (trail < 128 and text == (alone or "") + chr(trail)):
                return False
    return True
