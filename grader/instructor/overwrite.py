"""nbgrader autograde's OverwriteCells, without its false alarm on every check cell of an untouched
release.

    # nbgrader_config.py
    from grader.instructor.overwrite import with_quiet_hidden_tests
    c.Autograde.sanitize_preprocessors = with_quiet_hidden_tests()

`nbgrader generate_assignment` saves each check cell to the gradebook (source and checksum) before
it removes the cell's hidden-checks region (`### BEGIN HIDDEN TESTS` ... `### END HIDDEN TESTS`),
so the released cell never has the saved checksum. At autograde, OverwriteCells puts the saved
source back (the hidden checks run again), and logs for every check cell of every notebook:

    Attribute 'checksum' for cell test_ex01_forward has changed! (should be: eef37..., got: c4577...)

This OverwriteCells does the same, but logs that line only when the cell differs from what the
release held: a student who edited a check cell is still named; one who left it alone is not.
"""
from __future__ import annotations

import copy

from nbgrader import utils
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearHiddenTests
from nbgrader.preprocessors import OverwriteCells as NbgraderOverwriteCells


class OverwriteCells(NbgraderOverwriteCells):
    """nbgrader's OverwriteCells; a checksum change that is only the removed hidden checks is
    not reported (the cell is overwritten from the gradebook all the same)."""

    def preprocess_cell(self, cell, resources, cell_index):
        self._cell = cell
        return super().preprocess_cell(cell, resources, cell_index)

    def released_checksum(self, grade_id: str) -> str | None:
        """The checksum of the cell as the release held it: the saved source without its hidden
        checks, with the handed-in cell's (already restored) metadata."""
        try:
            saved = self.gradebook.find_source_cell(grade_id, self.notebook_id,
                                                    self.assignment_id)
        except MissingEntry:
            return None
        released = copy.deepcopy(self._cell)
        released.source = saved.source
        if not ClearHiddenTests(config=self.config)._remove_hidden_test_region(released):
            return None
        return utils.compute_checksum(released)

    def report_change(self, name, attr, old, new):
        if attr == "checksum" and new == self.released_checksum(name):
            self.log.debug("cell %s is as released; its hidden checks are put back", name)
            return
        super().report_change(name, attr, old, new)


def with_quiet_hidden_tests(preprocessors=None) -> list:
    """nbgrader's autograde sanitize preprocessors (or these), with this OverwriteCells in place
    of nbgrader's."""
    from nbgrader.converters import Autograde
    if preprocessors is None:
        preprocessors = Autograde.class_traits()["sanitize_preprocessors"].default()
    return [OverwriteCells if p is NbgraderOverwriteCells else p for p in preprocessors]
