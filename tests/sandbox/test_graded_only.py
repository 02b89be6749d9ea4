"""A grading reads and runs the exercises it grades, and those their files import, nothing else:
the other exercise files of the submission are neither reviewed nor staged (grading ex02 alone
does not pay for reading eleven more files, nor flags what ex02 never runs), while a file that
a graded one imports, through her own modules too, is staged and reviewed with it."""
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.ex02

EX02 = (ROOT / "solutions" / "ex02_gradient_descent.py").read_text()
EX05 = (ROOT / "solutions" / "ex05_manual_regression.py").read_text()
TAMPERS = "\n\nimport sys\n_FRAME = sys._getframe()\n"


def _files(ex02_extra="", with_utils=False):
    files = {"ex02_gradient_descent.py": EX02 + ex02_extra,
             "ex05_manual_regression.py": EX05 + TAMPERS}
    if with_utils:
        files["utils.py"] = "from ex05_manual_regression import mse_loss\n"
    return files


def test_a_file_the_graded_exercise_never_runs_is_not_read(grade):
    result = grade("ex02", files=_files(), exercises=["ex02"], device="cpu")
    assert result.score == result.max_score > 0
    assert not result.tampering, result.tampering


@pytest.mark.parametrize("how", ["direct", "through-utils"])
def test_a_file_the_graded_exercise_imports_is_read_with_it(grade, how):
    extra = "\n\nfrom ex05_manual_regression import mse_loss as _m\n" if how == "direct" \
        else "\n\nimport utils as _u\n"
    result = grade("ex02", files=_files(extra, how != "direct"), exercises=["ex02"],
                   device="cpu")
    assert any("ex05_manual_regression.py" in t and "_getframe" in t
               for t in result.tampering), result.tampering


def test_grading_both_reads_both(grade):
    result = grade("ex02", files=_files(), exercises=["ex02", "ex05"], device="cpu")
    assert any("ex05_manual_regression.py" in t for t in result.tampering), result.tampering
