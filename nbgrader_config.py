"""nbgrader's configuration for the exercise notebooks (read by every `nbgrader` command run from
this folder, or from a course folder holding a copy of this file).

One nbgrader assignment per exercise: `python -m grader build` writes
source_notebooks/ex02_gradient_descent/ex02_gradient_descent.ipynb, and

    nbgrader generate_assignment ex02_gradient_descent     # release/ex02_gradient_descent/
    nbgrader autograde ex02_gradient_descent               # submitted/*/ex02_... -> autograded/
    nbgrader generate_feedback ex02_gradient_descent       # feedback/*/ex02_.../*.html

The check cells call grader.notebook.run_checks, so the kernel that nbgrader starts must be able
to import this package (`pip install -e .` in the instructor's environment).
"""
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

c = get_config()  # noqa: F821 - provided by nbgrader when it reads this file

c.CourseDirectory.course_id = "torchdrills"
c.CourseDirectory.source_directory = "source_notebooks"

# What replaces a solution region in the released notebook: the same NotImplementedError the
# stub files raise, so the grader reports the function as "not started".
c.ClearSolutions.code_stub = {
    "python": '# YOUR CODE HERE\n'
              'raise NotImplementedError("not started: write your code here, then run the '
              'check cell below")'}

# The check cells start a grading process on their first run (a few seconds); a student's
# training loop may take a while too.
c.Execute.timeout = 300

# Feedback shows what each check cell printed, never the hidden checks' code.
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
