"""A zip handed in, read without unpacking it: its size, its central directory's declared
size and entry count, and the entries it really holds, checked against the caps before zipfile
parses it (zip_directory); its members' names as people wrote them; each member read capped.

    zip_directory(fd, os.fstat(fd).st_size)    # the entries it holds, or Refused
"""
from __future__ import annotations

import os
import stat
import struct
import zipfile
from pathlib import PurePosixPath

from grader.sandbox.files import LINK, Refused, kind_of, size_text
from grader.sandbox.names import exercise_of, name_problem, skipped_dir
from grader.sandbox.tree import (MAX_DEPTH, Candidate, Found, Layout, data_file, helper_module,
                                 left_out, misnamed)

MAX_ZIP_ENTRIES = 100_000         # (a data set zipped with the work: its names are listed, not read)
MAX_ZIP_BYTES = 1024**3          # a zip handed in (it is read member by member, never whole)
MAX_ZIP_DIRECTORY_BYTES = 10 * 1024**2   # its central directory (its list of entries), which
                                         # zipfile reads whole, and parses entry by entry


def _zip_name(info: zipfile.ZipInfo) -> str:
    """The member's name. Without flag bit 11 zipfile decodes the name as cp437: its bytes
    are read as UTF-8 (what most tools write), and bytes that are not UTF-8 stay escaped."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            raw = name.encode("cp437")
        except UnicodeEncodeError:
            raw = name.encode("utf-8", "surrogateescape")
        name = raw.decode("utf-8", "surrogateescape")
    return name.replace("\\", "/")


# The end of a zip, as zipfile reads it (the end of central directory record, zip64's too).
_ECD = struct.Struct("<4s4H2LH")
_ECD64 = struct.Struct("<4sQ2H2L4Q")
_ECD64_LOCATOR = struct.Struct("<4sLQL")
_CENTRAL = 46          # one central directory header, before its name, extra field and comment


def _zipfile_end_reader():
    """zipfile's own reader of a zip's end record, where this Python has it (private), else
    None."""
    names = ("_EndRecData", "_ECD_SIGNATURE", "_ECD_ENTRIES_THIS_DISK", "_ECD_ENTRIES_TOTAL",
             "_ECD_SIZE", "_ECD_OFFSET", "_ECD_LOCATION", "stringEndArchive64")
    return zipfile._EndRecData if all(hasattr(zipfile, n) for n in names) else None


def _end_record(f) -> tuple | None:
    """(entries, directory size, directory offset, where the record lies, zip64) of the zip
    open as `f`, read as zipfile reads it (zipfile._EndRecData: the same function where this
    Python has it); None when there is none (zipfile then refuses the file). Reads only the
    zip's last 64 KiB and the zip64 record."""
    end = _zipfile_end_reader()
    if end is not None:
        rec = end(f)
        if not rec:
            return None
        z = zipfile
        return (max(rec[z._ECD_ENTRIES_THIS_DISK], rec[z._ECD_ENTRIES_TOTAL]),
                rec[z._ECD_SIZE], rec[z._ECD_OFFSET], rec[z._ECD_LOCATION],
                rec[z._ECD_SIGNATURE] == z.stringEndArchive64)
    f.seek(0, 2)                       # (a Python without it: the same reading, here)
    size = f.tell()
    start = max(size - (1 << 16) - _ECD.size, 0)
    f.seek(start)
    data = f.read()
    if len(data) >= _ECD.size and data[-_ECD.size:-_ECD.size + 4] == b"PK\5\6" and \
            data[-2:] == b"\0\0":
        at = len(data) - _ECD.size
    else:
        at = data.rfind(b"PK\5\6")
        if at < 0 or len(data) - at < _ECD.size:
            return None
    rec = _ECD.unpack_from(data, at)
    where = start + at
    found = (max(rec[3], rec[4]), rec[5], rec[6], where, False)
    locator = where - _ECD64_LOCATOR.size
    if locator < 0:
        return found
    f.seek(locator)
    loc = f.read(_ECD64_LOCATOR.size)
    if len(loc) != _ECD64_LOCATOR.size or loc[:4] != b"PK\6\7":
        return found
    if locator - _ECD64.size < 0:
        return found
    f.seek(locator - _ECD64.size)
    data = f.read(_ECD64.size)
    if len(data) != _ECD64.size or data[:4] != b"PK\6\6":
        return found
    rec = _ECD64.unpack(data)
    return (max(rec[6], rec[7]), rec[8], rec[9], where, True)


def zip_directory(fd: int, size: int) -> int:
    """Check a zip against the caps before zipfile parses it (zipfile reads the whole central
    directory into memory and makes an object of every entry before anything can count them:
    a 47 MB zip of a million entries cost 380 MB and 6 s). Refused when the zip is larger than
    MAX_ZIP_BYTES, or its end record (zip64's too) declares more than MAX_ZIP_ENTRIES entries
    or a central directory larger than MAX_ZIP_DIRECTORY_BYTES, or that directory, walked
    header by header as zipfile walks it, holds more entries than the cap (a declared count
    can lie). Reads the zip's end and its directory, at most MAX_ZIP_DIRECTORY_BYTES; returns
    the entries counted. What zipfile would refuse anyway (no end record, a bad header) is
    left for it to refuse."""
    if size > MAX_ZIP_BYTES:
        raise Refused(f"the zip is larger than {size_text(MAX_ZIP_BYTES)}")
    with os.fdopen(os.dup(fd), "rb") as f:
        try:
            end = _end_record(f)
        except OSError:
            return 0
        if end is None:
            return 0
        declared, cd_size, cd_offset, where, zip64 = end
        if declared > MAX_ZIP_ENTRIES:
            raise Refused(f"the zip declares {declared} entries (at most {MAX_ZIP_ENTRIES})")
        if cd_size > MAX_ZIP_DIRECTORY_BYTES:
            raise Refused(f"the zip's list of entries is larger than "
                          f"{size_text(MAX_ZIP_DIRECTORY_BYTES)}")
        start = where - cd_size - (_ECD64.size + _ECD64_LOCATOR.size if zip64 else 0)
        if start < 0:
            return 0
        f.seek(start)
        data = f.read(cd_size)
    count = total = 0
    while total < cd_size:
        head = data[total:total + _CENTRAL]
        if len(head) != _CENTRAL or head[:4] != b"PK\1\2":
            break
        if count == MAX_ZIP_ENTRIES:
            raise Refused(f"the zip holds more than {MAX_ZIP_ENTRIES} entries")
        names, extra, comment = struct.unpack_from("<3H", head, 28)
        total += _CENTRAL + names + extra + comment
        count += 1
    return count


def zip_candidates(zf: zipfile.ZipFile, found: Found, layout: "Layout") -> list:
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise Refused(f"the zip holds {len(infos)} entries (at most {MAX_ZIP_ENTRIES})")
    out = []
    links, inner = [], []
    for info in infos:
        name = _zip_name(info)
        mode = info.external_attr >> 16
        parts = tuple(p for p in PurePosixPath(name).parts if p not in ("", "."))
        if not parts:
            continue
        is_link = stat.S_ISLNK(mode)
        if is_link:
            links.append(parts)
        ex = exercise_of(parts[-1])

        def refuse(why, parts=parts, ex=ex):
            text = left_out(parts, why)
            found.note(text)
            if ex:
                out.append(Candidate(ex, parts, refused=text))

        if name.startswith("/") or parts[0].endswith(":") or ".." in parts:
            refuse("a path outside the submission")
            continue
        if not is_link:
            if len(parts) > 1:     # a member below a folder: the folder is there too
                layout.saw(parts[:1], True, False)
            layout.saw(parts, info.is_dir(), not info.is_dir())
        if any(skipped_dir(p) for p in parts[:-1]) or len(parts) - 1 > MAX_DEPTH:
            continue
        problem = next((p for p in map(name_problem, parts) if p), "")
        if problem:
            refuse(problem)
            continue
        if is_link:
            refuse(LINK)
            continue
        if info.is_dir():
            if ex:
                refuse("a folder, not a file")
            continue
        if any(parts[:len(link)] == link for link in links):
            refuse("inside a folder that is a symbolic link")
            continue
        if stat.S_IFMT(mode) not in (0, stat.S_IFREG):
            refuse(f"{kind_of(mode)}, not a regular file")
            continue
        if ex is not None:
            out.append(Candidate(ex, parts, read=zip_reader(zf, info)))
        elif helper_module(parts[-1]) and not misnamed(parts[-1]):
            found.saw_module(parts, zip_reader(zf, info))
        elif data_file(parts[-1]):
            found.saw_data(parts, zip_reader(zf, info))
        elif parts[-1].lower().endswith(".zip"):
            inner.append(parts)
    if inner and not out:     # her work zipped twice: said, never opened
        found.note(left_out(inner[0], "a zip inside the zip is not opened: zip the exercise "
                                      "files themselves"))
    # one name twice: unzip tools keep the last copy, zipfile reads the first; grade neither
    seen: dict = {}
    for c in out:
        seen.setdefault(c.parts, []).append(c)
    for parts, copies in seen.items():
        if len(copies) > 1:
            text = left_out(parts, f"the zip holds {len(copies)} members of this name, and "
                                    f"which one is meant cannot be told")
            found.note(text)
            for c in copies:
                c.refused = text
    # a link listed after what lies below it
    for c in out:
        if not c.refused and any(c.parts[:len(link)] == link for link in links):
            c.refused = left_out(c.parts, "inside a folder that is a symbolic link")
            found.note(c.refused)
    return out


def zip_reader(zf, info):
    def read(cap):
        if info.file_size > cap:
            raise Refused(f"larger than {size_text(cap)}")
        try:
            with zf.open(info) as f:   # the real size is counted, whatever the header says
                data = f.read(cap + 1)
        except Refused:
            raise
        except Exception as exc:  # noqa: BLE001 - a corrupt or encrypted member: this file only
            raise Refused(f"could not be read ({type(exc).__name__}: {exc})") from None
        if len(data) > cap:
            raise Refused(f"larger than {size_text(cap)}")
        return data
    return read
