"""A submission on its way to a Dask worker: its gathered files (the exercise files, and her
own modules and data where they lie: mypkg/core.py, data/points.csv) as bytes (`pack`), written
back on the worker, each at its own place, into a folder of its own (`unpack`). A name is read
as a path of plain parts only ('..', '.', '' and NUL refused, so nothing lands outside that
folder), and bytes that are not a packed submission are refused."""
from __future__ import annotations

import os
import struct
from pathlib import Path

_HEAD = struct.Struct("<HI")     # a packed file: the length of its name, of its content


def pack(folder) -> bytes:
    """The gathered files of one submission (the folder gather wrote) as bytes: each file's
    path below `folder` ('/' between its parts), its bytes exactly, and its content. No link
    is followed."""
    out = []
    root = Path(folder)
    for here, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(here) / name
            if path.is_file() and not path.is_symlink():
                rel = os.fsencode(path.relative_to(root).as_posix())
                data = path.read_bytes()
                out += [_HEAD.pack(len(rel), len(data)), rel, data]
    return b"".join(out)


def unpack(blob: bytes, into: Path) -> None:
    """Write the files `pack` packed into the folder `into`, each under its own name: the very
    folder the instructor's process gathered, which the worker then grades as a local run
    grades it (a name with a backslash stays one file). ValueError for bytes that are not a
    packed submission, or a name that is not a plain path below `into`."""
    at = 0
    while at < len(blob):
        if at + _HEAD.size > len(blob):
            raise ValueError("the packed submission is cut short")
        n, size = _HEAD.unpack_from(blob, at)
        at += _HEAD.size
        name, data = blob[at:at + n], blob[at + n:at + n + size]
        at += n + size
        if len(name) != n or len(data) != size:
            raise ValueError("the packed submission is cut short")
        parts = name.split(b"/")
        if any(p in (b"", b".", b"..") or b"\0" in p for p in parts):
            raise ValueError(f"not the name of a gathered file: {name!r}")
        place = into.joinpath(*map(os.fsdecode, parts))
        place.parent.mkdir(parents=True, exist_ok=True)
        with open(place, "xb") as f:     # x: a name twice is refused
            f.write(data)
