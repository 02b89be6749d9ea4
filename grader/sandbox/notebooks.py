"""Notebooks as modules: the code cells of a filled-in notebook are the student's module.

`notebook_to_module` turns a notebook into the text of a module that runs its code cells one
after the other, as the notebook does, and skips a cell that raises: a stray
`print(undefined_name)` or a crashed experiment costs that cell only, the functions of the other
cells are still graded. The module runs in the sandboxed worker, never in the grader; what it
skipped is in its `__skipped_cells__`, which the grader shows the student, e.g.

    ex01_linear_model.ipynb: code cell 3 was skipped, line 1 raised NameError: name 'x' is not
    defined. The cell starts: print(x)

Tracebacks name the cell and the line in it ("code cell 5, line 3, in forward").

Left out: cells that hold checks (they start with `# grader: checks`), and cells of a cell magic
whose body is not Python (`%%bash`, `%%html`, `%%writefile notes.txt` ...). A helper module
written by a cell (`%%writefile helpers.py`, `-a` to append) is that module: its body runs as
`helpers` where the cell stands, so `from helpers import sq` in a later cell finds it (no file
is written; `%%file` and `./helpers.py` are the same). A line magic that runs Python runs it
once (`%time w = fit()`: `w = fit()`; `%timeit`, `%prun`), `%run utils.py` (`./utils.py`,
`utils`, `-m utils`) is `from utils import *`. Other IPython magics and shell lines
(`%matplotlib inline`, `!pip install tqdm`) become `pass`, so the line numbers stay those of the
cell; what they would give is nothing (`files = !ls`: [], `t = %timeit -o f()`: None), and help
(`np.meshgrid?`, `??torch.mean`) is `pass` too. A cell that is Python as it stands is left as it
is (a line of it that starts with `%` continues an expression). The same loader runs the kernel history of a notebook's check cells (grader.notebook).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from grader.sandbox.parsing import parse
from grader.sandbox.cell_loader import CELL_SECONDS, cells_to_module  # noqa: F401 (read here too)

CHECK_CELL_TAG = "# grader: checks"
MAX_CELLS = 5_000    # of a notebook, past which it is not read (250 000 cells cost 1.1 GB)
# cell magics whose body is Python: it runs once, as without the magic
PYTHON_CELL_MAGICS = ("time", "timeit", "capture", "prun", "debug")
MAGIC_PREFIXES = ("%", "!", "get_ipython()")


def is_magic(line: str) -> bool:
    """An IPython magic or shell line: `%matplotlib inline`, `!pip install x`, `%%time`."""
    return line.lstrip().startswith(MAGIC_PREFIXES)


# IPython's own lines that are not Python: `x = !ls` / `x = %timeit -o f()` (what the shell or
# the magic gives), `obj?` / `obj??` / `?obj` (help)
# the start of `targets = ...` (indentation, the names), as IPython writes them and as it
# transforms them (grader.notebook.history_cells reads `... = get_ipython().getoutput(...)`)
ASSIGNED = r"^(\s*)([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=\s*"
_GIVEN = re.compile(ASSIGNED + r"[!%]")
_HELP = re.compile(r"^(\s*)(?:\?{1,2}[A-Za-z_][\w.]*|[A-Za-z_][\w.]*(?:\(\))?\s*\?{1,2})\s*$")
# line magics that run the Python they are given, in the notebook's names (%time) or for
# their effects (%timeit, %prun): here it runs once, as without the magic; their options
_PYTHON_LINE_MAGICS = {"time": "", "timeit": "nrp", "prun": "DTls"}
# %run's options, and those of them that take a value
_RUN_OPTIONS, _RUN_VALUED = set("itNepdnGmb"), set("Nb")


def _options(words: list[str], valued: str) -> list[str]:
    """`words` past a magic's leading options (`-n 10 -r 3 f()`: `f()`), where `valued` names
    the options that take a value (given apart, `-n 10`, or joined, `-n10`)."""
    while words and words[0].startswith("-") and len(words[0]) > 1:
        flag = words.pop(0)
        if flag[1] in valued and len(flag) == 2 and words:
            words.pop(0)
    return words


def _line_python(line: str) -> str | None:
    """The Python a magic line runs here, at the line's indentation: `%time w = fit()`:
    `w = fit()`; `%run ./utils.py` (or `utils`, `-i`, `-m utils`, arguments after it):
    `from utils import *`, the student's own module staged beside the notebook, its names as
    %run leaves them; None for any other line."""
    indent, text = line[:len(line) - len(line.lstrip())], line.strip()
    name, _, rest = text[1:].partition(" ") if text.startswith("%") and \
        not text.startswith("%%") else ("", "", "")
    if name in _PYTHON_LINE_MAGICS:
        words = rest.strip().split(" ")
        code = " ".join(_options([w for w in words if w], _PYTHON_LINE_MAGICS[name]))
        return indent + code if code.strip() and _compiles(code) else None
    if name != "run":
        return None
    words, module = rest.split(), ""
    while words and words[0].startswith("-") and len(words[0]) == 2 and \
            words[0][1] in _RUN_OPTIONS:
        flag = words.pop(0)[1]
        if flag == "m" and words:
            module = words.pop(0)
        elif flag in _RUN_VALUED and words:
            words.pop(0)
    module = module or (_own_file(words[0], optional=True) if words else "")
    return indent + f"from {module} import *" if module.isidentifier() and \
        module.isascii() else None


def _own_file(arg: str, optional: bool = False) -> str:
    """The module a file argument names, `helpers.py`, `./helpers.py`, `"helpers.py"` (and
    `helpers` where `.py` is `optional`, as %run reads it): `helpers`; "" for anything else."""
    arg = arg.strip("'\"")
    while arg.startswith("./"):
        arg = arg[2:]
    name = arg[:-3] if arg.endswith(".py") else arg if optional else ""
    return name if name.isidentifier() and name.isascii() else ""


def cell_python(source: str) -> str | None:
    """The Python of one code cell: magic, shell and help lines become `pass` at their
    indentation (an assignment from one: its names = None; `%run utils.py`: `from utils import
    *`, the student's own module, staged beside the notebook); None for a cell magic whose body
    is not Python (`%%bash`) and for a check cell. A cell that compiles is left as it is."""
    text = source.lstrip()
    if text.startswith(CHECK_CELL_TAG):
        return None
    if helper_module(source):
        return source.lstrip().split("\n", 1)[1] if "\n" in source.lstrip() else ""
    if text.startswith("%%"):
        magic = text[2:].split(None, 1)[0] if text[2:].strip() else ""
        if magic not in PYTHON_CELL_MAGICS:
            return None
    elif _compiles(source):      # IPython's lines written as calls, as an export has them
        source = script_python(source.encode()).decode() if "get_ipython()" in source \
            else source
        return source if source.endswith("\n") else source + "\n"
    lines, going_on = [], None      # the indentation of a magic line that ends with "\\"
    for line in source.splitlines():
        if going_on is not None:   # the rest of a magic or shell line: `!pip install \\`
            lines.append(going_on + "pass")
            going_on = going_on if line.rstrip().endswith("\\") else None
            continue
        indent = line[:len(line) - len(line.lstrip())]
        if is_magic(line) and line.rstrip().endswith("\\"):
            going_on = indent
        given, python = _GIVEN.match(line), _line_python(line)
        timed = given and line[given.end() - 1:].startswith("%time ") and \
            _line_python(line[given.end() - 1:])
        if timed:                    # `w = %time fit()`: what %time gives is fit()'s value
            line = indent + f"{given.group(2)} = {timed.strip()}"
        elif given:
            line = indent + given_nothing(given.group(2), line[given.end() - 1])
        elif python is not None:
            line = python
        elif is_magic(line) or _HELP.match(line):
            line = indent + "pass"
        lines.append(line)
    return "\n".join(lines) + "\n"


def given_nothing(targets: str, kind: str) -> str:
    """What `targets = !cmd` or `targets = %magic` gives here, where no shell or magic runs: a
    shell's output is its lines, none ([]; one name, as IPython's list; several: "" each), a
    magic's None."""
    names = [n.strip() for n in targets.split(",")]
    value = ("[]" if len(names) == 1 else '""') if kind == "!" else "None"
    return f"{', '.join(names)} = {', '.join([value] * len(names))}"


def helper_module(source: str) -> str:
    """The module a `%%writefile [-a] NAME.py` cell writes (`%%file`, `./NAME.py`, quoted: the
    same), NAME, a plain module name; "" for any other cell."""
    first = source.lstrip().split("\n", 1)[0].split()
    if len(first) < 2 or first[0] not in ("%%writefile", "%%file"):
        return ""
    args = [a for a in first[1:] if a not in ("-a", "--append")]
    return _own_file(args[0]) if len(args) == 1 else ""


# ----------------------------------------------------------------------------------------------
# a notebook exported as a script (`jupyter nbconvert --to script`): IPython's lines as calls

# what IPython writes for a line of its own, and that line as it stood in the notebook
_AS_WRITTEN = {"run_line_magic": lambda name, line="": f"%{name} {line}".rstrip(),
               "magic": lambda line: f"%{line}", "system": lambda cmd: f"!{cmd}",
               "getoutput": lambda cmd: f"!{cmd}"}


def _ipython_call(node) -> tuple[str, list[str]] | None:
    """(method, its text arguments) where `node` is `get_ipython().METHOD('text', ...)`, as
    IPython writes a magic, shell or cell magic line; None for anything else (an argument
    built at run time, another method, `get_ipython().user_ns`)."""
    import ast
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and
            isinstance(node.func.value, ast.Call) and not node.keywords and
            isinstance(node.func.value.func, ast.Name) and
            node.func.value.func.id == "get_ipython" and not node.func.value.args and
            not node.func.value.keywords):
        return None
    method = node.func.attr
    if method not in _AS_WRITTEN and method != "run_cell_magic":
        return None
    if not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args):
        return None
    return method, [a.value for a in node.args]


def _as_in_notebook(stmt, line: str) -> list[str] | None:
    """The lines the notebook loader makes of one statement IPython wrote on `line` (a whole
    line of its own), or None where it is not one of IPython's lines."""
    import ast
    value = stmt.value if isinstance(stmt, (ast.Expr, ast.Assign)) else None
    call = _ipython_call(value)
    if call is None:
        return None
    method, args = call
    indent = line[:len(line) - len(line.lstrip())]
    if method == "run_cell_magic":          # %%time, %%bash, %%writefile: the cell it was
        if len(args) != 3 or isinstance(stmt, ast.Assign) or indent:
            return None
        cell = f"%%{args[0]} {args[1]}\n{args[2]}"
        python = None if helper_module(cell) else cell_python(cell)
        return (python or "pass\n").splitlines()
    try:
        written = _AS_WRITTEN[method](*args)
    except TypeError:                       # other arguments than IPython writes
        return None
    if "\n" in written or "\r" in written:
        return None
    if isinstance(stmt, ast.Assign):
        written = f"{line[:stmt.value.col_offset].rstrip()} {written}"
    else:
        written = indent + written
    python = cell_python(written).splitlines()
    return python if len(python) == 1 and python[0].strip() else None


def script_python(data: bytes) -> bytes:
    """A notebook exported as a script (`jupyter nbconvert --to script`), as the notebook
    loader has the same lines in the notebook: IPython's own lines, which the export writes as
    calls, become what the loader makes of them (`pass`, nothing given), e.g.

        get_ipython().run_line_magic('matplotlib', 'inline')     ->  pass
        get_ipython().system('pip install tqdm')                 ->  pass
        files = get_ipython().getoutput('ls')                    ->  files = []
        get_ipython().run_cell_magic('time', '', 'w = fit()\n')  ->  pass / w = fit()

    (a `%%writefile helpers.py` cell writes nothing: hand helpers.py in beside the file). Only
    a statement that is the whole of its line, its arguments plain text, is such a line;
    `get_ipython()` used in any other way is left as it is (the review flags it). Other files,
    and a file that does not parse or would not parse after, come back as they were."""
    import ast
    if b"get_ipython()" not in data:
        return data
    try:
        text = data.decode("utf-8")
        tree = parse(text)
    except (UnicodeDecodeError, SyntaxError, ValueError, MemoryError, RecursionError):
        return data
    lines = text.splitlines()
    made: dict[int, list[str]] = {}
    for stmt in ast.walk(tree):
        if not isinstance(stmt, (ast.Expr, ast.Assign)) or stmt.lineno != stmt.end_lineno:
            continue
        line = lines[stmt.lineno - 1]
        rest = line[stmt.end_col_offset:].strip() if stmt.end_col_offset is not None else "x"
        if line[:stmt.col_offset].strip() or (rest and not rest.startswith("#")):
            continue                        # another statement shares the line
        python = _as_in_notebook(stmt, line)
        if python is not None:
            made[stmt.lineno] = python
    if not made:
        return data
    out = []
    for number, line in enumerate(lines, 1):
        out += made.get(number, [line])
    new = "\n".join(out) + "\n"
    return new.encode() if _compiles(new) else data


def _compiles(source: str) -> bool:
    try:
        compile(source, "<cell>", "exec", dont_inherit=True)
        return True
    except (SyntaxError, ValueError, MemoryError, RecursionError, OverflowError):
        return False


def too_many_cells(data: bytes) -> str:
    """Why a notebook's bytes are not read, counted before they are parsed ('' to read them)."""
    count = bytes(data).count(b'"cell_type"')
    return f"not graded: it has {count} cells (at most {MAX_CELLS})" if count > MAX_CELLS \
        else ""


def notebook_cells(nb: dict) -> list[tuple[str, str]]:
    """(label, Python) of the code cells that run: "code cell 3" is the third code cell of
    the notebook (markdown cells are not counted). ValueError for a notebook that is not
    nbformat's shape (cells not a list, a cell not an object, a source not text)."""
    cells, number = [], 0
    raw = nb.get("cells")
    if not isinstance(raw, list):
        raise ValueError("not a valid notebook (its \"cells\" is not a list)")
    if len(raw) > MAX_CELLS:     # (a key spelled with escapes is not counted before)
        raise ValueError(f"not graded: it has {len(raw)} cells (at most {MAX_CELLS})")
    for cell in raw:
        if not isinstance(cell, dict):
            raise ValueError("not a valid notebook (a cell is not an object)")
        if cell.get("cell_type") != "code":
            continue
        number += 1
        src = cell.get("source", "")
        if isinstance(src, list) and all(isinstance(s, str) for s in src):
            src = "".join(src)
        if not isinstance(src, str):
            raise ValueError(f"not a valid notebook (the source of code cell {number} is "
                             f"{type(src).__name__}, not text)")
        python = cell_python(src)
        if python is not None and python.strip():
            helper = helper_module(src)
            cells.append((f"code cell {number}" + (f" ({helper}.py)" if helper else ""),
                          python))
    return cells


def notebook_source(data: bytes, origin: str = "") -> str:
    """The Python source of a notebook given as bytes: a module that runs its code cells,
    skipping those that raise. ValueError, with a short reason, for bytes that are not a
    notebook (not UTF-8, not JSON, nested too deeply, not nbformat's shape)."""
    if not data.strip():
        raise ValueError("not a valid notebook (the file is empty)")
    if too_many_cells(data):
        raise ValueError(too_many_cells(data))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not a valid notebook (not UTF-8 text: byte {exc.start})") from None
    try:
        nb = json.loads(text)
    except RecursionError:
        raise ValueError("not a valid notebook (its JSON is nested too deeply)") from None
    except ValueError as exc:  # json.JSONDecodeError, and numbers too long to read
        raise ValueError(f"not a valid notebook ({str(exc)[:120]})") from None
    if not isinstance(nb, dict):
        raise ValueError("not a valid notebook (not a JSON object)")
    try:
        cells = notebook_cells(nb)
    except RecursionError:
        raise ValueError("not a valid notebook (nested too deeply)") from None
    return cells_to_module(cells, origin=origin)


def notebook_to_module(path: Path) -> str:
    """The Python source of a notebook file: a module that runs its code cells, skipping those
    that raise. The file is read as every submission file is (grader.sandbox.files: a regular file,
    no link followed, size capped); ValueError says why a file is not read or not a notebook."""
    from grader.sandbox.files import read_file
    path = Path(path)
    return notebook_source(read_file(path), origin=path.name)
