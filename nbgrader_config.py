"""nbgrader's configuration for the exercise notebooks (read by every `nbgrader` command run from
this folder, or from a course folder holding a copy of this file).

One nbgrader assignment per exercise: `python -m grader build` writes
source_notebooks/ex02_gradient_descent/ex02_gradient_descent.ipynb, and

    python -m grader nbgrader-kernel install               # once: the sandboxed kernel
    nbgrader generate_assignment ex02_gradient_descent     # release/ex02_gradient_descent/
    nbgrader autograde ex02_gradient_descent               # submitted/*/ex02_... -> autograded/
    nbgrader generate_feedback ex02_gradient_descent       # feedback/*/ex02_.../*.html

Autograde runs every notebook in the kernel "torchdrills-sandbox" (grader.instructor.nbkernel): the
student's cells run in the grader's sandbox (no reference, no hidden check, no environment of
yours, no network, no file of yours), never in a plain kernel. The check cells' scores do not
come from that kernel: GradeCheckCells grades the notebook itself on the trusted side, as
`python -m grader grade` does, and writes each check cell's outcome (grader.instructor.autograde).
Where bubblewrap cannot start, the kernel refuses (TORCHDRILLS_KERNEL_UNSANDBOXED=1 runs it
without the sandbox; the scores still come from GradeCheckCells). Where the grader cannot be
imported, nbgrader stops with one line rather than run without this file.
"""
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

try:
    from grader.instructor.autograde import with_check_cells
    from grader.instructor.nbkernel import KERNEL_NAME
    from grader.instructor.overwrite import with_quiet_hidden_tests
except ImportError as exc:  # fail closed: nbgrader would go on without this file, plain kernel
    raise SystemExit(f"nbgrader_config.py: cannot import the grader ({exc}); run nbgrader in "
                     f"the environment where the package is installed (pip install -e .)")

c = get_config()  # noqa: F821 - provided by nbgrader when it reads this file

c.CourseDirectory.course_id = "torchdrills"
c.CourseDirectory.source_directory = "source_notebooks"

# What replaces a solution region in the released notebook: the same NotImplementedError the
# stub files raise, so the grader reports the function as "not started".
c.ClearSolutions.code_stub = {
    "python": '# YOUR CODE HERE\n'
              'raise NotImplementedError("not started: write your code here, then run the '
              'check cell below")'}

# Autograde: the student's cells run in the sandboxed kernel, whatever kernel the notebook
# names; the check cells are then graded by the grader itself, before the grades are saved.
c.Execute.kernel_name = KERNEL_NAME
c.Autograde.autograde_preprocessors = with_check_cells()
# The check cells' hidden checks are put back without a "checksum has changed!" warning
# for each untouched cell (grader.instructor.overwrite); an edited check cell is still named.
c.Autograde.sanitize_preprocessors = with_quiet_hidden_tests()

# A student's training loop may take a while.
c.Execute.timeout = 300

# Feedback shows what each check cell printed, never the hidden checks' code.
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
