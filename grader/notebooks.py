"""Notebooks as modules: the code cells of a filled-in notebook are the student's module.

Cells that hold checks (they start with `# grader: checks`) and IPython magics or shell lines
(`%matplotlib`, `!pip ...`) are left out.
"""
from __future__ import annotations

import json
from pathlib import Path

CHECK_CELL_TAG = "# grader: checks"


def code_cells(nb: dict) -> list[str]:
    cells = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else str(src)
        if src.lstrip().startswith(CHECK_CELL_TAG):
            continue
        lines = [ln for ln in src.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        cells.append("\n".join(lines))
    return cells


def notebook_to_module(path: Path) -> str:
    """The Python source of a notebook's code cells, one after the other."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"not a valid notebook ({exc})") from None
    if not isinstance(nb, dict):
        raise ValueError("not a valid notebook")
    return "\n\n".join(code_cells(nb)) + "\n"
