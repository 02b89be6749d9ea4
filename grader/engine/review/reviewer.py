"""The review of one file (_Review): its state, and the two passes. Pass 1 (binding,
flows) binds names to what they may hold; pass 2 (checks and the modules by family of finding)
applies the rules. Each family is a mixin in its own module, joined here."""
from __future__ import annotations

from grader.engine.review.binding import _Binding, _Scope
from grader.engine.review.by_hand import _ByHand
from grader.engine.review.checks import _Checks
from grader.engine.review.code_strings import _CodeStrings
from grader.engine.review.descriptors import _Descriptors
from grader.engine.review.flows import _Flows
from grader.engine.review.import_time import _ImportTime
from grader.engine.review.lookups import _Lookups
from grader.engine.review.main_block import _MainBlock
from grader.engine.review.manual import _Manual
from grader.engine.review.origins import _Origins
from grader.engine.review.outside import _Outside
from grader.engine.review.paths import _Paths
from grader.engine.review.values import _Values


class _Review(_Binding, _Flows, _Origins, _Values, _Checks, _MainBlock, _CodeStrings, _Lookups,
              _Paths, _Descriptors, _Manual, _ByHand, _ImportTime, _Outside):
    """The review of one file: pass 1 binds on construction, run() gives the findings."""

    def __init__(self, file, trees, doctests=False, package=""):
        self.file = file
        self.package = package   # of the student's own this file lies in (mypkg), or ''

        self.trees = trees   # (where, tree, line offset) of each unit, as given
        self.module = _Scope("module", None)
        self.scopes = [self.module]
        self.visits = []     # (node, scope, parent, where, line offset), every node once
        self.scope_of = {}   # id(node) -> the scope it is evaluated in
        self.returns = {}    # id(function or lambda) -> [(returned or yielded value, scope)]
        self.params = {}     # id(function or lambda) -> _Params
        self.class_scopes = {}  # id(class) -> its scope
        self.attrs = {}      # attribute name -> [entry]: obj.name = value, class bodies
        self.found = []
        self.cuts = {}       # limit the review reached -> the node there (see run())
        self._origins, self._name_origins, self._attr_origins = {}, {}, {}
        self._fold_failed, self._name_values = set(), {}
        self._pools, self._pool_origins, self._callee_cache = {}, {}, None
        self._returned = {}
        self._fold_budget = 100_000     # elements of comprehensions folded, in all
        self._read = set()              # nodes whose string was read as part of a larger one
        self._parents, self._annotation_trees = {}, set()
        # id(node) -> (in a `__main__` block, the call whose code string it is part of)
        self.tags = {}
        self._runners, self._code_strings = {}, {}
        for where, tree, offset in trees:
            self._bind_tree(tree, where, offset)
        if doctests:
            self._bind_doctest_examples()
        self._bind_annotations()
        self._move_declared()
        self._follow_flows()
        start = len(self.visits)
        self._bind_code_strings()      # after the flows: code given through a parameter
        self._move_declared()
        self._follow_flows(start)
