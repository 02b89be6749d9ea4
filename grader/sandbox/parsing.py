"""Reading a submission's text as Python on the trusted side: every reading parses through
parse(), one thread at a time, within a bound on size, and a text too deep or too large for
the parser is a SyntaxError (read as text that does not parse), never a crash or a blow-up
of the grading process.

    tree = parse(source)      # TooDeep, TooLarge: SyntaxErrors
"""
from __future__ import annotations

import ast
import threading

# Python 3.11's ast.parse is not safe in two threads at once ("AST constructor recursion depth
# mismatch"): two class runs of one process (threads) read submissions' files together
_PARSING = threading.Lock()


class TooDeep(SyntaxError):
    """Source nested too deeply for Python's parser (`x = ` + 3000 `-` + `1`): read as text that
    does not parse wherever a SyntaxError is caught, never a crash of the trusted side."""


class TooLarge(SyntaxError):
    """Source longer than MAX_PARSE_BYTES: Python's parser costs several hundred times a file's
    size in memory (a 19 MB file of short lines: 12 GB and 6 minutes in the grading process),
    so the trusted side reads it as text that does not parse (the worker, within its own
    limits, is where it runs)."""


# a solution is 10 KB; the review reads 500 KB of code and 1 MB of numbers written out as data
MAX_PARSE_BYTES = 1_000_000


def parse(source):
    """ast.parse(source), one thread at a time; TooDeep (a SyntaxError) where the parser runs
    out of depth or memory, TooLarge past MAX_PARSE_BYTES. Every reading of a submission's
    text on the trusted side parses through here."""
    if len(source) > MAX_PARSE_BYTES:
        raise TooLarge(f"too large to read ({len(source) / 1e6:.1f} MB)")
    with _PARSING:
        try:
            return ast.parse(source)
        except (RecursionError, MemoryError) as exc:
            raise TooDeep(f"too deeply nested to read ({type(exc).__name__})") from None
