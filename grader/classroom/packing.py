"""A submission on its way to a Dask worker: its gathered exercise files (a flat folder) as
bytes (`pack`), written back on the worker, each under its own name, into a folder of its own
(`unpack`). No name is read as a path, and bytes that are not a packed submission are refused."""
from __future__ import annotations

import os
import struct
from pathlib import Path

_HEAD = struct.Struct("<HI")     # a packed file: the length of its name, of its content


def pack(folder) -> bytes:
    """The gathered exercise files of one submission (a flat folder) as bytes: each file's
    name, its bytes exactly, and its content."""
    out = []
    for path in sorted(Path(folder).iterdir()):
        if path.is_file() and not path.is_symlink():
            name, data = os.fsencode(path.name), path.read_bytes()
            out += [_HEAD.pack(len(name), len(data)), name, data]
    return b"".join(out)


def unpack(blob: bytes, into: Path) -> None:
    """Write the files `pack` packed into the folder `into`, each under its own name: the very
    folder the instructor's process gathered, which the worker then grades as a local run
    grades it (no name is read as a path: a name with a backslash stays one file). ValueError
    for bytes that are not a packed submission."""
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
        if name in (b"", b".", b"..") or b"/" in name or b"\0" in name:
            raise ValueError(f"not the name of a gathered file: {name!r}")
        with open(into / os.fsdecode(name), "xb") as f:     # x: a name twice is refused
            f.write(data)
