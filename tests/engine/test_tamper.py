"""The tamper scan (grader.engine.review): correct programs come out clean, programs that reach into the
grader, the interpreter or a library are flagged on the right line, and no input crashes it."""
import ast
import json
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

from grader.exercises import EXERCISES, module_of, mutants
from grader.engine.review import (MAX_SOURCE_BYTES, TOO_DEEP, Finding, scan_file, scan_notebook,
                           scan_source)

ROOT = Path(__file__).resolve().parents[2]
ADVERSARIAL = ROOT / "tests" / "adversarial"
REFERENCE = (ROOT / "solutions" / "ex01_linear_model.py").read_text()


def _rel(path):
    return str(path.relative_to(ROOT))


CLEAN_FILES = sorted(
    [*(ROOT / "tests" / "idioms").rglob("*.py"), *(ROOT / "tests" / "holdout").glob("ex*.py"),
     *(ROOT / "solutions").glob("*.py"), *(ROOT / "exercises").glob("*.py"),
     *(ROOT / "source_notebooks").rglob("*.ipynb")])


# ----------------------------------------------------------------------------------------------
# (a) correct programs, in every style the package knows, give no finding

@pytest.mark.parametrize("path", CLEAN_FILES, ids=_rel)
def test_a_correct_file_gives_no_finding(path):
    assert scan_file(path) == []


def test_the_clean_corpora_are_all_there():
    kinds = {p.suffix for p in CLEAN_FILES}
    assert kinds == {".py", ".ipynb"} and len(CLEAN_FILES) >= 12 * 4


def _wrong_programs():
    for ex in EXERCISES:
        module = mutants(ex)
        reference = (ROOT / "solutions" / f"{module_of(ex)}.py").read_text()
        codes = [m.code for m in module.MUTANTS] + \
            [getattr(a, "code", a) for a in getattr(module, "ALTERNATIVES", {}).values()]
        for i, code in enumerate(codes):
            yield f"{ex}-{i}", reference + "\n\n" + textwrap.dedent(code)


def test_the_known_wrong_and_alternative_programs_give_no_finding():
    """Mistakes are not tampering: every mutant and alternative, appended to its reference."""
    flagged = {name: scan_source(text, "x.py") for name, text in _wrong_programs()}
    assert len(flagged) > 100
    assert {name: found for name, found in flagged.items() if found} == {}


def test_the_demo_class_gives_no_finding(tmp_path):
    from grader.instructor.demo import make_class
    make_class(tmp_path / "class")
    scanned, found = 0, []
    for path in sorted((tmp_path / "class").rglob("*")):
        if path.suffix in (".py", ".ipynb"):
            scanned += 1
            found += scan_file(path)
        elif path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                for name in zf.namelist():
                    scanned += 1
                    found += scan_source(zf.read(name), Path(name).name)
    assert scanned > 12 * 5 and found == []


# ----------------------------------------------------------------------------------------------
# the project's hostile submissions: flagged where they tamper in-process

# file -> (flagged, why)
ADVERSARIAL_EXPECTED = {
    "allocate_10gb": (False, "asks for memory; the sandbox's limits stop it"),
    "always_equal": (False, "a lying return value; values are compared on the trusted side"),
    "daemon_thread": (False, "spins; costs time only"),
    "deep_nesting": (False, "a deep return value; the reply schema refuses it"),
    "forge_reply": (True, "patches the worker's encoder, grader.sandbox.protocol.encode"),
    "fork_bomb": (False, "forks; the sandbox's process limit stops it"),
    "global_state": (False, "public settings (default dtype, seeds, grad mode), no patching"),
    "hardcoded_visible": (False, "typed-in answers; the hidden checks catch them"),
    "hostile_text": (False, "prints hostile text; output is made safe where it is shown"),
    "huge_list_under_cap": (False, "a big return value"),
    "huge_result": (False, "a big return value"),
    "import_exception": (False, "raises at import"),
    "import_installed_solutions": (True, "imports the references (solutions) and execs them"),
    "inf_result": (False, "a wrong value"),
    "keyboard_interrupt": (False, "raises"),
    "kill_everything": (False, "sends signals; the sandbox's user stops it"),
    "kill_zygote": (False, "sends a signal; the sandbox's user stops it"),
    "leave_in_scratch": (False, "writes scratch files; the sandbox's folders stop it"),
    "loop_at_import": (False, "loops"),
    "loop_in_call": (False, "loops"),
    "lying_tensor": (False, "a lying tensor subclass; values are decoded on the trusted side"),
    "missing_function": (False, "deletes its own function"),
    "mutate_inputs": (False, "changes its own inputs; the grader passes copies"),
    "nan_result": (False, "a wrong value"),
    "network": (False, "opens sockets; the sandbox has no network"),
    "os_exit_in_call": (False, "exits"),
    "patch_builtins": (True, "patches builtins.abs, round, print"),
    "patch_grader": (True, "imports and patches the grader's comparisons"),
    "patch_numpy": (True, "patches numpy's comparisons"),
    "patch_pytest": (True, "imports and patches pytest"),
    "patch_torch": (True, "patches torch's comparisons and torch.Tensor.__eq__"),
    "print_100mb": (False, "prints; output is capped"),
    "read_hidden_checks": (True, "imports grader and names its hidden files"),
    "read_solutions": (True, "names the references' file and execs it"),
    "recursion": (False, "recurses"),
    "result_bad_json": (True, "finds the worker in gc.get_objects and writes to its pipe"),
    "result_bad_tensor": (True, "finds the worker in gc.get_objects and writes to its pipe"),
    "result_huge_length": (True, "finds the worker in gc.get_objects and writes to its pipe"),
    "result_pickle": (True, "finds the worker in gc.get_objects and writes to its pipe"),
    "returns_bool": (False, "a wrong type"),
    "returns_list": (False, "a wrong type"),
    "returns_none": (False, "a wrong value"),
    "returns_string": (False, "a wrong type"),
    "sigkill_self": (False, "kills itself"),
    "sigstop_self": (False, "stops itself"),
    "sleep_past_limit": (False, "sleeps"),
    "steal_token": (True, "reads /proc/<pid>/environ"),
    "subprocess_left_behind": (False, "starts processes; the sandbox reaps them"),
    "syntax_error": (False, "does not parse, so cannot run"),
    "sys_exit_in_call": (False, "exits"),
    "system_exit_at_import": (False, "exits"),
    "write_fd1_100mb": (False, "writes to its own stdout, fd 1"),
    "write_outside": (True, "writes into the grader's files (grader/...)"),
    "wrong_device": (False, "a wrong device"),
    "wrong_dtype": (False, "a wrong dtype"),
    "wrong_shape": (False, "a wrong shape"),
    "wrong_signature": (False, "a wrong signature"),
    "wrong_tensor_shape": (False, "a wrong shape"),
}


def _adversarial_source(name):
    """The submission tests/checks/test_adversarial.py grades: the file, or the reference with the
    file appended; placeholders filled in with plausible values."""
    text = (ADVERSARIAL / f"{name}.py").read_text()
    for key, value in (("__ROOT__", "/srv/torchdrills"), ("__OUTSIDE__", "/tmp/outside"),
                       ("__OTHER__", "/tmp/other"), ("__PORT__", "40123"),
                       ("__MARKER__", "987654")):
        text = text.replace(key, value)
    return text if text.startswith("# replaces the whole submission") else \
        REFERENCE + "\n\n" + text


def test_every_adversarial_file_has_a_decision():
    assert sorted(ADVERSARIAL_EXPECTED) == sorted(p.stem for p in ADVERSARIAL.glob("*.py"))


@pytest.mark.parametrize("name", sorted(ADVERSARIAL_EXPECTED))
def test_adversarial_file(name):
    flagged, why = ADVERSARIAL_EXPECTED[name]
    found = scan_source(_adversarial_source(name), "ex01_linear_model.py")
    assert bool(found) == flagged, (why, found)


# ----------------------------------------------------------------------------------------------
# (b) fresh tampering programs: (id, source, line of a finding, words in its text)

MAIN_GC = 'if __name__ == "__main__":\n    import gc\n    objs = gc.get_objects()\n'
HOSTILE = [
    # 0. what could tell the grader's runs of a call (on copies, or forked) from the call itself
    ("refcount", "import sys\ndef fit(x):\n    return sys.getrefcount(x)\n", 3, "sys.getrefcount"),
    ("version", "def fit(x):\n    return x._version\n", 2, "(_version)"),
    ("setstate", "class M:\n    def __setstate__(self, s):\n        self.copied = True\n", 2,
     "a class's own __setstate__"),
    ("deepcopy-hook", "class M:\n    def __deepcopy__(self, memo):\n        return self\n", 2,
     "a class's own __deepcopy__"),
    ("new-hook", "class M:\n    def __new__(cls):\n        return super().__new__(cls)\n", 2,
     "a class's own __new__"),
    ("hook-assigned", "def _t(self, memo):\n    return self\n\nclass M:\n    __deepcopy__ = _t\n",
     5, "copy hook, assigned"),
    ("hook-setattr", "class M:\n    pass\n\nsetattr(M, '__reduce_ex__', print)\n", 4,
     "copy hook set"),
    ("hook-attribute", "class M:\n    pass\n\nM.__setstate__ = print\n", 4, "copy hook set"),
    # 1. the grader's, pytest's, the references' code
    ("import-grader", "import grader.sandbox.inside.probes.ex03 as p\n", 1, "grader.sandbox.inside.probes.ex03"),
    ("from-grader", "from grader.sandbox.inside.probes import ex03\n", 1, "grader's or pytest's code"),
    ("dunder-import-concat", "m = __import__('gr' + 'ader')\n", 1, "(grader)"),
    ("importlib-grader", "import importlib\nm = importlib.import_module('grader.sandbox.inside.probes')\n", 2,
     "grader.sandbox.inside.probes"),
    ("sys-modules-grader", "import sys\np = sys.modules['grader.sandbox.inside.probes.ex03']\n", 2,
     "sys.modules"),
    ("sys-modules-alias", "import sys as s\nmods = s.modules\n", 2, "import system"),
    ("from-pytest", "from pytest import main as run_tests\n", 1, "pytest.main"),
    ("import-_pytest", "import _pytest.outcomes as o\n", 1, "_pytest.outcomes"),
    ("pluggy", "import pluggy\n", 1, "pluggy"),
    ("solutions", "from solutions.ex01_linear_model import forward\n", 1, "solutions"),
    ("torchdrills", "import torchdrills\n", 1, "torchdrills"),
    ("getattr-import", "probes = getattr(__import__('gr' + 'ader'), 'probes')\n", 1,
     "grader.probes"),
    ("grader-file-text", "with open('/srv/x/' + 'grader/checks/a.py') as f:\n    f.read()\n", 1,
     "grader's files"),
    # 2. the interpreter's machinery
    ("patch-builtins-len", "import builtins\nbuiltins.len = lambda x: 0\n", 2,
     "patches builtins.len"),
    ("dunder-builtins", "__builtins__['print'] = None\n", 1, "builtins"),
    ("from-builtins", "from builtins import __import__ as imp\n", 1, "imports modules by name"),
    ("settrace", "import sys\nsys.settrace(lambda *a: None)\n", 2, "sys.settrace"),
    ("getframe", "import sys\nf = sys._getframe(1)\n", 2, "call stack (sys._getframe)"),
    ("audithook", "import sys\nsys.addaudithook(print)\n", 2, "interpreter hook"),
    ("meta-path", "import sys\nsys.meta_path.insert(0, object())\n", 2, "sys.meta_path"),
    ("breakpointhook", "import sys\nsys.breakpointhook = print\n", 2, "sys.breakpointhook"),
    ("stdout-total", "import sys\nsys.stdout.total = 2 ** 70\n", 2, "sys.stdout.total"),
    ("stdout-total-literal", "import sys\nsys.stdout.total = 1180591620717411303424\n", 2,
     "sys.stdout.total"),
    ("grader-flag", "import grader.sandbox.inside.probes.common as c\nc.STRICT = False\n", 2,
     "patches grader.sandbox.inside.probes.common.STRICT"),
    ("other-library-function", "import pandas as pd\npd.read_csv = print\n", 2,
     "patches pandas.read_csv"),
    # 3. insides of functions, frames, classes
    ("globals", "def f(fn):\n    return fn.__globals__['x']\n", 2, "__globals__"),
    ("closure-spelled", "def f(fn):\n    return getattr(fn, '__clo' + 'sure__')\n", 2,
     "spelled as text"),
    ("wrapped", "def f(fn):\n    g = fn.__wrapped__\n", 2, "__wrapped__"),
    ("frame-chain", "import inspect\ndef f():\n"
     "    return inspect.currentframe().f_back.f_locals\n", 3, "f_back"),
    ("frame-chain-inspect", "import inspect\ndef f():\n    return inspect.currentframe()\n", 3,
     "inspect.currentframe"),
    ("tb-frame", "try:\n    1 / 0\nexcept Exception as e:\n    fr = e.__traceback__.tb_frame\n",
     4, "tb_frame"),
    ("subclasses", "subs = ().__class__.__base__.__subclasses__()\n", 1, "class hierarchy"),
    ("getclosurevars", "from inspect import getclosurevars as gcv\n", 1, "getclosurevars"),
    ("walk-stack", "import traceback\nfor fr, _ in traceback.walk_stack(None):\n    pass\n", 2,
     "traceback.walk_stack"),
    ("dir-walk", "def f(fn):\n    for n in dir(fn):\n        v = getattr(fn, n)\n", 3,
     "dir and getattr"),
    ("gi-frame", "def g():\n    yield 1\nx = g().gi_frame\n", 3, "reads a frame"),
    ("lambda-code", "peek = lambda fn: fn.__code__\n", 1, "__code__"),
    ("class-body-defaults", "class A:\n    peek = staticmethod(lambda f: f.__defaults__)\n", 2,
     "__defaults__"),
    ("self-of-builtin", "mod = print.__self__\n", 1, "__self__"),
    ("object-getattribute", "def f(fn):\n    return object.__getattribute__(fn, '__globals__')\n",
     2, "spelled as text"),
    # 4. the garbage collector's objects
    ("gc-alias", "import gc as g\nobjs = g.get_objects()\n", 2, "gc.get_objects"),
    ("gc-from", "from gc import get_referrers\n", 1, "gc.get_referrers"),
    ("gc-getattr", "import gc\nf = getattr(gc, 'get_' + 'objects')\n", 2, "gc.get_objects"),
    ("gc-callbacks", "import gc\ngc.callbacks.append(print)\n", 2, "gc.callbacks"),
    ("gc-star", "from gc import *\nfound = get_referents(1)\n", 2, "gc.get_referents"),
    # 5. raw memory, native code, /proc
    ("ctypes", "import ctypes\n", 1, "raw memory"),
    ("ctypes-from", "from ctypes import CDLL, c_char\n", 1, "ctypes.CDLL"),
    ("proc-concat", "text = open('/pr' + 'oc/self/environ').read()\n", 1, "/proc"),
    ("proc-join", "import os\np = os.path.join('/', 'proc', 'self', 'mem')\n", 2, "/proc"),
    ("proc-pathlib", "from pathlib import Path\nt = (Path('/') / 'proc' / 'self').read_text()\n",
     2, "/proc"),
    ("proc-list-join", "path = ''.join(['/', 'pr', 'oc'])\n", 1, "/proc"),
    ("proc-reversed", "path = 'corp/'[::-1]\n", 1, "/proc"),
    ("proc-constant-name", "P = '/pr' + 'oc'\ndef f():\n    return open(P + '/1/maps')\n", 3,
     "/proc"),
    ("proc-format", "p = '/{}/{}'.format('proc', 'self')\n", 1, "/proc"),
    ("proc-percent", "p = '/%s/self' % 'proc'\n", 1, "/proc"),
    ("proc-bytes", "p = bytes([47, 112, 114, 111, 99]).decode()\n", 1, "/proc"),
    ("dev-mem", "f = open('/dev/mem', 'rb')\n", 1, "/dev"),
    ("proc-percent-c", "p = '%c%c%c%c%c' % (47, 112, 114, 111, 99)\n", 1, "/proc"),
    ("proc-glob", "import glob\nfiles = glob.glob('/pr*/self/env*')\n", 2, "/proc"),
    ("mmap", "import mmap\n", 1, "mmap"),
    ("os-write-fd", "import os\nos.write(4, b'TDR1')\n", 2, "raw file descriptor"),
    ("os-fdopen", "import os\nf = os.fdopen(5, 'wb')\n", 2, "os.fdopen"),
    ("open-fd", "with open(3, 'wb') as f:\n    pass\n", 1, "raw file descriptor"),
    # a numbered descriptor other than 0, 1 and 2, however it is written to, duplicated,
    # opened or handed to a child process
    ("subprocess-stdout-int", "import subprocess\n"
     "subprocess.run(['cat'], input=b'frame', stdout=5)\n", 2, "raw file descriptor (stdout=5)"),
    ("subprocess-stdout-loop", "import subprocess\nfor fd in range(3, 64):\n"
     "    subprocess.run(['cat'], input=b'x', stdout=fd)\n", 3, "stdout=fd"),
    ("subprocess-stdout-computed", "import subprocess, os\n"
     "subprocess.call(['cat'], stderr=int(os.environ['FD']))\n", 2, "stderr="),
    ("subprocess-stdin-arith", "import subprocess\nbase = 2\n"
     "p = subprocess.Popen(['x'], stdin=base + 2)\n", 3, "stdin=base + 2"),
    ("subprocess-stdout-param", "import subprocess\ndef send(frame, out):\n"
     "    subprocess.run(['cat'], input=frame, stdout=out)\nsend(b'', 5)\n", 3, "stdout=out"),
    ("subprocess-positional", "import subprocess\nsubprocess.Popen(['cat'], -1, None, None, 5)\n",
     2, "stdout=5"),
    ("subprocess-pass-fds", "import subprocess\nsubprocess.run(['sh'], pass_fds=(5,))\n",
     2, "pass_fds"),
    ("subprocess-close-fds", "import subprocess\n"
     "subprocess.run('echo x >&5', shell=True, close_fds=False)\n", 2, "close_fds=False"),
    ("subprocess-fileno", "import subprocess\ndef f(pipe):\n"
     "    subprocess.run(['cat'], stdout=pipe.fileno())\n", 3, "stdout=pipe.fileno()"),
    ("asyncio-subprocess", "import asyncio\nasync def f():\n"
     "    await asyncio.create_subprocess_exec('cat', stdout=5)\n", 3, "stdout=5"),
    ("fcntl", "import fcntl\nfor fd in range(3, 9):\n    fcntl.fcntl(fd, fcntl.F_GETFL)\n",
     1, "raw file descriptor (fcntl)"),
    ("termios", "import termios\n", 1, "raw file descriptor (termios)"),
    ("pty", "import pty\npty.spawn('sh')\n", 1, "raw file descriptor (pty)"),
    ("select", "import select\nr, w, x = select.select([], [5], [], 0)\n", 1, "(select)"),
    ("os-dup", "import os\nfd = os.dup(5)\n", 2, "os.dup"),
    ("os-dup2", "from os import dup2\ndup2(5, 1)\n", 1, "os.dup2"),
    ("os-fdopen-loop", "import os\nfor n in range(3, 10):\n    os.fdopen(n, 'wb').write(b'x')\n",
     3, "os.fdopen"),
    ("os-sendfile", "import os\nos.sendfile(5, src, 0, 10)\n",
     2, "writes to a raw file descriptor (os.sendfile)"),
    ("os-splice", "import os\nos.splice(r, 5, 10)\n",
     2, "writes to a raw file descriptor (os.splice)"),
    ("os-write-computed", "import os\ndef f(n):\n    os.write(n * 1, b'x')\n",
     3, "writes to a raw file descriptor"),
    ("posix-write", "import posix\nposix.write(5, b'x')\n",
     2, "writes to a raw file descriptor (os.write)"),
    ("os-fstat-probe", "import os\nfor fd in range(3, 64):\n    os.fstat(fd)\n", 3, "(os.fstat)"),
    ("os-set-inheritable", "import os\nos.set_inheritable(5, True)\n", 2, "os.set_inheritable"),
    ("open-fd-loop", "for fd in range(3, 10):\n    f = open(fd, 'wb', closefd=False)\n",
     2, "raw file descriptor (open of a descriptor)"),
    ("open-fd-keyword", "f = open(file=2 + 3, mode='wb')\n", 1, "open of a descriptor"),
    ("fileio-fd", "import io\nf = io.FileIO(5, 'w')\n", 2, "io.FileIO of a descriptor"),
    ("io-open-fd", "import io as i\nf = i.open(4, 'wb')\n", 2, "io.open of a descriptor"),
    ("open-fd-list", "fds = [4, 5]\nfor fd in fds:\n    open(fd, 'wb')\n",
     3, "open of a descriptor"),
    ("copyfileobj-fd", "import shutil\nshutil.copyfileobj(src, open(5, 'wb'))\n",
     2, "open of a descriptor"),
    ("socket-fileno", "import socket\ns = socket.socket(fileno=5)\n", 2, "socket.socket(fileno"),
    ("socket-positional", "import socket\ns = socket.socket(1, 1, 0, 5)\n",
     2, "socket.socket(fileno"),
    ("socket-fromfd", "import socket\ns = socket.fromfd(5, 1, 1)\n", 2, "socket.fromfd"),
    ("dir-fd", "import os\nfd = os.open('x', os.O_RDONLY, dir_fd=7)\n", 2, "dir_fd=7"),
    ("open-with-opener", "f = open('x', 'wb', opener=lambda path, flags: 5)\n", 1,
     "open with an opener"),
    ("os-stat-fd", "import os\nfor fd in range(3, 9):\n    os.stat(fd)\n", 3, "(os.stat)"),
    ("posix-spawn", "import os\n"
     "os.posix_spawn('/bin/cat', ['cat'], {}, file_actions=[(os.POSIX_SPAWN_DUP2, 5, 1)])\n",
     2, "file_actions"),
    ("as-strided", "import numpy as np\n"
     "v = np.lib.stride_tricks.as_strided(np.zeros(1), (9,), (8,))\n", 2, "as_strided"),
    ("cpp-extension", "from torch.utils import cpp_extension\n", 1, "native code"),
    ("torch-c", "import torch\ntorch._C._set_grad_enabled(True)\n", 2, "torch._C"),
    ("module-hook", "from torch.nn.modules.module import register_module_forward_hook\n", 1,
     "every torch operation or module"),
    ("function-mode", "from torch.overrides import TorchFunctionMode\n", 1, "torch.overrides"),
    # 6. code run from text, computed names
    ("exec", "exec('x = 1')\n", 1, "(exec)"),
    ("eval-alias", "e = eval\nv = e('1')\n", 1, "(eval)"),
    ("compile", "c = compile('1', 'f', 'eval')\n", 1, "(compile)"),
    ("eval-despite-method", "class M:\n    def eval(self):\n        pass\nv = eval('1')\n", 4,
     "(eval)"),
    ("importlib-util", "import importlib.util\nm = importlib.util.module_from_spec(s)\n", 2,
     "importlib.util.module_from_spec"),
    ("runpy", "import runpy\nrunpy.run_path('x.py')\n", 1, "runpy"),
    ("pickle-loads", "import pickle\nobj = pickle.loads(b'')\n", 2, "pickle.loads"),
    ("marshal", "import marshal\n", 1, "marshal"),
    ("function-type", "import types\nf = types.FunctionType(g.__code__, {})\n", 2,
     "types.FunctionType"),
    ("codecs-rot13", "import codecs\ns = codecs.decode('tybonyf', 'rot13')\n", 2,
     "codecs.decode"),
    ("base64-name", "import base64\nn = base64.b64decode('X19nbG9iYWxzX18=').decode()\n", 2,
     "__globals__"),
    ("chr-map-name", "def f(fn):\n    return getattr(fn, ''.join(map(chr, [95, 95, 99, 111, "
     "100, 101, 95, 95])))\n", 2, "__code__"),
    ("chr-codes-hidden", "def f(fn, codes):\n    return getattr(fn, ''.join(chr(c) for c in "
     "codes))\n", 2, "character codes"),
    ("hex-name", "def f(fn):\n    return getattr(fn, bytes.fromhex('5f5f676c6f62616c735f5f')"
     ".decode())\n", 2, "__globals__"),
    ("hidden-name-variable", "import base64\ndef f(fn, secret):\n    name = base64.b64decode("
     "secret).decode()\n    return getattr(fn, name)\n", 4, "cannot be read"),
    ("timeit-string", "import timeit\ntimeit.timeit(open('bench.txt').read())\n", 2,
     "the code for timeit.timeit"),
    ("name-from-a-file", "def f(fn):\n    return getattr(fn, open('n.txt').read().strip())\n", 2,
     "cannot be read (read)"),
    ("name-from-the-environment", "import os\ndef f(fn):\n"
     "    return getattr(fn, os.environ['N'])\n", 3, "cannot be read (environ)"),
    ("name-from-dir-list", "def f(fn):\n    names = dir(fn)\n"
     "    return getattr(fn, names[3])\n", 3, "cannot be read (dir)"),
    ("breakpoint-hook", "import os\nos.environ['PYTHONBREAKPOINT'] = 'builtins.exec'\n"
     "breakpoint('import gc')\n", 3, "breakpoint with arguments"),
    ("breakpoint-variable", "import os\nos.environ['PYTHONBREAKPOINT'] = 'x.y'\n", 2,
     "interpreter hook"),
    ("numpy-pickle", "import numpy as np\nx = np.load('w.npy', allow_pickle=True)\n", 2,
     "allow_pickle=True"),
    ("torch-pickle", "import torch\nx = torch.load('w.pt', weights_only=False)\n", 2,
     "weights_only=False"),
    ("joblib", "import joblib\nm = joblib.load('m.pkl')\n", 2, "joblib.load"),
    # text that a library evaluates as Python
    ("get-type-hints", "import typing\ndef f(x):\n    pass\n"
     "f.__annotations__ = {'x': open(__file__).read().split('#')[-1]}\n"
     "typing.get_type_hints(f, localns={})\n",
     5, "runs code built at run time (typing.get_type_hints)"),
    ("annotation-hidden", "def f(x):\n    pass\n"
     "f.__annotations__ = {'x': open(__file__).read().split('#')[-1]}\n",
     3, "builds an annotation so that it cannot be read (read)"),
    ("annotation-item-hidden", "import base64\ndef f(x):\n    pass\n"
     "f.__annotations__['x'] = base64.b64decode(s).decode()\n", 4, "an annotation so that"),
    ("string-annotation-annotated-type", "from typing import Annotated\n"
     'def f(x: Annotated["exec(\'1\')", \'meta\']):\n    pass\n', 2, "(exec)"),
    ("get-type-hints-from", "from typing import get_type_hints as hints\n", 1, "get_type_hints"),
    ("typing-extensions-hints", "import typing_extensions as te\nh = te.get_type_hints(int)\n",
     2, "runs code built at run time"),
    ("forward-ref", "import typing\nr = typing.ForwardRef(s)\n",
     2, "runs code built at run time (typing.ForwardRef)"),
    ("forward-ref-evaluate", "import typing\nr = typing.List['x'].__args__[0]\n"
     "v = r._evaluate(globals(), None, frozenset())\n",
     3, "runs code built at run time (r._evaluate)"),
    ("eval-type", "from typing import _eval_type\n", 1, "runs code built at run time"),
    ("typing-private", "import typing\nt = typing._type_check(s, '')\n", 2,
     "typing's private internals"),
    ("forward-ref-evaluate-own-method", "import typing\nclass A:\n    def _evaluate(self):\n"
     "        return 1\nr = typing.get_args(typing.List['x'])[0]\nr._evaluate(None, None)\n", 6,
     "(r._evaluate)"),
    ("inspect-eval-str", "import inspect\na = inspect.get_annotations(f, eval_str=True)\n",
     2, "runs code built at run time (eval_str=True)"),
    ("signature-eval-str", "import inspect\ndef f(x):\n    pass\n"
     "s = inspect.signature(f, eval_str=flag)\n", 4, "eval_str=flag"),
    ("string-annotation-code", 'def f(x: "__import__(\'gc\').get_objects()"):\n    pass\n',
     1, "garbage collector"),
    ("string-annotation-nested", "from typing import List\n"
     'def f(x: List["__import__(\'gc\').get_objects()"]) -> None:\n    pass\n',
     2, "garbage collector"),
    ("string-annotation-variable", 'class C:\n    x: "exec(\'import gc\')"\n', 2, "(exec)"),
    ("string-annotation-return", 'def f() -> "open(\'/proc/self/environ\').read()":\n    pass\n',
     1, "/proc"),
    ("code-interpreter", "from code import InteractiveInterpreter\n"
     "InteractiveInterpreter().runsource(s)\n", 1, "runs code built at run time (code.Interac"),
    ("code-console", "import code\ncode.InteractiveConsole().push('x = 1')\n",
     1, "runs code built at run time (code)"),
    ("code-interact", "import code as c\nc.interact(local={})\n",
     1, "runs code built at run time"),
    ("compile-command", "from code import compile_command\n", 1, "code.compile_command"),
    ("codeop", "import codeop\nf = codeop.CommandCompiler()\n", 1, "codeop"),
    ("pydoc-locate", "import pydoc\nm = pydoc.locate('os.path')\n", 1, "pydoc"),
    ("pydoc-importfile", "from pydoc import importfile\n", 1, "pydoc.importfile"),
    ("pandas-eval", "import pandas as pd\nv = pd.eval('1 + 2')\n",
     2, "runs code built at run time (pandas.eval)"),
    ("dataframe-eval", "import pandas as pd\ndf = pd.DataFrame({'a': [1]})\n"
     "v = df.eval('a.__class__')\n", 3, "runs code built at run time (.eval given an expression)"),
    ("dataframe-query-call", "import pandas as pd\ndf = pd.DataFrame({'a': [1]})\n"
     "v = df.query('a > len(a)', engine='python')\n", 3, ".query given an expression"),
    ("dataframe-query-private", "import pandas as pd\ndf = pd.DataFrame({'a': [1]})\n"
     "v = df.query('_x > 0')\n", 3, ".query given an expression"),
    ("dataframe-query", "import pandas as pd\ndef f(df, cond):\n"
     "    return df.query(cond, engine='python')\n", 3, ".query given an expression"),
    ("dataframe-eval-despite-own-method", "class Own:\n    def eval(self, e):\n        return e\n"
     "def f(df, expr):\n    return df.eval(expr)\n", 5, ".eval given an expression"),
    ("dataframe-eval-unbound", "import pandas as pd\nv = pd.DataFrame.eval(df, 'a')\n",
     2, "pandas.DataFrame.eval"),
    ("numexpr", "import numexpr as ne\nv = ne.evaluate('a + 1')\n", 2, "numexpr.evaluate"),
    ("sympify", "from sympy import sympify\n", 1, "sympy.sympify"),
    # sympy's printers write Python text that lambdify runs (a printer of one's own returns any
    # text it likes: the engine's backward, full marks unflagged in a fresh round's B1)
    ("lambdify", "import sympy\nf = sympy.lambdify([], sympy.Integer(1))\n", 2,
     "sympy.lambdify"),
    ("lambdify-by-module", "from sympy.utilities.lambdify import lambdify\n", 1,
     "sympy.utilities.lambdify"),
    ("logging-listen", "import logging.config\nt = logging.config.listen(9999)\n",
     2, "runs code built at run time (logging.config.listen)"),
    ("logging-fileconfig", "from logging.config import fileConfig\n",
     1, "runs code built at run time"),
    ("rlcompleter", "import rlcompleter\n", 1, "rlcompleter"),
    ("site-addsitedir", "import site\nsite.addsitedir('.')\n", 2, "site.addsitedir"),
    ("ipython-shell", "x = get_ipython()\nx.run_cell(src)\n", 1, "IPython.get_ipython"),
    ("torch-benchmark-timer", "import torch.utils.benchmark as b\nt = b.Timer(input())\n",
     2, "the code for torch.utils.benchmark.Timer"),
    ("help-imports", "help('gr' + 'x')\n", 1, "imports modules by name (help with a name)"),
    ("loader-name", "src = __loader__.get_source(__name__)\n", 1, "import system"),
    ("spec-loader", "m = __spec__.loader\n", 1, "import system"),
    ("loader-globals", "ld = globals()['__loa' + 'der__']\n", 1, "spelled as text"),
    ("loader-of-module", "import os\nld = os.__loader__\n", 2, "import system"),
    ("frozen-importlib", "import _frozen_importlib as fi\n", 1, "import system"),
    ("format-hidden", "import base64\ndef f(fn, s):\n"
     "    return base64.b64decode(s).decode().format(fn)\n",
     3, "a format string so that it cannot be read"),
    ("format-from-file", "def f(fn):\n    t = open('t.txt').read()\n    return t.format(fn)\n",
     3, "a format string so that it cannot be read (read)"),
    ("formatter-hidden", "import string, os\nfm = string.Formatter()\n"
     "v = fm.format(os.environ['T'], 1)\n", 3, "a format string so that it cannot be read"),
    ("format-spelled", "def f(fn):\n    return '{0.__glo' 'bals__}'.format(fn)\n",
     2, "__globals__"),
    ("write-a-module", "src = 'import gc'\nwith open('helper.py', 'w') as f:\n    f.write(src)\n"
     "import helper\n", 2, "writes a file Python would run"),
    ("write-a-module-pathlib", "from pathlib import Path\n"
     "Path('hel' + 'per.py').write_text('x')\n", 2, "'helper.py'"),
    # a file Python would run, however its name is built
    ("write-own-file-name", "name = __file__[:-3] + '_x' + __file__[-3:]\n"
     "with open(name, 'w') as f:\n    f.write('import gc')\n", 2, "its own file's"),
    ("write-own-file-append", "open(__file__, 'a').write('\\nimport gc\\n')\n",
     1, "its own file's"),
    ("write-suffix-known", "def save(name, src):\n    open(name + '.py', 'w').write(src)\n",
     2, "a name ending '.py'"),
    ("write-suffix-fstring", "from pathlib import Path\ndef save(d, n):\n"
     "    Path(d, f'{n}.py').write_text('x')\n", 3, "'.py'"),
    ("write-suffix-split", "def save(n):\n    open(n + '.' + 'p' + 'y', 'w')\n", 2, "'.py'"),
    ("write-with-suffix", "from pathlib import Path\ndef save(p):\n"
     "    Path(p).with_suffix('.so').write_bytes(b'')\n", 3, "'.so'"),
    ("write-path-open", "from pathlib import Path\ndef save(n):\n"
     "    with Path('.', n + '.pyc').open('wb') as f:\n        pass\n", 3, "'.pyc'"),
    ("write-torch-save", "import torch\ndef save(n):\n    torch.save({}, n + '.py')\n",
     3, "a name ending '.py'"),
    ("write-savetxt", "import numpy as np\nnp.savetxt('site' + 'customize.py', [1])\n",
     2, "'sitecustomize.py'"),
    ("copy-own-file", "import shutil\nshutil.copy(__file__, '/tmp/')\n", 2, "its own file's"),
    ("copy-to-py", "import shutil\ndef cp(src, n):\n    shutil.copyfile(src, n + '.py')\n",
     3, "'.py'"),
    ("write-percent", "def save(n):\n    open('%s.py' % n, 'w')\n", 2, "'.py'"),
    ("write-format", "def save(n):\n    open('{}.py'.format(n), 'w')\n", 2, "'.py'"),
    ("write-join", "import os\ndef save(d, n):\n    open(os.path.join(d, n + '.py'), 'x')\n",
     3, "'.py'"),
    ("write-variable-name", "def save(src):\n    target = 'help' + 'er.py'\n"
     "    open(target, 'w').write(src)\n", 3, "'helper.py'"),
    ("write-argument-name", "def save(path, src):\n    open(path, 'w').write(src)\n"
     "save('helper.py', 'x')\n", 2, "'helper.py'"),
    ("write-own-file-replace", "open(__file__.replace('.py', '2.py'), 'w')\n", 1, "'2.py'"),
    ("write-own-file-strip", "p = __file__.rstrip('y') + 'yc'\nopen(p, 'wb')\n", 2,
     "its own file's"),
    ("write-own-dirname", "import os\np = os.path.dirname(__file__) + '/x'\n"
     "with open(p, 'w') as f:\n    f.write('import gc')\n", 3, "its own file's"),
    ("write-path-name-open", "from pathlib import Path\ndef save(n):\n    p = Path(n + '.py')\n"
     "    with p.open('w') as f:\n        pass\n", 4, "'.py'"),
    ("tempfile-code", "import tempfile\n"
     "f = tempfile.NamedTemporaryFile(suffix='.py', dir='.', delete=False)\n", 2, "'.py'"),
    ("importlib-written", "import importlib.util\n"
     "spec = importlib.util.spec_from_file_location('h', 'h' + '.py')\n", 2, "importlib"),
    ("zipimport-written", "import zipimport\nzipimport.zipimporter('x.zip').load_module('h')\n",
     1, "zipimport"),
    ("capture-locals", "import traceback\ndef f(e):\n    return traceback.TracebackException."
     "from_exception(e, capture_locals=True)\n", 3, "capture_locals"),
    ("objgraph", "import objgraph\n", 1, "garbage collector"),
    ("pdb-run", "import pdb\npdb.run('x = 1')\n", 2, "pdb.run"),
    ("doctest-runner", "import doctest\ndoctest.run_docstring_examples(len, {})\n", 2,
     "doctest.run_docstring_examples"),
    ("doctest-hidden-example", 'import doctest\ndef f():\n    """\n    >>> import gc; '
     'gc.get_objects()\n    """\nif __name__ == "__main__":\n    doctest.testmod()\n', 4,
     "gc.get_objects"),
    ("mock", "from unittest import mock\n", 1, "unittest.mock"),
    ("vars-lib", "import torch\nns = vars(torch)\n", 2, "vars(torch)"),
    ("indirect-getattr", "import torch\ng = getattr\nf = g(torch, 'x')\n", 2,
     "passes getattr around"),
    ("partial-setattr", "import functools, torch\nfunctools.partial(setattr, torch)("
     "'allclose', print)\n", 2, "passes setattr around"),
    # a name computed at run time is reported on the harness's and the interpreter's modules,
    # where it may be (the constants bound to it, the arguments given for it, what joining
    # them gives) a name a rule names or a private one, where it is hidden, and for what is
    # done with what it finds
    ("getattr-computed-grader", "import grader.sandbox.inside.probes as gp\ndef pick(n):\n"
     "    return getattr(gp, n)\n", 3, "looks up grader.sandbox.inside.probes by a computed name"),
    ("getattr-computed-pytest", "import pytest\nfn = getattr(pytest, input())\n",
     2, "looks up pytest by a computed name"),
    ("getattr-computed-sys", "import sys\ndef pick(n):\n    return getattr(sys, n)\n",
     3, "looks up sys by a computed name"),
    ("getattr-computed-gc", "import gc as g\nname = 'get_' + input()\nf = getattr(g, name)\n",
     3, "looks up gc by a computed name"),
    ("getattr-computed-builtins-dunder", "def pick(n):\n    return getattr(__builtins__, n)\n",
     2, "builtins"),
    ("getattr-private-default", "import torch\nclass M:\n    def __init__(self, act='_C'):\n"
     "        self.f = getattr(torch, act)\n", 4, "torch._C"),
    ("getattr-private-argument", "import torch\ndef pick(name):\n    return getattr(torch, name)\n"
     "pick('_C')\n", 3, "torch._C"),
    ("getattr-private-loop", "import torch\nfor n in ['relu', '_C']:\n    m = getattr(torch, n)\n",
     3, "torch._C"),
    ("getattr-rule-by-candidate", "import torch\nNAMES = {'a': 'overrides'}\ndef pick(k):\n"
     "    return getattr(torch, NAMES[k])\n", 4, "torch.overrides"),
    ("getattr-rule-joined", "import torch\ndef pick(a, b):\n    return getattr(torch, a + b)\n"
     "lib = pick('libr', 'ary')\n", 3, "torch.library"),
    ("getattr-rule-fstring", "import torch\ndef pick(a):\n    return getattr(torch, f'over{a}')\n"
     "pick('rides')\n", 3, "torch.overrides"),
    ("getattr-then-rule", "import torch\ndef f(n):\n    u = getattr(torch, n)\n"
     "    return u.cpp_extension.load('x', [])\n", 4, "torch.*.cpp_extension.load"),
    ("getattr-then-private", "import numpy as np\ndef f(n):\n"
     "    return getattr(np, n)._internal\n", 3, "numpy's private internals"),
    ("getattr-name-flowed-in", "import torch\nnames = []\nnames.append('_C')\n"
     "m = getattr(torch, names[0])\n", 4, "torch._C"),
    ("getattr-chain-resolved", "import numpy as np\ndef f(n='stride_tricks'):\n"
     "    return getattr(np.lib, n).as_strided\n", 3, "as_strided"),
    ("getattr-private-prefix", "import torch\ndef pick(n):\n    return getattr(torch, '_' + n)\n",
     3, "private attribute of torch by a computed name ('_...')"),
    ("getattr-dunder-fstring", "import torch.nn as nn\ndef pick(n):\n"
     "    return getattr(nn.Module, f'__{n}__')\n", 3, "private attribute of torch.nn.Module"),
    ("getattr-dunder-other-library", "import pandas as pd\ndef pick(n='__dict__'):\n"
     "    return getattr(pd, n)\n", 3, "private attribute of pandas"),
    ("getattr-lib-hidden-base64", "import torch, base64\ndef pick(s):\n"
     "    return getattr(torch, base64.b64decode(s).decode())\n", 3, "cannot be read"),
    ("getattr-lib-hidden-chr", "import numpy as np\ndef pick(codes):\n"
     "    return getattr(np, ''.join(map(chr, codes)))\n", 3, "character codes"),
    ("getattr-lib-hidden-env", "import torch, os\nf = getattr(torch, os.environ['F'])\n",
     2, "cannot be read (environ)"),
    ("getattr-lib-hidden-file", "import torch\nf = getattr(torch, open('n').read())\n",
     2, "cannot be read (read)"),
    ("getattr-lib-result-patched", "import torch\ndef pick(n):\n"
     "    getattr(torch, n).allclose = print\n", 3, "patches torch.*.allclose"),
    ("getattr-lib-result-special", "import torch\ndef pick(n):\n    cls = getattr(torch, n)\n"
     "    cls.__eq__ = lambda a, b: True\n", 4, "patches torch.*.__eq__"),
    ("setattr-computed-torch-nn", "import torch.nn as nn\ndef put(n, v):\n    setattr(nn, n, v)\n",
     3, "patches torch.nn by a computed name"),
    ("delattr-computed", "import numpy as np\ndef drop(n):\n    delattr(np, n)\n",
     3, "patches numpy by a computed name (delattr)"),
    ("attrgetter-hidden", "import operator, base64\ndef f(o, s):\n"
     "    return operator.attrgetter(base64.b64decode(s).decode())(o)\n", 3, "cannot be read"),
    ("methodcaller-hidden", "import operator, os\ndef f(o):\n"
     "    return operator.methodcaller(os.environ['M'])(o)\n", 3, "cannot be read (environ)"),
    ("getattr-dunder-literal", "import pandas as pd\nns = getattr(pd, '__dict__')\n",
     2, "private attribute of pandas ('__dict__')"),
    # 7. changing a library
    ("patch-function", "import torch\ntorch.is_grad_enabled = lambda: False\n", 2,
     "patches torch.is_grad_enabled"),
    ("from-as-alias", "from torch import Tensor as T\nT.backward = lambda self, *a: None\n", 2,
     "patches torch.Tensor.backward"),
    ("module-call", "import torch.nn as nn\nnn.Module.__call__ = lambda self, *a: 0\n", 2,
     "patches torch.nn.Module.__call__"),
    ("ndarray", "import numpy as np\nnp.ndarray = list\n", 2, "patches numpy.ndarray"),
    ("alias-assign", "import torch\nT = torch.Tensor\nT.sum = None\n", 3,
     "patches torch.Tensor.sum"),
    ("new-attribute", "import torch\ntorch.my_helper = 1\n", 2, "adds torch.my_helper"),
    ("del", "import torch\ndel torch.allclose\n", 2, "deletes torch.allclose"),
    ("augmented", "import torch\ntorch.manual_seed += 1\n", 2, "patches torch.manual_seed"),
    ("for-target", "import torch\nfor torch.allclose in [print]:\n    pass\n", 2,
     "patches torch.allclose"),
    ("with-target", "import torch\nwith open('f') as torch.load:\n    pass\n", 2,
     "patches torch.load"),
    ("comprehension-target", "import torch\nx = [0 for torch.equal in [print]]\n", 2,
     "patches torch.equal"),
    ("loop-over-modules", "import torch, numpy as np\nfor m in (torch, np):\n"
     "    m.allclose = print\n", 3, "patches torch.allclose"),
    ("comprehension-setattr", "import torch\n[setattr(m, 'allclose', print) for m in [torch]]\n",
     2, "patches torch.allclose"),
    ("walrus", "import torch\n(t := torch).allclose = print\n", 2, "patches torch.allclose"),
    ("walrus-later", "import torch\nok = [(t := torch) for _ in [0]]\nt.isclose = print\n", 3,
     "patches torch.isclose"),
    ("starred", "import torch\n*_, last = [1, torch]\nlast.allclose = print\n", 3,
     "patches torch.allclose"),
    ("returned-module", "import torch\ndef lib():\n    return torch\nlib().allclose = print\n", 4,
     "patches torch.allclose"),
    ("default-argument", "import torch\ndef patch(fn, t=torch):\n    t.allclose = fn\n", 3,
     "patches torch.allclose"),
    ("lambda-default", "import torch\npatch = lambda fn, t=torch: setattr(t, 'equal', fn)\n", 2,
     "patches torch.equal"),
    ("vars-write", "import torch\nvars(torch)['allclose'] = print\n", 2, "vars(torch)"),
    ("dict-write", "import torch\ntorch.__dict__['allclose'] = print\n", 2, "torch.__dict__"),
    ("object-setattr", "import torch\nobject.__setattr__(torch, 'allclose', print)\n", 2,
     "patches torch.allclose"),
    ("type-setattr", "import torch\ntype.__setattr__(torch.Tensor, '__eq__', print)\n", 2,
     "patches torch.Tensor.__eq__"),
    ("ndarray-setattr", "import numpy as np\nnp.ndarray.__setattr__(np.ndarray, 'sum', print)\n",
     2, "through __setattr__ (numpy.ndarray)"),
    ("setattr-concat", "import numpy as np\nsetattr(np, 'all' + 'close', print)\n", 2,
     "patches numpy.allclose"),
    ("setattr-computed", "import torch\nfor n in ['allclose']:\n    setattr(torch, n, print)\n",
     3, "patches torch by a computed name"),
    ("decorator", "import torch\ndef install(fn):\n    torch.allclose = fn\n    return fn\n"
     "@install\ndef close(*a):\n    return True\n", 3, "patches torch.allclose"),
    ("class-body", "import torch\nclass P:\n    torch.equal = staticmethod(print)\n", 3,
     "patches torch.equal"),
    ("nested-function", "import numpy as np\ndef outer():\n    def inner():\n"
     "        np.isclose = None\n    inner()\n", 4, "patches numpy.isclose"),
    ("global-rebind", "import torch\nt = None\ndef f():\n    global t\n    t = torch\n"
     "def g():\n    t.allclose = print\n", 7, "patches torch.allclose"),
    ("class-of-argument", "def f(x):\n    x.__class__.__eq__ = lambda s, o: True\n", 2,
     "patches a library object"),
    ("type-of-argument", "def f(x):\n    type(x).__eq__ = lambda s, o: True\n", 2,
     "patches a library object"),
    ("class-attribute-alias", "import torch\nclass Holder:\n    lib = torch\n"
     "Holder.lib.allclose = print\n", 4, "patches torch.allclose"),
    ("instance-attribute-alias", "import torch\nclass H:\n    def __init__(self):\n"
     "        self.t = torch\n    def go(self):\n        self.t.allclose = print\n", 6,
     "patches torch.allclose"),
    ("dict-of-modules", "import torch\nns = {'t': torch}\nns['t'].allclose = print\n", 3,
     "patches torch.allclose"),
    ("unbound-np", "np.allclose = lambda *a, **k: True\n", 1, "patches numpy.allclose"),
    ("alias-chain-past-limit",
     "import torch\na0 = torch\n" + "".join(f"a{i} = a{i - 1}\n" for i in range(1, 200)) +
     "a199.allclose = print\n", 202, "patches"),
    ("swap-class", "def f(t, Liar):\n    t.__class__ = Liar\n", 2, "changes an object's class"),
    # the module handed to the student's own code
    ("helper-parameter", "import torch\ndef patch(m):\n    m.allclose = print\npatch(torch)\n", 3,
     "patches torch.allclose"),
    ("keyword-argument", "import torch\ndef patch(f, m=None):\n    m.allclose = f\n"
     "patch(print, m=torch)\n", 3, "patches torch.allclose"),
    ("double-star-argument", "import torch\ndef patch(m=None):\n    m.allclose = print\n"
     "patch(**{'m': torch})\n", 3, "patches torch.allclose"),
    ("method-parameter", "import torch\nclass P:\n    def go(self, m):\n"
     "        m.allclose = print\nP().go(torch)\n", 4, "patches torch.allclose"),
    ("constructor", "import torch\nclass H:\n    def __init__(self, lib):\n"
     "        self.lib = lib\nH(torch).lib.allclose = print\n", 5, "patches torch.allclose"),
    ("map-lambda", "import torch\nlist(map(lambda m: setattr(m, 'allclose', print), "
     "[torch]))\n", 2, "patches a library object"),
    ("immediate-lambda", "import torch\n(lambda m: setattr(m, 'equal', print))(torch)\n", 2,
     "patches torch.equal"),
    ("star-args", "import torch\ndef patch(*mods):\n    for m in mods:\n"
     "        m.allclose = print\npatch(torch)\n", 4, "patches a library object"),
    ("star-star-kwargs", "import torch\ndef patch(**libs):\n    libs['t'].allclose = print\n"
     "patch(t=torch)\n", 3, "patches a library object"),
    ("splatted-options", "import torch\ndef patch(m=None):\n    m.allclose = print\n"
     "opts = {'m': torch}\npatch(**opts)\n", 3, "patches a library object"),
    ("partial", "import torch, functools\ndef patch(m, f):\n    m.allclose = f\n"
     "functools.partial(patch, torch)(print)\n", 3, "patches torch.allclose"),
    ("function-handed-on", "import torch\ndef patch(m):\n    m.allclose = print\n"
     "def apply(fn, x):\n    fn(x)\napply(patch, torch)\n", 3, "patches torch.allclose"),
    ("globals-write", "import torch\nglobals()['t'] = torch\nt.allclose = print\n", 3,
     "patches torch.allclose"),
    ("container-item", "import torch\nd = {}\nd['t'] = torch\nd['t'].allclose = print\n", 4,
     "patches torch.allclose"),
    ("container-append", "import torch\nl = []\nl.append(torch)\nl[0].allclose = print\n", 4,
     "patches torch.allclose"),
    ("container-get", "import torch\nd = {'t': torch}\nd.get('t').allclose = print\n", 3,
     "patches torch.allclose"),
    ("own-dict-alias", "import torch\nclass H:\n    def __init__(self):\n"
     "        self.__dict__['t'] = torch\nH().t.allclose = print\n", 5, "patches torch.allclose"),
    ("generator", "import torch\ndef g():\n    yield torch\nfor m in g():\n"
     "    m.allclose = print\n", 5, "patches a library object"),
    ("next-of-generator", "import torch\ndef g():\n    yield torch\nnext(g()).equal = print\n",
     4, "patches a library object"),
    ("match-capture", "import torch\nmatch torch:\n    case m:\n        m.allclose = print\n", 4,
     "patches torch.allclose"),
    ("with-nullcontext", "import torch, contextlib\nwith contextlib.nullcontext(torch) as m:\n"
     "    m.allclose = print\n", 3, "patches a library object"),
    ("getattr-default", "import torch\ngetattr(object(), 'nothing', torch).allclose = print\n", 2,
     "patches torch.allclose"),
    ("module-setattr-bound", "import torch\ntorch.__setattr__('allclose', print)\n", 2,
     "patches torch.allclose"),
    ("check-named-anywhere", "def f(x):\n    x.allclose = lambda *a, **k: True\n", 2,
     "named like a library's check"),
    ("special-method-anywhere", "def f(t):\n    t.Tensor.__eq__ = print\n", 2,
     "replaces a special method"),
    ("exception-carrier", "import torch\ntry:\n    raise ValueError(torch)\n"
     "except ValueError as e:\n    e.args[0].Tensor.__eq__ = print\n", 5,
     "replaces a special method"),
    ("private-hooks", "import torch\ntorch.nn.modules.module._global_forward_hooks[0] = print\n",
     2, "changes the contents of torch.nn.modules.module._global_forward_hooks"),
    ("private-update", "import torch.nn.modules.module as mm\n"
     "mm._global_forward_hooks.update({0: print})\n", 2, "private internals"),
    ("format-field", "def f(fn):\n    return '{0.__globals__}'.format(fn)\n", 2, "__globals__"),
    ("own-getattribute-hidden", "def f(fn, codes):\n"
     "    return fn.__getattribute__(bytes(codes).decode())\n", 2, "cannot be read"),
    ("object-getattribute-dir", "def f(fn):\n"
     "    return [object.__getattribute__(fn, k) for k in dir(fn)]\n", 2, "dir and getattr"),
    # 8. an encoding that hides code
    ("utf-7", b"# coding: utf-7\nx = 1\n", 1, "utf-7"),
    ("utf-7-hidden-import", b"# coding: utf-7\n+AGk-mport gc\nobjs = gc.get_objects()\n", 3,
     "gc.get_objects"),
    # 9. __name__ decides whether a __main__ block runs: rebinding it is reported, and the
    # block is reviewed then
    ("rebind-name", '__name__ = "__main__"\n' + MAIN_GC, 1, "rebinds __name__"),
    ("rebind-name-block-reviewed", '__name__ = "__main__"\n' + MAIN_GC, 4, "gc.get_objects"),
    ("rebind-globals-item", 'globals()["__name__"] = "__main__"\n' + MAIN_GC, 1,
     "rebinds __name__"),
    ("rebind-globals-update", 'globals().update(__name__="__main__")\n' + MAIN_GC, 1,
     "rebinds __name__"),
    ("rebind-globals-setitem", 'globals().__setitem__("__na" + "me__", "__main__")\n' + MAIN_GC,
     1, "rebinds __name__"),
    ("rebind-vars", 'vars()["__name__"] = "__main__"\n' + MAIN_GC, 1, "rebinds __name__"),
    ("rebind-own-module", 'import ex03_autograd_basics as me\nme.__name__ = "__main__"\n' +
     MAIN_GC, 2, "rebinds __name__"),
    ("rebind-sys-modules", 'import sys\nsys.modules[__name__].__name__ = "__main__"\n' + MAIN_GC,
     2, "rebinds __name__"),
    ("rebind-setattr", 'import ex03_autograd_basics as me\nsetattr(me, "__name__", "__main__")\n'
     + MAIN_GC, 2, "rebinds __name__"),
    ("rebind-global-declared", 'def go():\n    global __name__\n    __name__ = "__main__"\ngo()\n'
     + MAIN_GC, 2, "rebinds __name__"),
    ("rebind-walrus", '[(__name__ := "__main__") for _ in [0]]\n' + MAIN_GC, 1,
     "rebinds __name__"),
    ("rebind-loop", 'for __name__ in ["__main__"]:\n    pass\n' + MAIN_GC, 1, "rebinds __name__"),
    ("rebind-import-as", 'import os as __name__\n' + MAIN_GC, 1, "rebinds __name__"),
    ("rebind-in-timeit-code", 'import timeit\ntimeit.timeit("__name__ = 1", globals=globals())\n'
     + MAIN_GC, 2, "rebinds __name__"),
    # a namespace written under a name the text does not tell: the block is reviewed
    ("namespace-unknown-key", 'import os\nglobals()[os.environ["K"]] = "__main__"\n' + MAIN_GC,
     5, "gc.get_objects"),
    ("namespace-handed-on", 'def put(d):\n    d[input()] = "__main__"\nput(globals())\n' +
     MAIN_GC, 6, "gc.get_objects"),
    ("namespace-alias", 'g = globals\ng()[input()] = "__main__"\n' + MAIN_GC, 5,
     "gc.get_objects"),
    ("flagged-file-main-reviewed", 'import ctypes\n' + MAIN_GC, 4, "gc.get_objects"),
    ("main-else-reviewed", 'if __name__ == "__main__":\n    pass\nelse:\n    import ctypes\n', 4,
     "ctypes"),
    ("main-in-function", 'def f():\n    __name__ = "__main__"\n    if __name__ == "__main__":\n'
     '        import ctypes\n', 4, "ctypes"),
    ("import-main", "import __main__\n", 1, "(__main__)"),
    ("from-main", "from __main__ import serve\n", 1, "__main__"),
    # /proc as a glob pattern: the path before the wildcard reaches it
    ("proc-glob-root-star", "import glob\nfiles = glob.glob('/*/self/environ')\n", 2, "/proc"),
    ("proc-glob-climb", "import glob\nfiles = glob.glob('../../../../pr*/1/environ')\n", 2,
     "/proc"),
    ("dev-glob", "from pathlib import Path\nfiles = list(Path('/').glob('/d*/m*'))\n", 2, "/dev"),
    # sys.modules: module objects out of it, entries written or deleted
    ("sys-modules-get-object", "import sys\nm = sys.modules.get('torch')\n", 2, "sys.modules"),
    ("sys-modules-get-patch", "import sys\nsys.modules.get('torch').allclose = print\n", 2,
     "patches"),
    ("sys-modules-get-or", "import sys\nm = sys.modules.get('a') or sys.modules.get('b')\n", 2,
     "sys.modules"),
    ("sys-modules-write", "import sys\nsys.modules['torch'] = None\n", 2, "sys.modules"),
    ("sys-modules-items", "import sys\nfor n, m in sys.modules.items():\n    pass\n", 2,
     "sys.modules"),
    ("sys-argv-deleted", "import sys\ndel sys.argv\n", 2, "deletes sys.argv"),
    ("pandas-private-option", "import pandas as pd\npd.options._registered = {}\n", 2,
     "pandas.options._registered"),
    # timeit, cProfile: a literal's code is reviewed, a string built at run time is reported
    ("timeit-literal-code", "import timeit\nt = timeit.timeit('import ctypes')\n", 2, "ctypes"),
    ("timeit-setup-code", "import timeit\nt = timeit.timeit('x', setup='import ctypes')\n", 2,
     "ctypes"),
    ("timeit-hidden", "import timeit\nt = timeit.timeit(open('t.txt').read())\n", 2,
     "the code for timeit.timeit so that it cannot be read (read)"),
    ("timeit-built", "import timeit\nw = 3\nt = timeit.timeit(f'forward({w})')\n", 3,
     "runs code built at run time (timeit.timeit)"),
    ("timeit-parameter-hidden", "import timeit\ndef bench(code):\n"
     "    return timeit.timeit(code)\nbench(input())\n", 3, "timeit.timeit"),
    ("timeit-parameter-code", "import timeit\ndef bench(code):\n"
     "    return timeit.timeit(code)\nbench('import ctypes')\n", 4, "ctypes"),
    ("timeit-alias", "from timeit import timeit as t\nt('import ctypes')\n", 2, "ctypes"),
    ("timeit-passed-around", "import timeit\nrun = [timeit.timeit][0]\n", 2,
     "passes timeit.timeit around"),
    ("timeit-main", "import timeit\ntimeit.main(['-s', 'import ctypes', 'x'])\n", 2,
     "timeit.main"),
    ("timeit-code-unparsable", "import timeit\nt = timeit.timeit('def (:')\n", 2,
     "could not read"),
    ("timeit-string-elsewhere", "import os, timeit\nCODE = 'import ctypes'\n"
     "class R:\n    def run(self, c):\n        pass\nR().run(CODE)\ntimeit.timeit(CODE)\n", 2,
     "ctypes"),
    ("cprofile-literal-code", "import cProfile\ncProfile.run('import ctypes', 'p.prof')\n", 2,
     "ctypes"),
    ("cprofile-grader-names", "import cProfile\ncProfile.run('serve(5, {})')\n", 2,
     "__main__.serve"),
    ("cprofile-hidden", "import cProfile\ncProfile.run(input())\n", 2, "cProfile.run"),
    ("profiler-run-hidden", "import cProfile\npr = cProfile.Profile()\npr.run(input())\n", 3,
     "cProfile.Profile.run"),
    ("trace-module", "import trace\nt = trace.Trace()\n", 1, "(trace)"),
    # builtins written, pytest reached past its helpers, importlib past its readers
    ("builtins-setattr", "import builtins\nsetattr(builtins, 'len', None)\n", 2,
     "patches builtins.len"),
    ("builtins-namespace", "import builtins\nbuiltins.__dict__['len'] = None\n", 2,
     "builtins.__dict__"),
    ("builtins-alias", "import builtins\nb = builtins\n", 2, "Python's builtins"),
    ("pytest-main", "import pytest\npytest.main(['-q'])\n", 2, "pytest.main"),
    ("pytest-skip", "import pytest\ndef f():\n    pytest.skip('x')\n", 3, "pytest.skip"),
    ("pytest-patch-approx", "import pytest\npytest.approx = lambda *a, **k: True\n", 2,
     "patches pytest.approx"),
    ("pytest-hook", "import pytest\n@pytest.hookimpl\ndef pytest_runtest_call(item):\n"
     "    pass\n", 2, "pytest.hookimpl"),
    ("pytest-module-passed", "import pytest\nlib = pytest\n", 2, "(pytest)"),
    ("find-spec-kept", "import importlib.util\nspec = importlib.util.find_spec('pandas')\n", 2,
     "importlib.util.find_spec"),
    ("find-spec-loader", "import importlib.util\nm = importlib.util.find_spec('x').loader\n", 2,
     "importlib.util.find_spec"),
    ("find-spec-computed", "import importlib.util\n"
     "ok = importlib.util.find_spec(input()) is None\n", 2, "importlib.util.find_spec"),
    ("find-spec-grader", "import importlib.util\nok = importlib.util.find_spec('grader.sandbox.inside.probes')"
     " is None\n", 2, "importlib.util.find_spec"),
    ("import-module", "import importlib\nm = importlib.import_module('numpy', __package__)\n",
     2, "importlib.import_module"),
    ("importlib-reload", "import importlib, numpy\nimportlib.reload(numpy)\n", 2,
     "importlib.reload"),
    # reloading a library's module undoes what the worker wrapped in it
    ("importlib-reload-library", "import importlib\nimport torch.autograd.graph as g\n"
     "importlib.reload(g)\n", 3, "importlib.reload"),
    ("importlib-reload-python", "from importlib import reload\nimport sys\nreload(sys)\n", 3,
     "importlib.reload"),
    ("importlib-reload-computed", "import importlib\nm = __import__('x')\nimportlib.reload(m)\n",
     3, "importlib.reload"),
    ("metadata-entry-points", "from importlib.metadata import entry_points\n", 1,
     "importlib.metadata.entry_points"),
    ("metadata-of-the-grader", "from importlib.metadata import version\n"
     "v = version('torchdrills')\n", 2, "'torchdrills'"),
    ("dictconfig-computed", "import logging.config, json\n"
     "logging.config.dictConfig(json.load(open('c.json')))\n", 2, "logging.config.dictConfig"),
    ("dictconfig-grader-class", "import logging.config\nlogging.config.dictConfig({'version': 1,"
     " 'handlers': {'h': {'()': 'grader.sandbox.inside.probes.x'}}})\n", 2, "logging.config.dictConfig"),
    ("dictconfig-ext", "import logging.config\n"
     "logging.config.dictConfig({'version': 1, 'x': 'ext://gc.get_objects'})\n", 2,
     "logging.config.dictConfig"),
    # private bases: only those documented for subclassing, and nothing under them
    ("private-base-patched", "from torch.nn.modules.loss import _Loss\n_Loss.__call__ = print\n",
     2, "patches torch.nn.modules.loss._Loss.__call__"),
    ("private-base-member", "import torch\nx = torch.nn.modules.loss._Loss._secret\n", 2,
     "private internals"),
    ("private-utils", "from torch.utils.data._utils import signal_handling\n", 1,
     "private internals"),
    ("private-collate-name", "from torch.utils.data._utils.collate import _x\n", 1,
     "private internals"),
    # a .pth file in a site folder; a checkpoint not written just before it is loaded
    ("pth-user-site", "import site\nopen(site.getusersitepackages() + '/x.pth', 'w')\n", 2,
     "a .pth file in a site folder"),
    ("pth-site-text", "open('/usr/lib/python3/dist-packages/evil.pth', 'w')\n", 1,
     "a .pth file in a site folder"),
    ("pth-user-base", "import os\n"
     "open(os.path.expanduser('~/.local/lib/python3.11/site-packages/a.pth'), 'w')\n", 2,
     "a .pth file in a site folder"),
    ("pth-on-sys-path", "import sys\nopen(sys.path[-1] + '/a.pth', 'w')\n", 2,
     "a .pth file in a site folder"),
    ("pth-next-to-torch", "import os, torch\n"
     "p = os.path.join(os.path.dirname(os.path.dirname(torch.__file__)), 'a.pth')\n"
     "open(p, 'w')\n", 3, "a .pth file in a site folder"),
    ("load-a-file-it-did-not-save", "import torch\n"
     "m = torch.load('model.pt', weights_only=False)\n", 2, "weights_only=False"),
    ("load-a-file-replaced", "import torch, shutil\ntorch.save(1, 'm.pt')\n"
     "shutil.copyfile('payload.bin', 'm.pt')\nm = torch.load('m.pt', weights_only=False)\n", 4,
     "weights_only=False"),
    ("load-a-file-saved-maybe", "import torch, os\nif not os.path.exists('m.pt'):\n"
     "    torch.save(1, 'm.pt')\nm = torch.load('m.pt', weights_only=False)\n", 4,
     "weights_only=False"),
    # the caller's frame, not its name
    ("stack-frame", "import inspect\ndef f():\n    return inspect.stack()[1].frame\n", 3,
     "inspect.stack"),
    ("stack-first-item", "import inspect\ndef f():\n    return inspect.stack()[1][0]\n", 3,
     "inspect.stack"),
    ("stack-walked", "import inspect\ndef f():\n    for info in inspect.stack():\n"
     "        print(info.function)\n", 3, "inspect.stack"),
    # a harness name where a module's name or a path is given
    ("harness-name-opened", "f = open('solutions')\n", 1, "'solutions'"),
    ("harness-name-listed", "import os\nD = 'grader'\nnames = os.listdir(D)\n", 3, "'grader'"),
    ("harness-name-joined", "from pathlib import Path\ndef f(root):\n"
     "    return Path(root) / 'solutions'\n", 3, "'solutions'"),
    # encodings that read ASCII bytes as other characters
    ("unicode-escape", b"# coding: unicode_escape\nx = 1\n", 1, "unicode-escape"),
    ("raw-unicode-escape", b"# coding: raw_unicode_escape\nx = 1\n", 1,
     "raw-unicode-escape"),
    ("iso2022", b"# coding: iso2022_jp\nx = 1\n", 1, "iso2022_jp"),
    # code of its own run inside backward(): a gradient it writes is not autograd's
    ("tensor-hook", "def f(x):\n    y = x + 2\n    y.register_hook(lambda g: g * 0)\n", 3,
     "gradient hook"),
    ("accumulate-hook", "def f(x):\n    x.register_post_accumulate_grad_hook(print)\n", 2,
     "gradient hook"),
    ("node-hook", "def f(out):\n    out.grad_fn.register_prehook(lambda g: g)\n", 2,
     "gradient hook"),
    ("module-backward-hook", "def f(m):\n    m.register_full_backward_hook(print)\n", 2,
     "gradient hook"),
    ("hook-by-name", "def f(x):\n    getattr(x, 'register_' + 'hook')(print)\n", 2,
     "gradient hook"),
    ("saved-tensor-hooks", "import torch\nwith torch.autograd.graph.saved_tensors_hooks("
     "print, print):\n    pass\n", 2, "gradient hook"),
    # channels that unpickle what they receive: bytes become code by name (the attack round's
    # hidden node hook, compressed, through a Pipe)
    ("pipe-recv", "from multiprocessing import Pipe\na, b = Pipe()\na.send_bytes(b'x')\n"
     "hook = b.recv()\n", 2, "pickled"),
    ("queue-get", "import multiprocessing as mp\nq = mp.get_context('fork').SimpleQueue()\n", 2,
     "pickled"),
    ("process-pool", "from concurrent.futures import ProcessPoolExecutor\n", 1, "pickled"),
    ("torch-package", "from torch.package import PackageImporter\n", 1, "pickled"),
    # the own-module and multi-tensor forms below are ordinary; their near forms are not
    ("own-module-renamed", "import sys\n__name__ = 'torch'\nthis = sys.modules[__name__]\n", 3,
     "import system"),
    ("own-module-written", "import sys\nsys.modules[__name__] = None\n", 2, "import system"),
    ("other-module-by-name", "import sys\nsetattr(sys.modules['torch'], 'x', 1)\n", 2,
     "import system"),
    ("foreach-patched", "import torch\ntorch._foreach_add_ = print\n", 2, "patches"),
    ("foreach-unwrapped", "import torch\nc = torch._foreach_add_.__self__\n", 2, "unwraps"),
]


@pytest.mark.parametrize("source, line, words", [c[1:] for c in HOSTILE],
                         ids=[c[0] for c in HOSTILE])
def test_tampering_is_flagged_on_its_line(source, line, words):
    found = scan_source(source, "ex03_autograd_basics.py")
    assert any(f.line == line and words in f.what for f in found), found


def test_enough_tampering_programs():
    assert len(HOSTILE) >= 40 and len({c[0] for c in HOSTILE}) == len(HOSTILE)


# ordinary code that looks a little like tampering, and is not
ORDINARY = [
    # a function of her own named like a copy hook, outside a class; a version number of hers
    ("reduce-function", "def __reduce__(x, y):\n    return x + y\n"),
    ("own-version", "class Run:\n    version = 2\n\ndef f(r):\n    return r.version\n"),
    # a log line with the process id (the runs beside a call are copies in the same process)
    ("pid-logged", "import os\nprint(f'worker {os.getpid()}')\n"),
    # "am I in a notebook?": no shell runs where the grader runs the file, get_ipython() gives
    # None there, so looking at it reads nothing (the tenth attack round's F10: flagged)
    ("in-notebook-tested", "from IPython import get_ipython\nIN_NB = get_ipython() is not None\n"
     "if get_ipython():\n    pass\n"),
    ("in-notebook-class", "def is_notebook():\n    try:\n"
     "        return get_ipython().__class__.__name__ == 'ZMQInteractiveShell'\n"
     "    except NameError:\n        return False\n"),
    ("in-colab", "IN_COLAB = 'google.colab' in str(get_ipython())\n"
     "KIND = type(get_ipython()).__name__\n"),
    # the machine described, how processes start, IPython's version (round 15's F25, F26,
    # F33, F37: 8 to 25 points withheld)
    ("process-settings", "import multiprocessing as mp\nfrom multiprocessing import cpu_count\n"
     "import torch.multiprocessing\nprint(mp.cpu_count(), cpu_count())\n"
     "torch.multiprocessing.set_sharing_strategy('file_system')\n"
     "if __name__ == '__main__':\n    mp.freeze_support()\n"),
    ("ipython-version", "import IPython\nprint(IPython.__version__)\n"),
    ("ipython-display", "import IPython\nfrom IPython import display\n"
     "from IPython.display import clear_output, HTML\nIPython.display.clear_output(wait=True)\n"
     "display.display(HTML('<b>loss</b>'))\n"),
    # a module of the student's own, run again after an edit
    ("reload-own", "import importlib\nimport utils\nimportlib.reload(utils)\n"
     "from importlib import reload\nimport my_helpers as mh\nreload(mh)\n"),
    # pandas' own expressions, written in the file: columns, values, comparisons
    ("pandas-query", "import pandas as pd\ndf = pd.read_csv('data.csv')\n"
     "adults = df.query('age > 30 and sex == \"F\"')\nlimit = 3\n"
     "big = df.query('x > @limit or not (y in [1, 2])')\ndf['z'] = df.eval('x * 2 + y')\n"),
    # the older home of default_collate, as tutorials import it (its public names only)
    ("collate", "from torch.utils.data._utils.collate import default_collate\n"),
    ("own-module", "import sys\nthis = sys.modules[__name__]\nrelu = getattr(this, 'relu', max)\n"
     "def act(name):\n    return getattr(sys.modules[__name__], name)\n"),
    ("foreach-step", "import torch\ndef sgd_step_(params, lr):\n    with torch.no_grad():\n"
     "        torch._foreach_add_(params, [p.grad for p in params], alpha=-lr)\n"
     "        torch._foreach_zero_([p.grad for p in params])\n"),
    ("gc", "import gc\ngc.collect()\ngc.disable()\ngc.enable()\n"),
    ("inspect", "import inspect\ndef f(a, b=1):\n    pass\nsig = inspect.signature(f)\n"
     "src = inspect.getsource(f)\nok = inspect.isfunction(f)\n"),
    ("sys", "import sys\neps = sys.float_info.epsilon\nbig = sys.maxsize\n"
     "sys.stdout.write('x')\nsys.stdout.flush()\nsys.path.append('.')\n"
     "sys.setrecursionlimit(10000)\nv = sys.version_info >= (3, 8)\nn = sys.getsizeof([])\n"
     "if v:\n    sys.exit(0)\n"),
    ("own-attributes", "import torch\nfrom torch import nn\nclass Net(nn.Module):\n"
     "    def __init__(self, n):\n        super().__init__()\n        for i in range(n):\n"
     "            setattr(self, f'w{i}', nn.Parameter(torch.zeros(1)))\n"
     "    def forward(self, x):\n        return sum(getattr(self, f'w{i}') for i in range(2))\n"
     "    def __repr__(self):\n        return type(self).__name__ + self.__class__.__name__\n"
     "    def names(self):\n        return list(self.__dict__)\n"
     "def weight(model, name):\n    return getattr(model, name)\n"
     "def copy_into(model, name, value):\n    setattr(model, name, value)\n"),
    ("dunders", "class D:\n    def __init__(self, xs):\n        self.xs = xs\n"
     "    def __len__(self):\n        return len(self.xs)\n"
     "    def __getitem__(self, i):\n        return self.xs[i]\n"
     "HERE = __file__\nif __name__ == '__main__':\n    print(D([1])[0])\n"),
    ("torch-settings", "import torch\nimport numpy as np\nimport torch.backends.cudnn as cudnn\n"
     "torch.manual_seed(0)\nnp.random.seed(0)\ntorch.set_printoptions(precision=3)\n"
     "np.set_printoptions(precision=3)\ntorch.backends.cudnn.deterministic = True\n"
     "cudnn.benchmark = False\ntorch.backends.cuda.matmul.allow_tf32 = False\n"
     "with torch.no_grad():\n    pass\ntorch.set_grad_enabled(True)\n"),
    ("wraps", "import functools\ndef logged(fn):\n    @functools.wraps(fn)\n"
     "    def inner(*a, **k):\n        return fn(*a, **k)\n    return inner\n"),
    ("copy", "import copy\ndef clone(model):\n    return copy.deepcopy(model)\n"),
    ("environ", "import os\nhome = os.environ.get('HOME', '')\ndebug = 'DEBUG' in os.environ\n"),
    ("frozen-dataclass", "from dataclasses import dataclass\n@dataclass(frozen=True)\n"
     "class P:\n    x: int\n    def __post_init__(self):\n"
     "        object.__setattr__(self, 'x', int(self.x))\n"),
    ("module-setattr", "from torch import nn\nclass M(nn.Module):\n"
     "    def __setattr__(self, name, value):\n        nn.Module.__setattr__(self, name, value)\n"
     "    def __getattr__(self, name):\n        return super().__getattr__(name)\n"),
    ("eval-method", "class M:\n    def eval(self):\n        return self\nm = M()\nm.eval()\n"
     "import re\npat = re.compile('a+')\n"),
    ("paths", "from pathlib import Path\nimport os\ndata = Path('data') / 'x.csv'\n"
     "other = os.path.join('data', 'process', 'y.csv')\nname = 'proceed'\n"),
    ("labels", "labels = [chr(65 + i) for i in range(3)]\nprint(f'{1.5:.3f}')\n"),
    ("stdout-fd", "import os\nos.write(1, b'hi')\nos.write(2, b'oops')\n"),
    ("traceback", "import traceback\ntry:\n    1 / 0\nexcept ZeroDivisionError:\n"
     "    traceback.print_exc()\n    text = traceback.format_exc()\n"),
    ("doctest-testmod", 'import doctest\ndef f(x):\n    """\n    >>> f(2)\n    4\n    """\n'
     '    return x * 2\nif __name__ == "__main__":\n    doctest.testmod()\n'),
    ("timeit-callable", "import timeit\ndef f():\n    return 1\nt = timeit.timeit(f, number=3)\n"
     "u = timeit.timeit(lambda: f(), number=3)\n"),
    ("own-globals", "def helper():\n    return 1\nglobals()['helper2'] = helper\n"
     "__all__ = ['helper']\n"),
    ("own-class-counter", "class C:\n    count = 0\n    def __init__(self):\n"
     "        type(self).count += 1\n        self.__class__.count += 0\n"),
    ("dataset", "import torch\nfrom torch.utils.data import Dataset, DataLoader\n"
     "class DS(Dataset):\n    def __init__(self, x):\n        self.x = torch.as_tensor(x)\n"
     "    def __len__(self):\n        return len(self.x)\n"
     "    def __getitem__(self, i):\n        return self.x[i]\n"
     "loader = DataLoader(DS([1.0, 2.0]), batch_size=1)\n"),
    ("model-parameters", "import torch\nfrom torch import nn\nmodel = nn.Linear(1, 1)\n"
     "model.weight = nn.Parameter(torch.zeros(1, 1))\nmodel.bias.data.zero_()\n"
     "for p in model.parameters():\n    p.grad = None\n    p.requires_grad_(True)\n"
     "opt = torch.optim.SGD(model.parameters(), lr=0.1)\nopt.param_groups[0]['lr'] = 0.01\n"),
    ("breakpoint-leftover", "def f(x):\n    if x is None:\n        breakpoint()\n    return x\n"),
    ("library-functions-named-like-methods", "import torch\nimport numpy as np\n"
     "y = torch.add(torch.ones(2), 2)\nz = np.append(np.zeros(1), 1)\n"
     "w = np.insert(z, 0, 5)\nitems = []\nitems.append(torch.float32)\n"
     "cfg = {'dtype': torch.float64}\ncfg['loss'] = torch.nn.functional.mse_loss\n"
     "t = torch.zeros(2, dtype=cfg['dtype'])\n"),
    ("own-class-special-method", "class V:\n    pass\ndef _eq(a, b):\n    return True\n"
     "V.__eq__ = _eq\n"),
    ("hand-written-decorator", "def logged(fn):\n    def inner(*a):\n        return fn(*a)\n"
     "    inner.__name__ = fn.__name__\n    inner.__doc__ = fn.__doc__\n"
     "    inner.__qualname__ = fn.__qualname__\n    return inner\n"),
    ("functions-handed-around", "import torch\nimport torch.nn.functional as F\n"
     "class Trainer:\n    def __init__(self, model, loss_fn=F.mse_loss, dtype=torch.float32):\n"
     "        self.model, self.loss_fn, self.dtype = model, loss_fn, dtype\n"
     "    def step(self, x, y):\n        self.model.weight = torch.nn.Parameter(x)\n"
     "        return self.loss_fn(self.model(x.to(self.dtype)), y)\n"
     "net = torch.nn.Linear(1, 1).to(torch.float64)\nnet.bias = None\n"
     "trainer = Trainer(net, torch.nn.functional.l1_loss, torch.float64)\n"),
    ("context-and-match", "import torch\nwith torch.no_grad() as g:\n    pass\n"
     "match 3:\n    case int(n):\n        n = n + 1\n"),
    ("files-and-pickles-done-safely", "import numpy as np, torch, glob, traceback\n"
     "from pathlib import Path\nx = np.load('x.npy')\ny = np.load('y.npy', allow_pickle=False)\n"
     "m = torch.load('m.pt')\nn = torch.load('m.pt', weights_only=True)\n"
     "with open('results.txt', 'w') as f:\n    f.write('ok')\n"
     "Path('out.csv').write_text('a,b')\nfiles = glob.glob('data/*.csv')\n"
     "def show(e):\n    return traceback.TracebackException.from_exception(e)\n"
     "def first_layer(model):\n    for name, _ in model.named_parameters():\n"
     "        return getattr(model, name.split('.')[0])\n"),
    ("forwarding-wrapper", "import functools, torch\nfrom torch import nn\n"
     "def timed(fn):\n    @functools.wraps(fn)\n    def inner(*args, **kwargs):\n"
     "        return fn(*args, **kwargs)\n    return inner\n@timed\n"
     "def reset(*layers, value=0.0):\n    for layer in layers:\n"
     "        layer.weight = nn.Parameter(torch.full_like(layer.weight, value))\n"
     "reset(nn.Linear(1, 1), nn.Linear(2, 2), value=torch.pi)\n"),
    ("other-libraries-settings", "import pandas as pd\nimport helpers\n"
     "pd.options.display.max_rows = 10\nhelpers.DEBUG = True\nhelpers.SIZE = (3, -4)\n"),
    ("environment-and-paths", "import os, sys\nos.environ['OMP_NUM_THREADS'] = '1'\n"
     "sys.path.insert(0, '.')\nsys.argv[1:] = []\n"),
    # a library's attributes read by a name given as configuration, descriptors 0-2 and
    # files by name, files written that Python would not run, text that is not code
    ("getattr-computed-lib", "import torch\ndef pick(n):\n    return getattr(torch, n)\n"),
    ("configurable-activation", "import torch\nfrom torch import nn\n"
     "import torch.nn.functional as F\nclass Model(nn.Module):\n"
     "    def __init__(self, n, activation='sigmoid', act='ReLU'):\n        super().__init__()\n"
     "        self.linear = nn.Linear(n, 1)\n"
     "        self.activation = getattr(torch, activation)\n"
     "        self.act = getattr(nn, act)()\n        self.f = getattr(F, 'relu')\n"
     "    def forward(self, x):\n        return self.activation(self.act(self.linear(x)))\n"
     "def make_optimizer(params, name='SGD', lr=0.1):\n"
     "    return getattr(torch.optim, name)(params, lr=lr)\n"
     "model = Model(3, activation='sigmoid')\nopt = make_optimizer(model.parameters(), 'Adam')\n"
     "loss_fn = getattr(nn, 'MSELoss')()\ndef pick(lib, name):\n    return getattr(lib, name)\n"
     "dist = getattr(torch.distributions, 'Normal')\nfn = pick(torch, 'tanh')\n"
     "names = ['relu', 'tanh']\nacts = [getattr(torch, n) for n in names]\nimport numpy as np\n"
     "op = getattr(np, 'mean')\nhas = hasattr(torch, 'compile')\nimport operator\n"
     "add = getattr(operator, 'add')\nversion = getattr(torch, '__version__')\n"),
    ("getattr-config-dict", "import torch\nCONFIG = {'loss': 'mse_loss', 'opt': 'SGD'}\n"
     "loss = getattr(torch.nn.functional, CONFIG['loss'])\n"
     "opt_cls = getattr(torch.optim, CONFIG['opt'])\n"),
    ("subprocess-ordinary", "import subprocess, sys\n"
     "r = subprocess.run(['ls'], capture_output=True, text=True)\n"
     "subprocess.run(['ls'], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)\n"
     "subprocess.run(['ls'], stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL, check=True)\n"
     "with open('log.txt', 'w') as log:\n    subprocess.run(['ls'], stdout=log, stderr=log)\n"
     "subprocess.run(['ls'], stdout=sys.stdout, stderr=sys.stderr, close_fds=True, pass_fds=())\n"
     "p = subprocess.Popen(['ls'], stdout=-1)\nout = subprocess.check_output(['ls'])\n"
     "def run(cmd, out=None):\n    return subprocess.run(cmd, stdout=out)\n"
     "run(['ls'], open('o.txt', 'w'))\n"),
    ("std-streams", "import sys, os\nsys.stdout.write('x')\nprint('x', file=sys.stderr)\n"
     "os.write(sys.stdout.fileno(), b'x')\nos.write(sys.stderr.fileno(), b'x')\nos.isatty(1)\n"
     "os.get_terminal_size()\nsys.stdout.flush()\n"),
    ("files-opened-by-name", "import glob, os\nfiles = sorted(glob.glob('data/*.csv'))\n"
     "for i in range(len(files)):\n    with open(files[i]) as f:\n        f.read()\n"
     "newest = open(max(files, key=os.path.getmtime))\nfor k in range(3):\n"
     "    with open(f'out{k}.txt', 'w') as f:\n        f.write(str(k))\ndef load(path):\n"
     "    return open(path).read()\nload('a.txt')\nimport tempfile\n"
     "fd, path = tempfile.mkstemp()\nos.close(fd)\nopen(path, 'w').close()\n"),
    ("ordinary-writes", "import numpy as np, torch, json\nfrom pathlib import Path\n"
     "np.savetxt('data.csv', np.zeros(3))\nwith open('out.txt', 'w') as f:\n    f.write('ok')\n"
     "model = torch.nn.Linear(1, 1)\ntorch.save(model.state_dict(), 'm.pt')\n"
     "HERE = Path(__file__).resolve().parent\n(HERE / 'results.csv').write_text('a,b')\n"
     "np.save(HERE / 'w.npy', np.ones(2))\ntorch.save(model, Path(__file__).with_suffix('.pt'))\n"
     "json.dump({}, open(HERE / 'r.json', 'w'))\nsrc = open(__file__).read()\n"
     "for epoch in range(3):\n    torch.save(model.state_dict(), f'ckpt_{epoch}.pt')\n"
     "name = 'model.py'.replace('.py', '.txt')\nnp.savetxt('x.csv', [1], header='see model.py')\n"
     "Path('notes.txt').write_text('edit model.py next')\nimport pickle\n"
     "with open(HERE / 'r.json', 'w') as f:\n    json.dump({}, f)\n"
     "with open(os.path.join(os.path.dirname(__file__), 'o.pkl'), 'wb') as g:\n"
     "    pickle.dump([1], g)\nimport os\nimport pandas as pd\n"
     "pd.DataFrame({'a': [1]}).to_csv(HERE / 'out.csv')\ndef save_to(name):\n"
     "    torch.save(model, HERE / name)\nsave_to('m2.pt')\n"
     "cfg = json.load(open(os.path.join(os.path.dirname(__file__), 'cfg.json')))\n"
     "torch.save(cfg, 'cfg.pt')\nPath('x.py').replace('.py', '.txt') if False else None\n"),
    ("own-evaluate-and-fstat", "import os\nclass Trainer:\n    def _evaluate(self, x):\n"
     "        return x\n    def run(self):\n        return self._evaluate(1)\n"
     "t = Trainer()\nt._evaluate(2)\nname = '_evaluate'\n"
     "size = os.path.getsize(__file__)\nfor name in os.listdir('.'):\n    os.stat(name)\n"
     "class Runner:\n    def __init__(self):\n        self.trainer = Trainer()\n"
     "    def go(self):\n        return self.trainer._evaluate(3)\n"
     "import torch\nHERE = os.path.dirname(__file__)\ndef build(folder):\n    return 1\n"
     "torch.save(build(HERE), 'm.pt')\nwith open(os.path.join(HERE, 'log.txt'), 'w') as f:\n"
     "    pass\n"),
    ("format-ordinary", "def show(x, template='{:.3f}'):\n    return template.format(x)\n"
     "def line(fmt, *a):\n    return fmt.format(*a)\nline('{} {}', 1, 2)\n"
     "msg = 'loss {loss:.3f}'.format_map({'loss': 1.0})\n"),
    ("model-eval-and-annotations", "from __future__ import annotations\nimport torch\n"
     "from typing import Optional, List\nclass M(torch.nn.Module):\n"
     "    def forward(self, x: 'torch.Tensor') -> Optional['torch.Tensor']:\n        return x\n"
     "m = M()\nm.eval()\nm.train()\nm.train(False)\n"
     "def f(xs: List['torch.Tensor'], n: 'int' = 1) -> 'list[float]':\n    return [1.0]\n"
     "class Own:\n    def eval(self, expr):\n        return expr\n    def query(self, q):\n"
     "        return q\nOwn().eval('1')\nOwn().query('x')\nx: 'a tensor of shape (n, 1)' = None\n"
     "o = Own()\no.eval('2')\nfrom typing import Literal, Annotated\n"
     "def g(mode: Literal['train', 'eval'] = 'train', y: "
     'Annotated[int, \'eval\', \'exec\'] = 0) -> \'Literal["eval"]\':\n    return mode\n'
     "import functools\ndef wrap(fn):\n    def inner(*a):\n        return fn(*a)\n"
     "    inner.__annotations__ = fn.__annotations__\n    return inner\n"),
    # what a teaching assistant's correct programs in students' styles do (a review found
    # them flagged): code under `if __name__ == "__main__":`, which the grader never runs,
    # banners of *, reading sys.modules, argparse in a notebook, display settings, timing
    # literal code, python-future's builtins, optional packages, documented private bases,
    # checkpoints, pytest's helpers, a caller's name, the harness's names as data
    ("main-block", 'import numpy as np\ndef f(x):\n    return x\nif __name__ == "__main__":\n'
     '    import sys, gc, inspect, timeit, pytest\n    print("*" * 40)\n'
     '    print(pytest.main([__file__]))\n    print(inspect.currentframe().f_back)\n'
     '    sys.modules["x"] = None\n    t = timeit.timeit(open("t.txt").read())\n'
     '    exec("x = 1")\n    def g(fn):\n        return fn.__globals__\n'
     'if "__main__" == __name__ and len(sys.argv) > 1:\n    import ctypes\n'),
    ("main-block-namespace-read", 'x = globals().get("y")\nok = "y" in globals()\n'
     'names = sorted(globals())\nglobals()["helper"] = len\nvars().update({"other": 1})\n'
     'import timeit\nt = timeit.timeit("len([])", globals=globals())\n'
     'class A:\n    __name__ = "a"\ndef f():\n    __name__ = "x"\n    return __name__\n'
     'def deco(fn):\n    def inner(*a):\n        return fn(*a)\n    inner.__name__ = fn.__name__\n'
     '    return inner\nif __name__ == "__main__":\n    import ctypes\n'),
    ("stars", "import glob\nfrom pathlib import Path\nprint('*' * 40)\n"
     "print(' ex01 '.center(40, '*'))\nparts = 'a*b'.split('*')\nfiles = glob.glob('*')\n"
     "everything = sorted(Path('.').glob('**/*'))\nmarker = '*'\nbold = f'**{marker}**'\n"
     "csvs = glob.glob('data/*.csv') + glob.glob('./*.csv') + glob.glob('../data/*.csv')\n"
     "pts = glob.glob('/home/student/data/*.pt')\n"),
    ("sys-modules-membership", "import sys\nIN_COLAB = 'google.colab' in sys.modules\n"
     "LOADED = 'torch' not in sys.modules.keys()\n"
     "UNDER_PYTEST = sys.modules.get('pytest') is not None\n"
     "if sys.modules.get('google.colab'):\n    pass\nHAS = bool(sys.modules.get('tqdm'))\n"),
    ("argparse-in-a-notebook", "import argparse, sys\nsys.argv = ['ex06']\n"
     "sys.argv += ['--lr', '0.1']\nparser = argparse.ArgumentParser()\n"
     "parser.add_argument('--lr', type=float, default=0.01)\nargs = parser.parse_args()\n"
     "print(vars(args))\n"),
    ("configuration", "import pandas as pd, numpy as np, torch, warnings, logging\n"
     "import logging.config\npd.options.display.float_format = '{:.4f}'.format\n"
     "pd.options.display.float_format = lambda x: f'{x:.2f}'\n"
     "pd.set_option('display.precision', 3)\nnp.set_printoptions(precision=3)\n"
     "torch.set_printoptions(precision=3)\nwarnings.filterwarnings('ignore')\n"
     "logging.basicConfig(level=logging.INFO)\nlogging.config.dictConfig({'version': 1, "
     "'handlers': {'h': {'class': 'logging.StreamHandler', 'stream': 'ext://sys.stdout', "
     "'level': logging.INFO}}, 'root': {'handlers': ['h']}})\n"),
    ("code-strings-reviewed", "import timeit, cProfile, pstats\ndef forward(x, w):\n"
     "    return x * w\nx, w = 2.0, 3.0\n"
     "t = timeit.timeit('forward(x, w)', globals=globals(), number=10)\n"
     "r = timeit.repeat('forward(1, 2)', setup='from __main__ import forward', number=3)\n"
     "T = timeit.Timer(stmt='forward(1, 2)', globals=globals())\nCODE = 'forward(1, 1)'\n"
     "u = timeit.timeit(CODE, globals=globals())\ndef bench(code, n=10):\n"
     "    return timeit.timeit(code, globals=globals(), number=n)\nbench('forward(1, 2)')\n"
     "t2 = timeit.timeit(lambda: forward(x, w), number=3)\n"
     "cProfile.run('forward(x, w)', 'fit.prof')\n"
     "cProfile.runctx('forward(x, w)', globals(), locals())\n"
     "pstats.Stats('fit.prof').sort_stats('cumulative')\npr = cProfile.Profile()\n"
     "pr.enable()\nforward(x, w)\npr.disable()\nfrom timeit import timeit as tt\n"
     "tt('forward(x, w)', globals=globals())\nimport subprocess\n"
     "subprocess.run('import ctypes', shell=True)\n"),
    ("builtins-read", "from __future__ import print_function, division\n"
     "from builtins import range, object, open, super, str\nimport builtins\n"
     "n = builtins.len([1])\nbuiltins.print('x')\nclass A(object):\n    pass\n"),
    ("importlib-readers", "import importlib.util\nimport importlib.metadata\n"
     "from importlib.metadata import version, PackageNotFoundError\n"
     "HAVE_PANDAS = importlib.util.find_spec('pandas') is not None\n"
     "if importlib.util.find_spec('tqdm'):\n    pass\nv = version('torch')\n"
     "w = importlib.metadata.version('numpy')\ntry:\n    version('x')\n"
     "except PackageNotFoundError:\n    pass\nfrom importlib.util import find_spec\n"
     "if not find_spec('matplotlib'):\n    pass\n"),
    ("private-bases", "import torch\nfrom torch import nn\n"
     "from torch.nn.modules.loss import _Loss, _WeightedLoss\n"
     "from torch.optim.lr_scheduler import _LRScheduler\nclass MyBCELoss(_Loss):\n"
     "    def forward(self, a, b):\n        return (a - b).abs().mean()\n"
     "class W(torch.nn.modules.loss._WeightedLoss):\n    pass\n"
     "class B(nn.modules.batchnorm._BatchNorm):\n    pass\n"
     "class C(torch.nn.modules.conv._ConvNd):\n    pass\nclass S(_LRScheduler):\n    pass\n"
     "v = torch.__version__\nimport numpy as np\nnv = np.__version__\n"
     "m = nn.Sequential(nn.Linear(1, 1))\nmods = m._modules\nps = m[0]._parameters\n"
     "class Net(nn.Module):\n    def names(self):\n        return list(self._modules)\n"),
    ("checkpoints", "import torch, shutil\nfrom pathlib import Path\n"
     "model = torch.nn.Linear(1, 1)\nwith open('poly3.pth', 'wb') as f:\n"
     "    torch.save(model.state_dict(), f)\nstate = torch.load('poly3.pth', weights_only=False)\n"
     "torch.save(model, 'poly3_full.pt')\nmodel2 = torch.load('poly3_full.pt', "
     "weights_only=False)\nshutil.copyfile('poly3.pth', 'best.pth')\n"
     "torch.save(model, Path('ckpt') / 'e1.pth')\ndef save(n):\n"
     "    torch.save(model, n + '.pth')\nout = open(Path(__file__).with_suffix('.pth'), 'wb')\n"
     "import os\ntorch.save(model, os.path.join(os.environ.get('CKPT', '.'), 'best.pth'))\n"
     "torch.save(model, Path.home() / 'runs' / 'e1.pth')\n"
     "open(os.path.expanduser('~/ckpt/best.pth'), 'wb')\n"),
    ("own-tests-with-pytest", "import pytest\ndef forward(x, w):\n    return x * w\n"
     "def test_forward():\n    assert forward(0.1, 3.0) == pytest.approx(0.3)\n"
     "@pytest.mark.parametrize('w', [1.0, 2.0])\ndef test_w(w):\n"
     "    with pytest.raises(TypeError):\n        forward(None, w)\n"
     "from pytest import approx\nok = forward(1, 2) == approx(2)\n"
     "if __name__ == '__main__':\n    raise SystemExit(pytest.main([__file__, '-q']))\n"),
    ("caller-name", "import inspect\nVERBOSE = False\ndef debug(*msg):\n    if VERBOSE:\n"
     "        caller = inspect.stack()[1].function\n        line = inspect.stack(0)[1].lineno\n"
     "        print(f'[{caller}:{line}]', *msg)\n"),
    ("harness-names-as-data", "results = {'solutions': [2.0], 'grader': 1}\nprint('pytest')\n"
     "def is_grader(name):\n    return name == 'grader' or name in ('pytest', 'conftest')\n"
     "import logging\nlogging.info('torchdrills')\nimport matplotlib.pyplot as plt\n"
     "plt.plot([1], [2], label='solutions')\nimport sys\nprint('pytest' in sys.modules)\n"),
]


@pytest.mark.parametrize("source", [c[1] for c in ORDINARY], ids=[c[0] for c in ORDINARY])
def test_ordinary_code_is_not_flagged(source):
    assert scan_source(source, "ex06_nn_linear.py") == []


def test_a_configurable_model_is_not_flagged():
    """ex07's reference with its activation, its loss and its optimizer chosen by name, as
    configurable code does: a library's attribute read by a computed name is not tampering."""
    text = (ROOT / "solutions" / "ex07_logistic_regression.py").read_text()
    for old, new in (
            ("    def __init__(self, in_features):\n",
             "    def __init__(self, in_features, activation=\"sigmoid\"):\n"),
            ("        self.linear = nn.Linear(in_features, 1)\n",
             "        self.linear = nn.Linear(in_features, 1)\n"
             "        self.activation = getattr(torch, activation)\n"),
            ("        return torch.sigmoid(self.linear(x))\n",
             "        return self.activation(self.linear(x))\n"),
            ("def train_logistic(model, x, y, lr, epochs, momentum=0.9):\n",
             "def train_logistic(model, x, y, lr, epochs, momentum=0.9, loss=\"BCELoss\", "
             "opt=\"SGD\"):\n"),
            ("    loss_fn = nn.BCELoss()\n", "    loss_fn = getattr(nn, loss)()\n"),
            ("    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)\n",
             "    optimizer = getattr(torch.optim, opt)(model.parameters(), lr=lr, "
             "momentum=momentum)\n")):
        assert old in text, old
        text = text.replace(old, new)
    assert scan_source(text, "ex07_logistic_regression.py") == []


# the trigger lines of a review's correct programs (each added to ex01's reference): where the
# idiom is ordinary wherever it stands, at module level too; else only in a `__main__` block,
# which the grader never runs
REVIEW_TRIGGERS = [
    ("star-banner", 'print("*" * 40)\n', True),
    ("star-marker", 'import matplotlib.pyplot as plt\nplt.plot([2.0], [0.0], marker="*")\n', True),
    ("star-glob", 'from pathlib import Path\nprint(sorted(Path(".").glob("*")))\n', True),
    ("colab", 'import sys\nprint("google.colab" in sys.modules)\n', True),
    ("getattr-nn", 'from torch import nn\nact = getattr(nn, "Tanh")()\n', True),
    ("sys-argv", 'import sys\nsys.argv = [""]\n', True),
    ("pd-float-format", 'import pandas as pd\npd.options.display.float_format = "{:.4f}".format\n',
     True),
    ("timeit-string", 'import timeit\n'
     'print(timeit.timeit("forward(2.0, 3.0)", globals=globals(), number=1000))\n', True),
    ("cprofile-run", 'import cProfile\n'
     'cProfile.run("mse_for_weights([1.0], [2.0], [0.0, 1.0])")\n', True),
    ("builtins-range", 'from builtins import range\nprint(list(range(3)))\n', True),
    ("pytest-approx", 'import pytest\nassert forward(0.1, 3.0) == pytest.approx(0.3)\n', True),
    ("pytest-main", 'import pytest\nraise SystemExit(pytest.main([__file__, "-q"]))\n', False),
    ("find-spec", 'import importlib.util\nprint(importlib.util.find_spec("pandas") is not None)\n',
     True),
    ("metadata-version", 'from importlib.metadata import version\nprint(version("torch"))\n',
     True),
    ("private-loss", 'from torch.nn.modules.loss import _Loss\nclass MyLoss(_Loss):\n'
     '    def forward(self, a, b):\n        return ((a - b) ** 2).mean()\n', True),
    ("pth-open", 'with open("w.pth", "wb") as f:\n    torch.save({"w": torch.tensor(2.0)}, f)\n',
     True),
    ("inspect-stack", 'import inspect\nprint(inspect.stack()[0].function)\n', True),
    ("weights-only-false", 'm = torch.load("model.pt", weights_only=False)\n', False),
    ("logging-config", 'import logging.config\nlogging.config.dictConfig({"version": 1})\n', True),
    ("center-star", 'print(" ex01 ".center(40, "*"))\n', True),
    ("solutions-key", 'print({"solutions": [2.0]})\n', True),
    ("demo-with-frames", 'import sys, gc\nprint(sys._getframe().f_back, len(gc.get_objects()))\n',
     False),
]


@pytest.mark.parametrize("trigger, anywhere", [c[1:] for c in REVIEW_TRIGGERS],
                         ids=[c[0] for c in REVIEW_TRIGGERS])
def test_a_reviews_correct_programs_are_not_flagged(trigger, anywhere):
    in_main = REFERENCE + '\nif __name__ == "__main__":\n' + textwrap.indent(trigger, "    ")
    assert scan_source(in_main, "ex01_linear_model.py") == []
    at_top = REFERENCE + "\n" + trigger
    assert (scan_source(at_top, "ex01_linear_model.py") == []) == anywhere


def test_a_main_block_is_reviewed_when_the_module_rebinds_its_name():
    """The same block: skipped as it stands, reviewed (and the rebinding reported) once the
    module rebinds __name__, and reviewed when the file is flagged anyway."""
    block = '\nif __name__ == "__main__":\n    import gc\n    objs = gc.get_objects()\n'
    assert scan_source(REFERENCE + block, "ex01_linear_model.py") == []
    found = scan_source(REFERENCE + '\n__name__ = "__main__"\n' + block, "ex01_linear_model.py")
    assert [f.what.split(" (")[0] for f in found] == [
        "rebinds __name__, which decides whether its __main__ block runs",
        "reads the garbage collector's objects"]
    found = scan_source(REFERENCE + "\nimport ctypes\n" + block, "ex01_linear_model.py")
    assert len(found) == 2 and "gc.get_objects" in found[1].what


# text in an encoding that keeps ASCII as it is: comments and strings in students' languages
KEEPS_ASCII = [("euc-kr", "한국어 주석"), ("cp949", "한국어"), ("gbk", "中文注释"),
               ("gb2312", "中文"), ("gb18030", "中文"), ("big5", "中文註解"),
               ("shift_jis", "日本語のコメント、表示"), ("cp932", "表示"), ("euc-jp", "日本語"),
               ("cp437", "café"), ("cp850", "café"), ("tis-620", "ภาษาไทย"),
               ("cp874", "ภาษาไทย")]


@pytest.mark.parametrize("encoding, words", KEEPS_ASCII, ids=[e for e, _ in KEEPS_ASCII])
def test_an_encoding_that_keeps_ascii_is_ordinary(encoding, words):
    source = f"# -*- coding: {encoding} -*-\n# {words}\n" + REFERENCE + \
        f'\nif __name__ == "__main__":\n    print("{words}", best_weight([1.0], [2.0], [2.0]))\n'
    assert scan_source(source.encode(encoding), "ex01_linear_model.py") == []


def test_a_notebooks_demo_cells_are_not_flagged():
    data = _notebook("import sys\nIN_COLAB = 'google.colab' in sys.modules\n",
                     "import argparse\nsys.argv = ['ex06']\nargs = argparse.ArgumentParser()"
                     ".parse_args()\n",
                     "import pandas as pd\npd.options.display.float_format = '{:.4f}'.format\n",
                     "from IPython.display import Markdown, display\n"
                     "display(Markdown(f'**{IN_COLAB}**'))\n",
                     "if __name__ == '__main__':\n    import inspect\n"
                     "    print(inspect.currentframe().f_back)\n")
    assert scan_notebook(data, "ex06_nn_linear.ipynb") == []
    data = _notebook("__name__ = '__main__'\n",
                     "if __name__ == '__main__':\n    import inspect\n"
                     "    print(inspect.currentframe().f_back)\n")
    assert [(f.where, f.line) for f in scan_notebook(data, "ex06_nn_linear.ipynb")] == [
        ("code cell 1", 1), ("code cell 2", 3), ("code cell 2", 3)]


# ----------------------------------------------------------------------------------------------
# notebooks

def _notebook(*cells):
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# Title"}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    for source in cells:
        nb["cells"].append({"cell_type": "code", "execution_count": None, "metadata": {},
                            "outputs": [], "source": source})
    return json.dumps(nb).encode()


@pytest.mark.parametrize("uses", ["from polyhelp import slope as _g\n\ndef gradient(xs, ys, w):\n"
                                  "    return _g(xs, ys, w)\n",
                                  "import polyhelp\n\ndef gradient(xs, ys, w):\n"
                                  "    return polyhelp.slope(xs, ys, w)\n"])
def test_a_notebooks_helper_module_is_read_where_a_manual_function_reaches_it(uses):
    """A %%writefile helper.py cell makes a module the notebook imports: a manual function that
    hands its work to it is read there too, on the helper's own line and cell."""
    helper = ("%%writefile polyhelp.py\nimport torch\n\ndef slope(xs, ys, w):\n"
              "    w = torch.tensor(w, requires_grad=True)\n"
              "    return (w * w).grad_fn(torch.tensor(1.0))\n")
    found = scan_notebook(_notebook(helper, uses), "ex02_gradient_descent.ipynb")
    assert [(f.where, f.line) for f in found if "a manual function" in f.what] == [
        ("code cell 1 (polyhelp.py)", 5)], found
    honest = helper.replace("(w * w).grad_fn(torch.tensor(1.0))", "2 * w")
    assert scan_notebook(_notebook(honest, uses), "ex02_gradient_descent.ipynb") == []


def test_a_notebook_cell_is_named_and_aliases_cross_cells():
    data = _notebook("%matplotlib inline\nimport torch as t\n", "x = 1\n",
                     "# grader: checks\nimport grader\n", "y = 2\nt.allclose = print\n")
    assert scan_notebook(data, "ex01_linear_model.ipynb") == [
        Finding("ex01_linear_model.ipynb", 2, "code cell 4", "patches torch.allclose")]


def test_a_notebook_cell_that_does_not_parse_is_skipped_the_others_are_read():
    data = _notebook("def broken(:\n", "import gc\ngc.get_objects()\n")
    assert [(f.where, f.line) for f in scan_notebook(data, "n.ipynb")] == [("code cell 2", 2)]


@pytest.mark.parametrize("data", [b"", b"{", b"\xff\xfe", b"[]", b'{"cells": 3}',
                                  b"[" * 100_000 + b"]" * 100_000,
                                  b'{"cells": [{"cell_type": "code", "source": 7}]}'])
def test_bytes_that_are_not_a_notebook_give_no_finding(data):
    assert scan_notebook(data, "n.ipynb") == []


def test_scan_file_reads_by_suffix(tmp_path):
    (tmp_path / "ex01_linear_model.ipynb").write_bytes(_notebook("import ctypes\n"))
    (tmp_path / "ex02_gradient_descent.py").write_text("import ctypes\n")
    assert [f.where for f in scan_file(tmp_path / "ex01_linear_model.ipynb")] == ["code cell 1"]
    assert [f.where for f in scan_file(tmp_path / "ex02_gradient_descent.py")] == [""]


def test_scan_file_follows_no_link_and_survives_missing_files(tmp_path):
    target = tmp_path / "real.py"
    target.write_text("import ctypes\n")
    (tmp_path / "ex01_linear_model.py").symlink_to(target)
    assert scan_file(tmp_path / "ex01_linear_model.py") == []
    assert scan_file(tmp_path / "missing.py") == []
    assert scan_file(tmp_path) == []


# ----------------------------------------------------------------------------------------------
# (c) robustness: no input crashes the scan, none takes long

@pytest.mark.parametrize("data", [
    b"import gc\x00\ngc.get_objects()\n",          # NUL byte: Python refuses to run it
    b"x = '\xff\xfe'\nimport ctypes\n",              # not UTF-8, no coding cookie
    b"\xef\xbb\xbfdef f(:\n",                        # a BOM, then a syntax error
    "def f(:\n", "", "\n" * 1000, b"# coding: klingon\nimport ctypes\n",
])
def test_source_that_python_cannot_run_gives_no_finding(data):
    assert scan_source(data, "x.py") == []


def test_a_coding_cookie_is_honoured():
    data = b"# coding: latin-1\nimport gc\nx = gc.get_objects()  # \xe9\n"
    assert [f.line for f in scan_source(data, "x.py")] == [3]


@pytest.mark.parametrize("source", [
    "x = " + "1 + " * 100_000 + "1\n",              # the parser's recursion limit
    "x = " + "-" * 100_000 + "1\n",                 # the parser's stack
    "x = " + "not " * 100_000 + "y\n",
])
def test_a_file_too_deep_to_parse_is_flagged(source):
    """Where the parser gives up (RecursionError, MemoryError) the file cannot be reviewed;
    where it calls the file a syntax error, the file cannot run either."""
    try:
        ast.parse(source)
        gives_up = False
    except (RecursionError, MemoryError):
        gives_up = True
    except SyntaxError:
        gives_up = False
    assert [f.what for f in scan_source(source, "x.py")] == ([TOO_DEEP] if gives_up else [])


# past the parser's depth in any process (a line of 3 000 '-' parses where a test before
# raised the recursion limit; this one is the file test_the_parser_gives_up_on_some_file_here
# reads)
_TOO_DEEP = "_Z = " + "1 + " * 100_000 + "1\n"


def test_every_reading_of_a_files_text_survives_one_too_deep_to_parse():
    """The trusted side reads a submission's text in several places (its review, its imports,
    whether it was started, which of its functions use which for the hints): each takes a
    file the parser gives up on as one that does not parse (a fresh round's B3: the hints'
    reading raised RecursionError and grade, check and Gradescope crashed)."""
    from grader.engine.result import reaches
    from grader.sandbox.apart import TooDeep, imported_names, parse
    from grader.sandbox.staging import not_started
    text = "def f(x):\n    return x\n" + _TOO_DEEP
    with pytest.raises(TooDeep):
        parse(text)
    assert reaches(text) == {}
    assert imported_names(text.encode()) == set()
    assert not_started("ex01_linear_model.py", text.encode()) is False
    assert scan_source(text, "ex01_linear_model.py") == \
        [Finding("ex01_linear_model.py", 0, "", TOO_DEEP)]


def test_which_functions_a_function_uses_is_followed_only_for_the_failing_ones(monkeypatch):
    """A chain of functions, each calling the next: what the first reaches is all the others,
    and what every one reaches is quadratic in their number (12 000 of them, 392 KB of code,
    took 4.4 GB of the grading process's memory: a fresh round's B3). The hints' reading
    follows the functions whose checks fail, only."""
    from grader.engine import result
    n = 400
    text = "".join(f"def f{i}():\n    return f{i + 1}()\n\n" for i in range(n)) + \
        f"def f{n}():\n    return 0\n"
    assert result.reaches(text, {"f0", "missing"}) == {"f0": {f"f{i}" for i in range(1, n + 1)}}
    assert result.reaches(text, {f"f{n - 1}"}) == {f"f{n - 1}": {f"f{n}"}}
    assert len(result.reaches(text)) == n + 1       # all, where none is named
    asked = []
    monkeypatch.setattr(result, "reaches", lambda t, only=None: asked.append(only) or {})
    check = result.CheckResult("x::t", "ex01", "forward", "t", "", 1.0, True, "failed", "m", 0.0)
    passing = result.CheckResult("x::u", "ex01", "loss", "t", "", 1.0, True, "passed", "", 0.0)
    result.blame_callees([check, passing], {"ex01": text, "ex02": text})
    assert sorted(asked, key=len) == [set(), {"forward"}]


def test_a_file_too_deep_to_parse_costs_only_its_exercise(grade):
    ex01 = (ROOT / "solutions" / "ex01_linear_model.py").read_text()
    ex02 = (ROOT / "solutions" / "ex02_gradient_descent.py").read_text()
    result = grade("ex01", files={"ex01_linear_model.py": ex01,
                                  "ex02_gradient_descent.py": ex02 + _TOO_DEEP},
                   exercises=["ex01", "ex02"])
    ex01 = [c for c in result.checks if c.exercise == "ex01" and c.counted]
    assert ex01 and all(c.status == "passed" for c in ex01), [c.message for c in ex01]
    assert any(TOO_DEEP in t for t in result.tampering), result.tampering


def test_the_parser_gives_up_on_some_file_here():
    assert scan_source("x = " + "1 + " * 100_000 + "1\n", "x.py") == \
        [Finding("x.py", 0, "", TOO_DEEP)]


@pytest.mark.parametrize("error, what", [(RecursionError, TOO_DEEP),
                                         (MemoryError, TOO_DEEP),
                                         (KeyError, "could not be reviewed (KeyError)")])
def test_a_review_that_cannot_finish_is_a_finding(monkeypatch, error, what):
    import grader.engine.review

    def fail(self):
        raise error("x")
    monkeypatch.setattr(grader.engine.review._Review, "run", fail)
    assert scan_source("x = 1\n", "x.py") == [Finding("x.py", 0, "", what)]


@pytest.mark.parametrize("source", [
    "x = " + "(" * 150 + ")" * 150 + "\n",          # the parser's own limit: a syntax error
    "import torch\nx = torch" + ".a" * 900 + "\n",
    "x = " + " + ".join(["'/pr'"] * 900) + "\n",
    "x = " + "[" * 90 + "]" * 90 + "\n",
    "x = " + "f(" * 190 + ")" * 190 + "\n",
    "".join("    " * i + "if x:\n" for i in range(90)) + "    " * 90 + "pass\n",
    "x = " + " if c else ".join(["torch"] * 2000) + "\n",
    "import torch\nx = torch\n" + "".join(f"x = x.a{i}\n" for i in range(3000)),
])
def test_deep_or_long_expressions_never_raise(source):
    found = scan_source(source, "x.py")
    assert all(f.what == TOO_DEEP or f.line > 0 for f in found)


@pytest.mark.parametrize("source", [
    # a name bound many times over, each binding made from the one before
    "import torch, subprocess, os\n" + "".join(
        f"n{i} = n{i - 1} + 'a{j}'\n" if i else f"n0 = 'x{j}'\n"
        for i in range(30) for j in range(20)) +
    "getattr(torch, n29)\nopen(n29, 'w')\nsubprocess.run(['x'], stdout=n29)\nos.close(n29)\n"
    "'{}'.format(n29)\ntorch.save(1, n29)\nopen(__file__ + n29, 'w')\n",
    # many computed lookups, each through a parameter given joined arguments
    "import torch\n" + "".join(f"def f{i}(a, b):\n    return getattr(torch, a + b)\n"
                               for i in range(1500)) +
    "".join(f"f{i}('x', 'y')\n" for i in range(1500)),
    # a descriptor computed through a long chain, string annotations in every function
    "import os\nfd0 = int(x)\n" + "".join(f"fd{i} = fd{i - 1} + 1\n" for i in range(1, 3000)) +
    "os.write(fd2999, b'x')\nopen(fd2999)\n" + "".join(
        f"def g{i}(x: 'List[\"List[int]\"]') -> 'int':\n    pass\n" for i in range(2000)),
], ids=["rebound-names", "many-lookups", "long-chains"])
def test_names_followed_through_many_bindings_stay_bounded(source):
    """What a name may hold is followed within fixed budgets, whatever the file."""
    assert len(source) < MAX_SOURCE_BYTES
    started = time.perf_counter()
    scan_source(source, "x.py")
    assert time.perf_counter() - started < 5


def test_what_a_file_runs_at_import_is_followed_once_per_function():
    """The manual pass follows the code run at import into every function it calls, each
    function read once however many top-level lines call it: a notebook that trains at the top
    level 2000 times through a function reaching 300 others is reviewed within the file's
    budget, unflagged."""
    source = ("import torch\n" + "".join(f"def h{i}():\n    return {i}\n" for i in range(300))
              + "def train(w):\n    w = torch.tensor(w, requires_grad=True)\n"
              "    (w * w).backward()\n    return " + " + ".join(f"h{i}()" for i in range(300))
              + "\n" + "".join(f"r{i} = train(1.0)\n" for i in range(2000))
              + "def gradient(xs, ys, w):\n    return 2 * w\n")
    assert scan_source(source, "ex02_gradient_descent.py") == []   # within the file's budget:
    # read once per statement, the 2000 calls would pass it ("too large to follow")


def test_a_huge_file_is_reported_at_once_not_parsed():
    source = "x = 1\n" * (5 * 1024**2 // 6)
    started = time.perf_counter()
    found = scan_source(source, "x.py")
    assert time.perf_counter() - started < 2
    assert [(f.line, f.what.split(" (")[0]) for f in found] == [(0, "too large to review")]
    assert len(source) > MAX_SOURCE_BYTES


def test_a_large_file_under_the_cap_is_read_whole():
    """The tampering at the end of a long file is found: nothing is cut."""
    source = "".join(f"def f{i}(x):\n    return x * {i}\n" for i in range(8000))
    source += "import gc\nobjs = gc.get_objects()\n"
    lines = source.count("\n")
    assert len(source) < MAX_SOURCE_BYTES
    assert [f.line for f in scan_source(source, "x.py")] == [lines]


def test_many_string_pieces_stay_linear():
    """A long chain of string pieces, many times over, is read without quadratic work."""
    chain = " + ".join(["'ab'"] * 400)
    source = "".join(f"x{i} = {chain}\n" for i in range(150)) + "y = '/pr' + 'oc'\n"
    assert len(source) < MAX_SOURCE_BYTES
    found = scan_source(source, "x.py")
    assert [f.line for f in found] == [151]


def test_files_written_on_the_trusted_side_are_not_imported(tmp_path, monkeypatch):
    """The scan never runs what it reads: a file that would write a marker does not."""
    marker = tmp_path / "ran"
    source = f"open({str(marker)!r}, 'w').write('x')\nimport ctypes\n"
    monkeypatch.chdir(tmp_path)
    assert scan_source(source, "ex01_linear_model.py")
    assert not marker.exists()


# ----------------------------------------------------------------------------------------------
# (d) what an instructor reads

def test_findings_are_capped():
    source = "import torch\n" + "".join(f"torch.f{i} = {i}\n" for i in range(500))
    found = scan_source(source, "x.py")
    assert len(found) == 101 and found[-1] == Finding("x.py", 0, "", "and 400 more findings")


def test_findings_read_well():
    texts = set()
    for _, source, _, _ in HOSTILE:
        for f in scan_source(source, "ex03_autograd_basics.py"):
            texts.add(f.what)
            assert f.what == f.what.strip() and f.what[0].islower()
            assert len(f.what) <= 110 and f.what.isprintable(), f.what
    assert len(texts) > 40


def test_hostile_text_in_a_finding_is_escaped():
    found = scan_source("p = open('/proc/\\x1b[2J\\u202e')\n", "x.py")
    assert found and all(f.what.isprintable() for f in found)


def test_a_finding_prints_its_place():
    f = scan_notebook(_notebook("import ctypes\n"), "ex01_linear_model.ipynb")[0]
    assert str(f) == "ex01_linear_model.ipynb: code cell 1, line 1: " \
                     "reads or writes raw memory (ctypes)"


# A manual function (CURRICULUM.md) and everything it reaches in its file use no autograd:
# read as text on the trusted side, where the worker's watch cannot be reached past
_PROBE = "def _probe():\n    v = torch.tensor(2.0, requires_grad=True)\n    (v * v).backward()\n" \
    "    return float(v.grad)\n\n"
MANUAL_REACHES_AUTOGRAD = {
    # what runs as a def or class runs, made with autograd and kept in it (a fresh round's B4)
    "a default made at import": _PROBE + "def gradient(xs, ys, w, k=_probe()):\n"
    "    return k * w\n",
    "a keyword-only default": _PROBE + "def gradient(xs, ys, w, *, k=_probe()):\n"
    "    return k * w\n",
    "a decorator's argument": _PROBE + "def _scaled(k):\n    def wrap(f):\n"
    "        return lambda *a: k * f(*a)\n    return wrap\n\n"
    "@_scaled(_probe())\ndef gradient(xs, ys, w):\n    return w\n",
    "a class attribute": _PROBE + "class _Tools:\n    K = _probe()\n\n"
    "def gradient(xs, ys, w):\n    return _Tools.K * w\n",
    # code written as text, whatever runs it (a code printer's method, a template)
    "code as text in a table": "import sympy\nCODE = {'g': 'torch.autograd.grad(y, x)[0]'}\n\n"
    "def gradient(xs, ys, w):\n    return run_text(CODE['g'])\n",
    "the engine's backward as text": "def _text():\n"
    "    return 'Variable._execution_engine.run_backward((y,), (g,), False, False, (), False)'"
    "\n\ndef gradient(xs, ys, w):\n    return compile_it(_text())\n",
    "the engine's own method": "class _V(torch.autograd.Variable):\n    pass\n\n"
    "def _g(x, y, w):\n    return _V._execution_engine\n\n"
    "def sample_gradient(x, y, w):\n    return _g(x, y, w)\n",
    "an aten operator by name": "def sample_gradient(x, y, w):\n"
    "    op = torch.ops.aten.__getattr__('_' + 'make_dual')\n    return op\n",
    "a TorchScript helper calling one that backprops": "def _k(v: torch.Tensor):\n"
    "    return torch.autograd.grad([(v * v).sum()], [v])[0]\n\n"
    "@torch.jit.script\ndef _h(v: torch.Tensor) -> torch.Tensor:\n"
    "    return _k(v)\n\ndef gradient(xs, ys, w):\n    return _h(torch.tensor(w))\n",
    "a module-level alias": "from torch.autograd import grad as _d\n_step = _d\n\n"
    "def gradient(xs, ys, w):\n    return _step\n",
    "a re-export bound to a name": "ag = torch.nn.modules.module.torch.autograd\n\n"
    "def gradient(xs, ys, w):\n    return ag.grad\n",
    # .backward by name: a literal, a computed one, a default, a class attribute, operator's
    "a computed attribute name": "def gradient(xs, ys, w):\n    getattr(w, 'back' + 'ward')()\n",
    "a name given as a default": "def gradient(xs, ys, w, how='backward'):\n"
    "    getattr(w, how)()\n",
    "a class attribute's name": "class K:\n    go = 'backward'\n\n"
    "def gradient(xs, ys, w):\n    getattr(w, K.go)()\n",
    "a traced gradient kept on a namespace": "import types\n"
    "from torch.fx.experimental.proxy_tensor import make_fx\n_s = types.SimpleNamespace()\n"
    "def _loss(w):\n    return (w * 2.0) ** 2\n"
    "_s.fn = make_fx(torch.func.grad(_loss))(torch.tensor(1.0))\n\n"
    "def gradient(xs, ys, w):\n    return _s.fn(torch.tensor(w))\n",
    "a gradient function in a dict": "_table = {}\n"
    "_table['g'] = torch.func.grad(lambda w: w * w)\n\n"
    "def gradient(xs, ys, w):\n    return _table['g'](torch.tensor(w))\n",
    "a global set by a function run at import": "_fn = None\n\ndef _setup():\n"
    "    global _fn\n    _fn = torch.func.grad(lambda w: w * w)\n\n_setup()\n\n"
    "def gradient(xs, ys, w):\n    return _fn(torch.tensor(w))\n",
    "appended at import": "_fns = []\n_fns.append(torch.func.grad(lambda w: w * w))\n\n"
    "def gradient(xs, ys, w):\n    return _fns[0](torch.tensor(w))\n",
    # a graph's nodes called one by one, in a thread (no engine, no grad mode in the caller)
    "the graph's nodes walked": "import threading\n\ndef _walk(out):\n"
    "    node = out.grad_fn\n    while node is not None:\n"
    "        node = node.next_functions[0][0]\n\n"
    "def gradient(xs, ys, w):\n    t = threading.Thread(target=_walk, args=(w,))\n"
    "    t.start()\n    return 0.0\n",
    # a node made at import, kept where only a call puts it, run by the manual call
    "a node kept in a queue": "import queue\n_box = queue.Queue()\n"
    "_leaf = torch.ones(2, requires_grad=True)\n_box.put((_leaf * _leaf).sum().grad_fn)\n\n"
    "def gradient(xs, ys, w):\n    node = _box.queue[0]\n    return node(torch.tensor(1.0))\n",
    "a node in a context variable": "import contextvars\n_cv = contextvars.ContextVar('n')\n"
    "_leaf = torch.ones(2, requires_grad=True)\n_cv.set((_leaf * 3).sum().grad_fn)\n\n"
    "def gradient(xs, ys, w):\n    return _cv.get()(torch.tensor(1.0))\n",
    "a node pushed on a heap": "import heapq\n_heap = []\n"
    "_leaf = torch.ones(2, requires_grad=True)\nheapq.heappush(_heap, (0, (_leaf * 3).sum().grad_fn))\n\n"
    "def gradient(xs, ys, w):\n    return _heap[0][1](torch.tensor(1.0))\n",
    # a thread started at import runs the graph; the manual call talks to it through queues
    "a thread at import, fed by queues": "import queue, threading\n_jobs, _answers = "
    "queue.Queue(), queue.Queue()\n\ndef _serve():\n    while True:\n"
    "        t = _jobs.get()\n        _answers.put((t * t).sum().grad_fn(torch.tensor(1.0)))\n\n"
    "threading.Thread(target=_serve, daemon=True).start()\n\n"
    "def gradient(xs, ys, w):\n    _jobs.put(torch.tensor([w], requires_grad=True))\n"
    "    return _answers.get()\n",
    # a function or a class filled at import: its attribute, set by any spelling (the
    # seventh attack round: F01, F12, F19, F20)
    "a class's attribute set in a function run at import": "class _Tools:\n    pass\n\n"
    "def _prepare():\n    _Tools.g = torch.func.grad(lambda w: (w * w).sum())\n\n"
    "_prepare()\n\ndef gradient(xs, ys, w):\n    return _Tools.g(w)\n",
    "a class's attribute set at the top": "class _Tools:\n    pass\n\n" + "def _trace():\n    return torch.func.grad(lambda w: (w * w).sum())\n\n"
    "_Tools.g = _trace()\n\ndef gradient(xs, ys, w):\n    return _Tools.g(w)\n",
    "the manual function's own attribute": "def _trace():\n    return torch.func.grad(lambda w: (w * w).sum())\n\ndef gradient(xs, ys, w):\n"
    "    return gradient.g(w)\n\ngradient.g = _trace()\n",
    "a getter's attribute": "def _trace():\n    return torch.func.grad(lambda w: (w * w).sum())\n\ndef _g():\n    return _g.cache\n\n"
    "_g.cache = _trace()\n\ndef gradient(xs, ys, w):\n    return _g()(w)\n",
    "setattr on the function": "def _trace():\n    return torch.func.grad(lambda w: (w * w).sum())\n\ndef gradient(xs, ys, w):\n"
    "    return gradient.g(w)\n\nsetattr(gradient, 'g', _trace())\n",
    "object.__setattr__ on a class": "class _K:\n    pass\n\n" + "def _trace():\n    return torch.func.grad(lambda w: (w * w).sum())\n\n"
    "type.__setattr__(_K, 'g', _trace())\n\ndef gradient(xs, ys, w):\n    return _K.g(w)\n",
    "a class's namespace by vars": "class _K:\n    pass\n\n" + "def _trace():\n    return torch.func.grad(lambda w: (w * w).sum())\n\n"
    "vars(_K)['cache'] = None\n_K.table = {}\n_K.table['g'] = _trace()\n\n"
    "def gradient(xs, ys, w):\n    return _K.table['g'](w)\n",
    # a thread started at import, fed through threading.enumerate() and an attribute of its
    # own: its code runs beside every manual call (the ninth attack round: F02, F03, F20)
    "a graph walked in a thread found by name": "import queue, threading\n\n"
    "class _Helper(threading.Thread):\n    def run(self):\n        self.jobs = queue.Queue()\n"
    "        while True:\n            w, out = self.jobs.get()\n"
    "            t = torch.tensor(w, requires_grad=True)\n"
    "            out.append(((t * t).grad_fn.next_functions[0][0](torch.tensor(1.0))))\n\n"
    "_Helper(daemon=True, name='helper').start()\n\n"
    "def gradient(xs, ys, w):\n"
    "    h = [t for t in threading.enumerate() if t.name == 'helper'][0]\n"
    "    out = []\n    h.jobs.put((w, out))\n    return out\n",
    "a graph walked by a Timer's function": "import threading\n_box = {}\n\n"
    "def _later():\n    t = torch.tensor(1.0, requires_grad=True)\n"
    "    _box['g'] = (t * t).grad_fn\n\n"
    "threading.Timer(0.1, _later).start()\n\n"
    "def gradient(xs, ys, w):\n    return 2.0 * w\n",
    "a scripted helper that runs autograd": "@torch.jit.script\n"
    "def _g(w: torch.Tensor) -> torch.Tensor:\n"
    "    return torch.autograd.grad([(w * w).sum()], [w])[0]\n\n"
    "def gradient(xs, ys, w):\n    return _g(torch.tensor(w, requires_grad=True))\n",
    "a function scripted by name that calls backward": "def _g(w: torch.Tensor):\n"
    "    (w * w).sum().backward()\n    return w.grad\n\n_gs = torch.jit.script(_g)\n\n"
    "def gradient(xs, ys, w):\n    return _gs(torch.tensor(w, requires_grad=True))\n",
}
# Left to the worker's watch of the manual call (a test in tests/sandbox/test_forged_facts.py
# grades each): what it sees, so that honest code merely naming it is not flagged
MANUAL_SEEN_AT_RUN_TIME = {
    "a thread's target": "import threading\n\ndef _work(out):\n    out.backward()\n\n"
    "def sample_gradient(x, y, w):\n    t = threading.Thread(target=_work, args=(x,))\n"
    "    t.start()\n    return 0.0\n",
    "torch.func in a class": "class _K:\n    @staticmethod\n    def run(f, w):\n"
    "        return torch.func.grad(f)(w)\n\ndef gradient(xs, ys, w):\n    return _K.run(None, w)\n",
    # a library's re-export of autograd's module
    "a re-exported path": "def gradient(xs, ys, w):\n"
    "    return torch.nn.functional.torch.autograd.grad\n",
    "getattr with its name": "def gradient(xs, ys, w):\n    getattr(w, 'backward')()\n",
    "operator's methodcaller": "import operator\n\ndef gradient(xs, ys, w):\n"
    "    operator.methodcaller('backward')(w)\n",
    "operator's attrgetter": "import operator\n\ndef gradient(xs, ys, w):\n"
    "    operator.attrgetter('backward')(w)()\n",
    "a type's method": "def gradient(xs, ys, w):\n    type(w).backward(w)\n",
    # attributes by a path written as text, in a library (round 14's F05, F15, F16: the graph's
    # nodes walked in a thread, 24/24 to 37/37 unflagged)
    "a formatter's field path": "import string\n\ndef gradient(xs, ys, w):\n"
    "    node = string.Formatter().get_field('0.' + 'grad_fn', (w,), {})[0]\n    return node\n",
    "a template's expression": "import jinja2\n\ndef gradient(xs, ys, w):\n"
    "    return jinja2.Environment().compile_expression('o.grad_fn')(o=w)\n",
    "names in a list joined into a path": "def _at(obj, names):\n"
    "    return _look('0.' + '.'.join(names), obj)\n\n"
    "def gradient(xs, ys, w):\n    return _at(w, ['grad_fn', 'next_functions'])\n",
    # autograd's backward formulas under a public name (round 15's F21-F23: a convolution's
    # weight gradient did the chain rule, 24/24 and 32/32 unflagged)
    "a convolution's backward formula": "def gradient(xs, ys, w):\n"
    "    return torch.nn.grad.conv1d_weight(torch.ones(1, 1, 3), (1, 1, 1), "
    "torch.ones(1, 1, 3))\n",
    # a name kept in a constant, a tuple or a module's attribute name, looked up by it
    "a name kept in a constant": "STAGE = 'backward'\n\n"
    "def gradient(xs, ys, w):\n    getattr(w, STAGE)()\n",
    "a name kept in a tuple": "PHASES = ('forward', 'backward')\n\n"
    "def gradient(xs, ys, w):\n    getattr(w, PHASES[1])()\n",
    "torch's module by a constant": "PART = 'autograd'\n\n"
    "def gradient(xs, ys, w):\n    return getattr(torch, PART).grad(w * w, w)[0]\n",
    "a method caller of a kept name": "import operator\nM = 'backward'\n\n"
    "def gradient(xs, ys, w):\n    operator.methodcaller(M)(w)\n",
    # made with autograd as the file is imported, only read by the manual call
}
MANUAL_HONEST = {
    "defaults and decorators that are values": "import functools\n\n"
    "@functools.lru_cache(maxsize=None)\ndef _two():\n    return 2.0\n\n"
    "@torch.no_grad()\ndef gradient(xs, ys, w, scale=_two(), eps=float('1e-8')):\n"
    "    return scale * w + 0 * eps\n",
    "a class of constants": "import numpy as np\n\nclass _C:\n    K = np.float64(2.0)\n\n"
    "def gradient(xs, ys, w):\n    return _C.K * w\n",
    "a message naming autograd": "def gradient(xs, ys, w):\n    if not xs:\n"
    "        raise ValueError('no data: call it as in the notes, not via loss.backward() "
    "or autograd')\n    return 2.0 * w\n",
    "no_grad inside": "def gradient(xs, ys, w):\n    with torch.no_grad():\n"
    "        return float(((torch.tensor(xs) * w - torch.tensor(ys)) * 2).mean())\n",
    "grad mode set off": "def gradient(xs, ys, w):\n    with torch.set_grad_enabled(False):\n"
    "        return 2.0 * w\n",
    "autograd's no_grad by its module": "def gradient(xs, ys, w):\n"
    "    with torch.autograd.no_grad():\n        return 2.0 * w\n",
    "autograd imported, its no_grad used": "from torch import autograd\n\n"
    "def gradient(xs, ys, w):\n    with autograd.no_grad():\n        return 2.0 * w\n",
    "Variable making a tensor": "from torch.autograd import Variable\n\n"
    "def gradient(xs, ys, w):\n    x = Variable(torch.tensor(xs))\n"
    "    return float((2 * x * (x * w)).mean())\n",
    "a local named as a top-level self-check": "def gradient(xs, ys, w):\n"
    "    g = 2.0 * w\n    return g\n\n"
    "w0 = torch.tensor(1.0, requires_grad=True)\ng = torch.autograd.grad(w0 * w0, w0)[0]\n"
    "print(g, gradient([1.0], [1.0], 1.0))\n",
    "a top-level training run": "def gradient(xs, ys, w):\n    return 2.0 * w\n\n"
    "def train(w):\n    w = torch.tensor(w, requires_grad=True)\n    (w * w).backward()\n"
    "    return w.grad\n\nresult = train(1.0)\nprint(result)\n",
    # names the watch sees, in code a manual call never runs (the fourth attack round)
    "a shared loop's other branch": "def _train(w, manual):\n    if manual:\n"
    "        return 2.0 * w\n    t = torch.tensor(w, requires_grad=True)\n"
    "    (t * t).backward()\n    return t.grad\n\n"
    "def gradient(xs, ys, w):\n    return _train(w, True)\n",
    "isinstance of Variable": "from torch.autograd import Variable\n\n"
    "def gradient(xs, ys, w):\n    if isinstance(w, Variable):\n        w = w.data\n"
    "    return 2.0 * w\n",
    "grad mode from a flag": "training = False\n\ndef gradient(xs, ys, w):\n"
    "    with torch.set_grad_enabled(training):\n        return 2.0 * w\n",
    "a warm-up cell's def replaced": "w = torch.tensor(1.0, requires_grad=True)\n\n"
    "def forward(x):\n    return x * w\n\nl = forward(2.0) ** 2\nl.backward()\n"
    "with torch.no_grad():\n    w -= 0.1 * w.grad\n\n"
    "def forward(x, w):\n    return x * w\n\n"
    "def gradient(xs, ys, w):\n    return 2.0 * forward(1.0, w)\n",
    # constants read by a manual function, used at the top beside autograd's work (the
    # seventh attack round: F03, F06, F41): a constant holds nothing a call could fill
    "a constant printed beside a loss": "PRINT_EVERY = 10\nSCALE = (2.0, -1e-3)\n\n"
    "def gradient(xs, ys, w):\n    return SCALE[0] * w * PRINT_EVERY / PRINT_EVERY\n\n"
    "w0 = torch.tensor(1.0, requires_grad=True)\nloss = (w0 * w0).sum()\nloss.backward()\n"
    "print(PRINT_EVERY, SCALE, loss.item(), w0.grad)\n",
    "a constant given to a call that backprops": "LOG_MIN = 1e-7\n\n"
    "def gradient(xs, ys, w):\n    return 2.0 * max(w, LOG_MIN)\n\n"
    "w0 = torch.tensor(0.5, requires_grad=True)\n"
    "torch.clamp(w0, min=LOG_MIN).log().backward()\nprint(w0.grad)\n",
    "a class given to a call beside autograd": "class Model:\n    scale = 2.0\n\n"
    "def gradient(xs, ys, w):\n    return Model.scale * w\n\n"
    "w0 = torch.tensor(1.0, requires_grad=True)\n(w0 * w0).backward()\n"
    "print(Model, w0.grad, isinstance(w0, torch.Tensor))\n",
    "a progress thread beside a manual function": "import threading, time\n\n"
    "def _tick():\n    for _ in range(3):\n        time.sleep(0.01)\n        print('.')\n\n"
    "threading.Thread(target=_tick, daemon=True).start()\n\n"
    "def gradient(xs, ys, w):\n    return 2.0 * w\n",
    "a training thread the watch sees": "import threading\n\n"
    "def _train():\n    w = torch.tensor(1.0, requires_grad=True)\n    (w * w).backward()\n\n"
    "threading.Thread(target=_train).start()\n\n"
    "def gradient(xs, ys, w):\n    return 2.0 * w\n",
    # TorchScript of plain arithmetic (the ninth attack round's F31: flagged, 14/24)
    "a scripted helper of plain arithmetic": "@torch.jit.script\n"
    "def _g(x: float, y: float, w: float) -> float:\n    return 2.0 * x * (x * w - y)\n\n"
    "def gradient(xs, ys, w):\n    return _g(float(xs[0]), float(ys[0]), float(w))\n",
    # labels that name autograd's parts, read as text, and a dtype by its name (the tenth
    # attack round's F03, F04, F16: 10 to 20 points withheld)
    "a label naming the backward pass": "STAGE = 'backward'\n"
    "PHASES = ('forward', 'backward')\n\n"
    "def gradient(xs, ys, w):\n    stage = STAGE\n    assert 'backward' in PHASES\n"
    "    print('backward', stage)\n    return 2.0 * w\n\n"
    "w0 = torch.tensor(1.0, requires_grad=True)\n(w0 * w0).backward()\nprint(STAGE, w0.grad)\n",
    "a dtype by a name kept in a constant": "DTYPE = 'float64'\n\n"
    "def gradient(xs, ys, w):\n    x = torch.tensor(xs).to(getattr(torch, DTYPE))\n"
    "    return float((2 * x * (x * w)).mean())\n",
    "a training function keeping its losses": "LOSSES = []\n\ndef train(w):\n"
    "    t = torch.tensor(w, requires_grad=True)\n    (t * t).backward()\n"
    "    LOSSES.append(float(t.grad))\n    return t.grad\n\n"
    "def gradient(xs, ys, w):\n    return 2.0 * w\n",
    "an autograd self-check at import": "def gradient(xs, ys, w):\n    return 2.0 * w\n\n"
    "w0 = torch.tensor(1.0, requires_grad=True)\n(w0 * w0).backward()\n"
    "assert abs(gradient([1.0], [0.0], 1.0) - w0.grad.item()) < 1e-6\n",
    # a tutorial's look at the graph, a compiled model, a debugger (round 13's F07, F20, F24,
    # F02: 4 to 22 points withheld)
    "the graph looked at": "w0 = torch.tensor(1.0, requires_grad=True)\nloss = w0 * w0\n"
    "print(loss.grad_fn, loss.grad_fn.next_functions[0][0])\n\n"
    "def gradient(xs, ys, w):\n    return 2.0 * w\n",
    "a compiled model": "model = torch.nn.Linear(2, 1)\nfast = torch.compile(model)\n"
    "eager = torch.compile(model, backend='eager')\n\n"
    "def gradient(xs, ys, w):\n    return 2.0 * w\n",
    "a debugger at hand": "from IPython.core.debugger import set_trace\n\n"
    "def gradient(xs, ys, w):\n    return 2.0 * w\n",
    # her config, read beside a training run that is given one of its items, and a main
    # block that saves a plot and a checkpoint (round 14's F11, F21: 16 points withheld)
    "a config beside a training run": "import json\nwith open('config.json') as f:\n"
    "    CONFIG = json.load(f)\n\ndef train(lr):\n    t = torch.tensor(1.0, requires_grad=True)\n"
    "    (t * t * lr).backward()\n    return [float(t.grad)]\n\n"
    "losses = train(lr=CONFIG['lr'])\n\ndef gradient(xs, ys, w):\n"
    "    return CONFIG['scale'] * 2.0 * w\n",
    "a main block that saves": "import json\nCONFIG = json.load(open('config.json'))\n\n"
    "def gradient(xs, ys, w):\n    return CONFIG['scale'] * 2.0 * w\n\n"
    "if __name__ == '__main__':\n    w0 = torch.tensor(1.0, requires_grad=True)\n"
    "    (w0 * w0).backward()\n    torch.save({'w': w0}, 'c.pt')\n"
    "    json.dump(CONFIG, open('used.json', 'w'))\n",
    # torch itself is never filled: a module (the sixth blind round's c03b: torch.numel in
    # the manual function, torch's functions called beside a backward() elsewhere)
    "torch's functions beside a backward elsewhere": "def mean_graph(x):\n"
    "    y = torch.add(x, 2)\n    return torch.mean(torch.mul(y, y))\n\n"
    "def grad_of_mean(x):\n    x2 = x.detach().clone().requires_grad_()\n"
    "    w2 = torch.tensor(x2.tolist(), dtype=x.dtype, requires_grad=True)\n"
    "    mean_graph(x2).backward(torch.ones_like(x2[0]))\n    return x2.grad, w2\n\n"
    "def gradient(xs, ys, w):\n    return 6 * (w + 2) / torch.numel(torch.tensor(xs))\n",
    "autograd in a function that is not manual": "def train(xs, ys, w):\n"
    "    w = torch.tensor(w, requires_grad=True)\n    (w * 2).backward()\n    return w.grad\n\n"
    "def gradient(xs, ys, w):\n    return helper(xs, ys, w)\n\n"
    "def helper(xs, ys, w):\n    return 2.0 * w\n",
}


# a manual function that reads what its arguments do not give: a file, the environment, the
# argument list, standard input, a listing or a size, another program's output, itself or
# through a name the file filled from one at import (the tenth attack round's F09, F14, F15:
# a gradient traced with autograd at import or in a child process, kept in recipe.json,
# os.environ or sys.argv, replayed with plain arithmetic: 24/24, unseen)
MANUAL_READS_OUTSIDE = {
    "a file": "def gradient(xs, ys, w):\n    return float(open('r.txt').read())\n",
    "a path's text": "from pathlib import Path\nP = Path(__file__).parent / 'r.txt'\n\n"
    "def gradient(xs, ys, w):\n    return float(P.read_text())\n",
    "NumPy's loader": "import numpy as np\n\ndef gradient(xs, ys, w):\n"
    "    return float(np.load('r.npy'))\n",
    "torch's loader": "def gradient(xs, ys, w):\n    return float(torch.load('r.pt'))\n",
    "the environment": "import os\n\ndef gradient(xs, ys, w):\n"
    "    return float(os.environ['R'])\n",
    "the environment, imported": "from os import getenv\n\ndef gradient(xs, ys, w):\n"
    "    return float(getenv('R'))\n",
    "the argument list": "import sys\n\ndef gradient(xs, ys, w):\n    return float(sys.argv[1])\n",
    "standard input": "def gradient(xs, ys, w):\n    return float(input())\n",
    "a name filled from a file at import": "import json\nR = json.load(open('r.json'))\n\n"
    "def gradient(xs, ys, w):\n    return R['g'] * w\n",
    "a name filled by a helper at import": "import json\n\ndef _load():\n"
    "    with open('r.json') as f:\n        return json.load(f)\n\nSTEPS = _load()\n\n"
    "def gradient(xs, ys, w):\n    return STEPS['g'] * w\n",
    "a helper that reads": "def _g():\n    return float(open('r.txt').read())\n\n"
    "def gradient(xs, ys, w):\n    return _g()\n",
    "a folder's listing": "import os\n\ndef gradient(xs, ys, w):\n"
    "    return float(os.listdir('.')[0])\n",
    "a file's size": "import os\n\ndef gradient(xs, ys, w):\n"
    "    return os.path.getsize('x') / 1000\n",
    "another program's output": "import subprocess\n\ndef gradient(xs, ys, w):\n"
    "    return float(subprocess.check_output(['cat', 'x']))\n",
}
# a graph of autograd's traced by the file (make_fx, FX, jit.trace, export, the graph's nodes),
# kept anywhere a manual call can read it, or autograd's work stored by another function a
# check may call first in the same worker (cost before gradient): wherever it is kept, a
# library's list, a thread's object, a default argument, a name
_TRACE = ("from torch.fx.experimental.proxy_tensor import make_fx\n"
          "_g = make_fx(torch.func.grad(lambda w, x, y: ((x * w - y) ** 2).mean()))("
          "torch.tensor(1.0), torch.ones(3), torch.ones(3))\n"
          "STEPS = [(n.op, str(n.target)) for n in _g.graph.nodes]\n")
MANUAL_REPLAYS = {
    "kept in a library's list": "import warnings\n" + _TRACE +
    "warnings.filters.append(('ignore', None, Warning, STEPS, 0))\n\n"
    "def gradient(xs, ys, w):\n    return len(warnings.filters[0][3]) * w\n",
    "kept on the thread": "import threading\n" + _TRACE +
    "threading.current_thread().steps = STEPS\n\n"
    "def gradient(xs, ys, w):\n    return len(threading.current_thread().steps) * w\n",
    "traced in a function called first": "import torch.fx\nKEPT = []\n\n"
    "def cost(xs, ys, w):\n    KEPT.append(torch.fx.symbolic_trace(lambda v: v * 2))\n"
    "    return 0.0\n\ndef gradient(xs, ys, w):\n    return len(KEPT) * w\n",
    "a compiler's backend of its own": "KEPT = []\n\ndef _keep(gm, inputs):\n"
    "    KEPT.append(gm)\n    return gm\n\nf = torch.compile(lambda v: v * v, backend=_keep)\n"
    "def gradient(xs, ys, w):\n    return len(KEPT) * w\n",
    "a jit trace": "def _f(w):\n    return w * w\n\nT = torch.jit.trace(_f, torch.ones(1))\n"
    "def gradient(xs, ys, w):\n    return 2.0 * w\n",
    "autograd's number kept by another function": "_KEPT = {}\n\n"
    "def cost(xs, ys, w):\n    w0 = torch.tensor(w, requires_grad=True)\n"
    "    loss = ((torch.tensor(xs) * w0 - torch.tensor(ys)) ** 2).mean()\n"
    "    loss.backward()\n    _KEPT['g'] = w0.grad.item()\n    return loss.item()\n\n"
    "def gradient(xs, ys, w):\n    return _KEPT['g']\n",
}


@pytest.mark.parametrize("how", MANUAL_REPLAYS)
def test_a_manual_function_that_could_replay_autograds_work_is_flagged(how):
    found = scan_source("import torch\n" + MANUAL_REPLAYS[how], "ex02_gradient_descent.py")
    assert any(f.what.startswith("a manual function") for f in found), found


# what a manual function may do beside that: join a path, print to stderr, read sys.float_info;
# data the file loads at import for functions that are not manual
MANUAL_KEEPS_TO_ITS_ARGUMENTS = {
    "a path joined": "import os\n\ndef gradient(xs, ys, w):\n    p = os.path.join('a', 'b')\n"
    "    return 2.0 * w\n",
    "a note on stderr": "import sys\n\ndef gradient(xs, ys, w):\n"
    "    print('g', file=sys.stderr)\n    return 2.0 * w + 0 * sys.float_info.epsilon\n",
    # her own data, in a file that writes nothing outside (round 12's F06, F34, F32, round
    # 13's F15: a config, data as defaults, a loader thread, an environment flag, flagged)
    "her config read at import": "import json\nCFG = json.load(open('config.json'))\n\n"
    "def gradient(xs, ys, w):\n    return CFG['scale'] * 2.0 * w\n",
    # what only describes the machine writes nothing (multiprocessing's cpu_count and start
    # method counted as a program started: a config read beside them was flagged)
    "her config beside the machine's core count": "import json, multiprocessing as mp\n"
    "import torch.multiprocessing as tmp\nWORKERS = mp.cpu_count()\n"
    "tmp.set_sharing_strategy('file_system')\nCFG = json.load(open('config.json'))\n\n"
    "def gradient(xs, ys, w):\n    return CFG['scale'] * 2.0 * w\n",
    "her data as defaults": "import numpy as np\nX = np.loadtxt('x.csv')\n\n"
    "def gradient(xs=X, ys=X, w=1.0):\n    return 2.0 * w\n",
    "an environment flag for printing": "import os\nVERBOSE = os.environ.get('V') == '1'\n\n"
    "def gradient(xs, ys, w):\n    if VERBOSE:\n        print(w)\n    return 2.0 * w\n",
    "a checkpoint read when asked": "import os\n\ndef gradient(xs, ys, w, resume=False):\n"
    "    if resume and os.path.exists('c.pt'):\n        w = torch.load('c.pt')\n"
    "    return 2.0 * w\n",
    "data loaded for a training run": "import numpy as np\n"
    "DATA = np.loadtxt('data.csv', delimiter=',')\n\ndef gradient(xs, ys, w):\n"
    "    return 2.0 * w\n\ndef train():\n    return gradient(DATA[:, 0], DATA[:, 1], 1.0)\n\n"
    "print(train())\n",
}


# where the file may have put it: a file written, the environment or sys.argv changed, a program
# started (without any of these, what it reads is what she handed in: her data)
WRITERS = ["import json\njson.dump([], open('r.json', 'w'))\n",
           "import os\nos.environ['R'] = '1'\n", "import sys\nsys.argv = ['x']\n",
           "torch.save({}, 'r.pt')\n", "import subprocess\nsubprocess.run(['true'])\n",
           "from pathlib import Path\nPath('r.txt').write_text('1')\n"]


@pytest.mark.parametrize("how", MANUAL_READS_OUTSIDE)
def test_a_manual_function_reading_outside_its_arguments_is_flagged(how):
    writer = WRITERS[sorted(MANUAL_READS_OUTSIDE).index(how) % len(WRITERS)]
    source = "import torch\n" + writer + MANUAL_READS_OUTSIDE[how]
    found = scan_source(source, "ex02_gradient_descent.py")
    assert any(f.what.startswith("a manual function") and (
        "reads what its arguments do not give" in f.what or "read from outside" in f.what)
        for f in found), found


# the writer and the reader in different files of one submission: the worker imports them all
# into one process, so what one file writes another file's manual function can read back
_READER = "import json\n\ndef gradient(xs, ys, w):\n" \
    "    return json.load(open('r.json'))['g'] * w\n"
_AUTOGRAD_WRITER = "import json, torch\nw = torch.tensor(2.0, requires_grad=True)\n" \
    "(w * w).backward()\njson.dump({'g': float(w.grad)}, open('r.json', 'w'))\n"
SPLIT_ACROSS_FILES = {
    "another exercise writes": {"ex01_linear_model.py": _AUTOGRAD_WRITER,
                                "ex02_gradient_descent.py": _READER},
    "her own module writes": {"utils.py": _AUTOGRAD_WRITER,
                              "ex02_gradient_descent.py": "import utils\n" + _READER},
    "a notebook writes": {"ex01_linear_model.ipynb": _AUTOGRAD_WRITER,
                          "ex02_gradient_descent.py": _READER},
    "the reader in her own module": {
        "ex01_linear_model.py": _AUTOGRAD_WRITER,
        "helpers.py": "import json\n\ndef slope(w):\n    return json.load(open('r.json'))['g']\n",
        "ex02_gradient_descent.py": "from helpers import slope\n\n"
        "def gradient(xs, ys, w):\n    return slope(w)\n"},
}


def _stage(tmp_path, files):
    from grader.sandbox import stage_submission
    (tmp_path / "sub").mkdir()
    (tmp_path / "work").mkdir()
    for name, text in files.items():
        if name.endswith(".ipynb"):
            text = json.dumps({"cells": [{"cell_type": "code", "execution_count": None,
                                          "metadata": {}, "outputs": [], "source": text}],
                               "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
        (tmp_path / "sub" / name).write_text(text)
    review = []
    stage_submission(tmp_path / "sub", tmp_path / "work", [], review)
    return review


# numbers hidden in a picture's pixels: a plot saved is not a writer of data, unless a manual
# function reads images back
_PIXEL_WRITER = "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n" \
    "import numpy as np, torch\nw = torch.tensor(2.0, requires_grad=True)\n(w * w).backward()\n" \
    "plt.imsave('g.png', np.full((2, 2), float(w.grad) / 8), vmin=0, vmax=1)\n"
_PIXEL_READER = "import matplotlib.pyplot as plt\n\ndef gradient(xs, ys, w):\n" \
    "    return float(plt.imread('g.png')[0, 0, 0]) * 8 * w\n"
SPLIT_ACROSS_FILES.update({
    "pixels, one file": {"ex02_gradient_descent.py": _PIXEL_WRITER + "\n" + _PIXEL_READER},
    "pixels, two files": {"ex01_linear_model.py": _PIXEL_WRITER,
                          "ex02_gradient_descent.py": _PIXEL_READER},
    "a figure saved, two files": {
        "ex01_linear_model.py": _PIXEL_WRITER.replace("plt.imsave('g.png', ", "plt.plot(")
        .replace(", vmin=0, vmax=1)", ")\nplt.savefig('g.png')"),
        "ex02_gradient_descent.py": _PIXEL_READER},
})


@pytest.mark.parametrize("how", SPLIT_ACROSS_FILES)
def test_a_manual_function_reading_what_another_file_writes_is_flagged(how, tmp_path):
    review = _stage(tmp_path, SPLIT_ACROSS_FILES[how])
    assert any("a manual function" in r and "reads what its arguments do not give" in r
               for r in review), review


def test_files_that_write_nothing_outside_keep_her_config_hers(tmp_path):
    """A config read by a manual function where no file of the submission writes outside
    (a plot saved is not data a function reads back)."""
    files = {"ex01_linear_model.py": "import matplotlib\nmatplotlib.use('Agg')\n"
             "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.savefig('fit.png')\n",
             "ex02_gradient_descent.py": _READER.replace("r.json", "config.json")}
    assert _stage(tmp_path, files) == []


@pytest.mark.parametrize("how", MANUAL_KEEPS_TO_ITS_ARGUMENTS)
def test_a_manual_function_keeping_to_its_arguments_is_not_flagged(how):
    assert scan_source("import torch\n" + MANUAL_KEEPS_TO_ITS_ARGUMENTS[how],
                       "ex02_gradient_descent.py") == []


@pytest.mark.parametrize("how", MANUAL_REACHES_AUTOGRAD)
def test_a_manual_function_that_reaches_autograd_is_flagged_on_its_line(how):
    source = "import torch\n" + MANUAL_REACHES_AUTOGRAD[how]
    found = scan_source(source, "ex02_gradient_descent.py")
    assert any("a manual function" in f.what and "reaches autograd" in f.what for f in found), \
        found
    assert not scan_source(source, "ex05_manual_regression.py") or not any(
        "a manual function" in f.what for f in scan_source(source, "ex05_manual_regression.py"))


@pytest.mark.parametrize("how", MANUAL_HONEST)
def test_a_manual_function_that_turns_autograd_off_or_stays_away_is_not_flagged(how):
    found = scan_source("import torch\n" + MANUAL_HONEST[how], "ex02_gradient_descent.py")
    assert not [f for f in found if "a manual function" in f.what], found


# get_ipython() used otherwise than the lines `jupyter nbconvert --to script` writes for a magic
# or shell line: still flagged once staged (grader.sandbox.notebooks.script_python leaves it)
IPYTHON_REACHED = {
    "run_cell with code built at run time": "code = 'import gc'\nget_ipython().run_cell(code)\n",
    "a shell line built at run time": "cmd = 'ls'\nget_ipython().system(f'echo {cmd}')\n",
    "a magic's argument built at run time": "m = 'matplotlib'\n"
    "get_ipython().run_line_magic(m, 'inline')\n",
    "the kernel's namespace": "ns = get_ipython().user_ns\n",
    "the kernel's history": "h = get_ipython().history_manager\n",
    "a magic line sharing its line": "get_ipython().system('ls'); ns = get_ipython().user_ns\n",
    "a cell magic inside a function": "def f():\n"
    "    get_ipython().run_cell_magic('time', '', 'import gc\\n')\n",
    "the shell kept in a name, running a cell": "ip = get_ipython()\nip.run_cell('import gc')\n",
    "the kept shell's magic built at run time": "ip = get_ipython()\nm = 'matplotlib'\n"
    "if ip:\n    ip.run_line_magic(m, 'inline')\n",
    "the kept shell's magic that runs a file": "ip = get_ipython()\n"
    "ip.run_line_magic('run', 'helper.py')\n",
    "the kept shell's pip": "ip = get_ipython()\nip.run_line_magic('pip', 'install x')\n",
    "the kept shell's cell of bash": "ip = get_ipython()\n"
    "ip.run_cell_magic('bash', '', 'ls')\n",
    "the kept shell passed on": "ip = get_ipython()\nprint(ip)\nsetup(ip)\n",
    "the kept shell's namespace": "ip = get_ipython()\nif ip is not None:\n    ns = ip.user_ns\n",
    "the name holding something else too": "ip = get_ipython()\nif ip is None:\n"
    "    ip = make_shell()\nip.run_line_magic('matplotlib', 'inline')\n",
    "a shell made": "from IPython.core.interactiveshell import InteractiveShell\n"
    "sh = InteractiveShell.instance()\n",
    "the shell's class given a function": "from IPython.core.interactiveshell import "
    "InteractiveShell\nInteractiveShell.run_cell = print\n",
}

# how notebooks set up their shell: where the grader runs the file get_ipython() gives None and
# no shell exists, so a literal setting does nothing there (round 15's F32, F36: flagged before)
IPYTHON_SET_UP = {
    "the shell kept in a name, tested": "ip = get_ipython()\nif ip is not None:\n"
    "    ip.run_line_magic('matplotlib', 'inline')\n",
    "autoreload through a kept shell": "from IPython import get_ipython\nipython = get_ipython()\n"
    "if ipython:\n    ipython.run_line_magic('load_ext', 'autoreload')\n"
    "    ipython.run_line_magic('autoreload', '2')\n",
    "the old magic() spelling": "ip = get_ipython()\nif ip:\n    ip.magic('matplotlib inline')\n",
    "a walrus": "if (shell := get_ipython()) is not None:\n"
    "    shell.run_line_magic('config', \"InlineBackend.figure_format = 'retina'\")\n",
    "every expression shown": "from IPython.core.interactiveshell import InteractiveShell\n"
    "InteractiveShell.ast_node_interactivity = 'all'\n",
    # any literal magic that only shows something (a fresh round's h14: 'who', 8 points held)
    "names listed through a kept shell": "ip = get_ipython()\nip.run_line_magic('who', '')\n"
    "ip.run_line_magic('pwd', '')\nip.run_line_magic('precision', '3')\n",
}


@pytest.mark.parametrize("how", IPYTHON_SET_UP)
def test_a_notebook_setting_up_its_shell_is_not_flagged(how, tmp_path):
    from grader.sandbox import stage_submission
    text = "import numpy as np\n" + IPYTHON_SET_UP[how] + "x = np.zeros(3)\n"
    assert scan_source(text, "ex01_linear_model.py") == []
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ex01_linear_model.py").write_text(text)
    (tmp_path / "work").mkdir()
    review = []
    stage_submission(tmp_path / "sub", tmp_path / "work", [], review)
    assert review == []


@pytest.mark.parametrize("how", IPYTHON_REACHED)
def test_get_ipython_beyond_an_exported_notebooks_lines_is_flagged_on_its_line(how, tmp_path):
    from grader.sandbox import stage_submission
    text = "import numpy as np\nget_ipython().run_line_magic('matplotlib', 'inline')\n" + \
        IPYTHON_REACHED[how]
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ex01_linear_model.py").write_text(text)
    (tmp_path / "work").mkdir()
    review = []
    stage_submission(tmp_path / "sub", tmp_path / "work", [], review)
    flagged = [int(r.split("line ")[1].split(":")[0]) for r in review if "IPython" in r]
    assert flagged and 2 not in flagged and min(flagged) >= 3, review   # line 2: the export's


# a clean definition placed where it may not bind hides nothing: the autograd one before it is
# still read (round 13's F12, F13, F17: 36/36 unflagged): in a %%writefile helper (it binds in
# that module), after a statement of its cell that raises (the cell is skipped), as a call's
# value (a statement can be stopped at 5 s), behind a decorator that calls
_AUTOGRAD_G = "import torch\n\ndef _g(xs, ys, w):\n" \
    "    return float(torch.ops.aten.mse_loss_backward(torch.tensor(1.0), torch.tensor(w), " \
    "torch.tensor(0.0), 1))\n"      # a backward formula by name, out of the watch's sight
_CLEAN_G = "def _g(xs, ys, w):\n    return 2.0 * w\n"
_GRADIENT = "def gradient(xs, ys, w):\n    return _g(xs, ys, w)\n"
HIDDEN_REBINDINGS = {
    "in a helper module": [_AUTOGRAD_G, "%%writefile hp.py\n" + _CLEAN_G, _GRADIENT],
    "after a failing import": [_AUTOGRAD_G, "import not_installed_here\n" + _CLEAN_G, _GRADIENT],
    "after a name that may be unbound": [_AUTOGRAD_G, "x = y\n" + _CLEAN_G, _GRADIENT],
    "as a call's value": [_AUTOGRAD_G, "def _slow(f):\n    return f\n\n_g = _slow(lambda *a: 0.0)\n",
                          _GRADIENT],
    "behind a decorator": [_AUTOGRAD_G, "import functools\n\n@functools.lru_cache()\n" + _CLEAN_G,
                           _GRADIENT],
}


@pytest.mark.parametrize("how", HIDDEN_REBINDINGS)
def test_a_clean_def_that_may_not_bind_hides_no_autograd(how):
    found = scan_notebook(_notebook(*HIDDEN_REBINDINGS[how]), "ex02_gradient_descent.ipynb")
    assert any(f.what.startswith("a manual function") for f in found), found
    as_file = "\n\n".join(c for c in HIDDEN_REBINDINGS[how] if not c.startswith("%%"))
    if how in ("as a call's value", "behind a decorator"):       # the same in a .py file
        found = scan_source(as_file, "ex02_gradient_descent.py")
        assert any(f.what.startswith("a manual function") for f in found), found


def test_a_clean_def_certain_to_bind_replaces_the_warm_up():
    """The warm-up cell's autograd def, replaced by a plain def at the top of a later cell (or
    after other plain defs): what a check calls is the later one."""
    cells = [_AUTOGRAD_G, "K = 2.0\n\n" + _CLEAN_G, _GRADIENT]
    assert scan_notebook(_notebook(*cells), "ex02_gradient_descent.ipynb") == []
    assert scan_source("\n\n".join(cells), "ex02_gradient_descent.py") == []
