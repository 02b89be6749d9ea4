"""The demo's course outputs beyond the score table (grader.instructor.demo): ex02 written four
honest ways plus one renamed copy, the similarity report that finds the copy, and the grades
filled into a Canvas gradebook export and a Moodle import file.

ex02 in the demo class:
  ada   the reference
  cleo  her own way (plain Python loops)
  dev   another way (sums over pairs), with his planted mistake on top
  eve   another way (NumPy dot products)
  gus   another way, in his notebook's answer cells
  finn  cleo's code with every name and literal changed and comments added: the copy the
        similarity report ranks first (demo_class/feedback/similarity.html)
Every honest way is correct: ex02's points are the same as with the reference.
"""
from __future__ import annotations

import csv
import textwrap
from pathlib import Path

SIMILAR_EX = "ex02"
FUNCTIONS = ("cost", "gradient", "gradient_descent", "sample_gradient",
             "stochastic_gradient_descent")

# ex02 written differently, each correct: {student: {function: its source}}
EX02_WAYS = {
    "cleo": {
        "cost": '''
            def cost(xs, ys, w):
                x, y = _as_array(xs).tolist(), _as_array(ys).tolist()
                total = 0.0
                for xi, yi in zip(x, y):
                    total += (xi * w - yi) ** 2
                return total / len(x)
            ''',
        "gradient": '''
            def gradient(xs, ys, w):
                x, y = _as_array(xs).tolist(), _as_array(ys).tolist()
                total = 0.0
                for xi, yi in zip(x, y):
                    total += 2 * xi * (xi * w - yi)
                return total / len(x)
            ''',
        "gradient_descent": '''
            def gradient_descent(xs, ys, w0, lr, epochs):
                history = []
                w = float(w0)
                while len(history) < epochs:
                    history.append(cost(xs, ys, w))
                    w -= lr * gradient(xs, ys, w)
                return w, history
            ''',
        "sample_gradient": '''
            def sample_gradient(x, y, w):
                return float(2.0 * x * (x * w - y))
            ''',
        "stochastic_gradient_descent": '''
            def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
                pairs = list(zip(_as_array(xs).tolist(), _as_array(ys).tolist()))
                w, losses = float(w0), []
                for _ in range(epochs):
                    last = 0.0
                    for xi, yi in pairs:
                        w -= lr * sample_gradient(xi, yi, w)
                        last = (xi * w - yi) ** 2
                    losses.append(last)
                return w, losses
            ''',
    },
    "dev": {
        "cost": '''
            def cost(xs, ys, w):
                pts = list(zip(_as_array(xs).tolist(), _as_array(ys).tolist()))
                return sum((a * w - b) ** 2 for a, b in pts) / len(pts)
            ''',
        "gradient": '''
            def gradient(xs, ys, w):
                pts = list(zip(_as_array(xs).tolist(), _as_array(ys).tolist()))
                return sum(2 * a * (a * w - b) for a, b in pts) / len(pts)
            ''',
        "gradient_descent": '''
            def gradient_descent(xs, ys, w0, lr, epochs):
                w, costs = float(w0), []
                for step in range(epochs):
                    c, g = cost(xs, ys, w), gradient(xs, ys, w)
                    costs.append(c)
                    w = w - lr * g
                return w, costs
            ''',
        "sample_gradient": '''
            def sample_gradient(x, y, w):
                error = x * w - y
                return float(error * x * 2)
            ''',
        "stochastic_gradient_descent": '''
            def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
                data = list(zip(_as_array(xs).tolist(), _as_array(ys).tolist()))

                def one_epoch(w):
                    for a, b in data:
                        w = w - lr * sample_gradient(a, b, w)
                    return w

                w, losses = float(w0), []
                for _ in range(epochs):
                    w = one_epoch(w)
                    a, b = data[-1] if data else (0.0, 0.0)
                    losses.append(float((a * w - b) ** 2))
                return w, losses
            ''',
    },
    "eve": {
        "cost": '''
            def cost(xs, ys, w):
                e = _as_array(xs) * w - _as_array(ys)
                return float(e @ e / e.size)
            ''',
        "gradient": '''
            def gradient(xs, ys, w):
                x = _as_array(xs)
                r = x * w - _as_array(ys)
                return float(2.0 * (x @ r) / x.size)
            ''',
        "gradient_descent": '''
            def gradient_descent(xs, ys, w0, lr, epochs):
                costs = [0.0] * epochs
                w = float(w0)
                for k in range(epochs):
                    costs[k] = cost(xs, ys, w)
                    w = w - lr * gradient(xs, ys, w)
                return w, costs
            ''',
        "sample_gradient": '''
            def sample_gradient(x, y, w):
                residual = x * w - y
                return float(2 * x * residual)
            ''',
        "stochastic_gradient_descent": '''
            def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
                x, y = _as_array(xs), _as_array(ys)
                w = float(w0)
                losses = []
                for epoch in range(epochs):
                    for i in range(len(x)):
                        w = w - lr * sample_gradient(float(x[i]), float(y[i]), w)
                    losses.append(float((x[-1] * w - y[-1]) ** 2) if len(x) else 0.0)
                return w, losses
            ''',
    },
    "gus": {
        "cost": '''
            def cost(xs, ys, w):
                x, y = _as_array(xs), _as_array(ys)
                return float(np.average(np.square(np.subtract(np.multiply(x, w), y))))
            ''',
        "gradient": '''
            def gradient(xs, ys, w):
                x, y = _as_array(xs), _as_array(ys)
                return float(np.dot(2 * x, x * w - y) / len(x))
            ''',
        "gradient_descent": '''
            def gradient_descent(xs, ys, w0, lr, epochs):
                w = float(w0)
                trace = []
                for _ in range(int(epochs)):
                    trace += [cost(xs, ys, w)]
                    step = gradient(xs, ys, w)
                    w = w - step * lr
                return w, trace
            ''',
        "sample_gradient": '''
            def sample_gradient(x, y, w):
                d = 2 * x
                return float(d * (x * w - y))
            ''',
        "stochastic_gradient_descent": '''
            def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
                x, y = _as_array(xs), _as_array(ys)
                w, record = float(w0), []
                epoch = 0
                while epoch < epochs:
                    for k, xk in enumerate(x):
                        w = w - lr * sample_gradient(float(xk), float(y[k]), w)
                    record.append(float((x[-1] * w - y[-1]) ** 2) if len(x) else 0.0)
                    epoch += 1
                return w, record
            ''',
    },
}

# finn's ex02: cleo's, every name and literal changed, comments added, the order kept
COPIER, COPIED = "finn", "cleo"
RENAMED_COPY = '''
    def cost(xs, ys, w):
        # mean squared error
        inputs, targets = _as_array(xs).tolist(), _as_array(ys).tolist()
        acc = 0
        for a, b in zip(inputs, targets):
            acc += (a * w - b) ** 2   # squared error of one sample
        return acc / len(inputs)


    def gradient(xs, ys, w):
        # derivative of the cost
        inputs, targets = _as_array(xs).tolist(), _as_array(ys).tolist()
        acc = 0
        for a, b in zip(inputs, targets):
            acc += 2.0 * a * (a * w - b)
        return acc / len(inputs)


    def gradient_descent(xs, ys, w0, lr, epochs):
        # full batch: record the cost, then step
        seen = []
        weight = float(w0)
        while len(seen) < epochs:
            seen.append(cost(xs, ys, weight))
            weight -= lr * gradient(xs, ys, weight)
        return weight, seen


    def sample_gradient(x, y, w):
        return float(2 * x * (x * w - y))   # one sample's gradient


    def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
        # one update per sample
        samples = list(zip(_as_array(xs).tolist(), _as_array(ys).tolist()))
        weight, history = float(w0), []
        for _epoch in range(epochs):
            final = 0
            for a, b in samples:
                weight -= lr * sample_gradient(a, b, weight)
                final = (a * weight - b) ** 2
            history.append(final)
        return weight, history
    '''


def _header(reference: str) -> str:
    """The reference's module docstring, imports and helper: everything before `def cost(`."""
    return reference[:reference.index("\ndef cost(") + 1]


def ex02_text(student: str, reference: str) -> str:
    """The .py file of `student`'s ex02: the reference's header, then her own functions (or the
    planted copy's)."""
    if student == COPIER:
        body = textwrap.dedent(RENAMED_COPY).strip("\n")
    else:
        body = "\n\n\n".join(textwrap.dedent(EX02_WAYS[student][f]).strip("\n")
                             for f in FUNCTIONS)
    return _header(reference) + "\n" + body + "\n"


def ex02_notebook(nb: dict, student: str) -> dict:
    """`nb` (ex02's notebook) with each answer cell's function replaced by `student`'s own."""
    for cell in nb.get("cells", []):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        name = grade_id[len("ex02_"):] if grade_id.startswith("ex02_") else ""
        if cell.get("cell_type") == "code" and name in FUNCTIONS:
            cell["source"] = textwrap.dedent(EX02_WAYS[student][name]).strip("\n") + "\n"
    return nb


# ----------------------------------------------------------------------------------------------
# the similarity report

def similarity_report(out: Path) -> tuple:
    """Rank ex02's pairs in out/class, write out/feedback/similarity.html (before the class is
    graded, so the summary page links it); (its path, the pairs, best first)."""
    from grader.classroom.similarity import PAGE, similarity, write_report
    report = similarity(out / "class", exercises=[SIMILAR_EX])
    page = write_report(report, out / "feedback" / PAGE, refuse_in=out / "class")
    return page, report.exercises[SIMILAR_EX]


def print_similarity(page: Path, pairs) -> None:
    if not pairs:
        print(f"similarity of {SIMILAR_EX}: no pair shares code; report: {page}")
        return
    names = [sorted((p.a.student, p.b.student)) for p in pairs]
    copy = sorted((COPIER, COPIED))
    said = (f": {COPIER}'s planted renamed copy of {COPIED}'s, ranked first"
            if names[0] == copy else
            f" (the planted copy, {COPIER} of {COPIED}, ranks {names.index(copy) + 1})"
            if copy in names else "")
    print(f"similarity of {SIMILAR_EX}: the pair most alike is {names[0][0]} and "
          f"{names[0][1]} ({pairs[0].score:.0%} shared){said}")
    print(f"similarity report: {page}")


# ----------------------------------------------------------------------------------------------
# LMS exports

# the demo's students as a Canvas course lists them: (name, Canvas ID, SIS User ID, section)
PEOPLE = {"ada": ("Lovelace, Ada", 2001, "S1815"), "ben": ("Franklin, Ben", 2002, "S1706"),
          "cleo": ("Patra, Cleo", 2003, "S0069"), "dev": ("Patel, Dev", 2004, "S2001"),
          "eve": ("Curie, Eve", 2005, "S1904"), "finn": ("Balor, Finn", 2006, "S1990"),
          "gus": ("Grissom, Gus", 2007, "S1926")}
CANVAS_FIRST = 4100    # the Canvas ids of the course's assignments: 4101, 4102, ...


def canvas_roster(path: Path, students, assignments) -> Path:
    """Write the gradebook CSV Canvas exports for the demo course (Grades > Export): the
    identity columns, one `name (id)` column per assignment, the Points Possible row, every
    grade still blank, and the read-only total Canvas adds."""
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section"] +
                   [f"{a} ({CANVAS_FIRST + i})" for i, a in enumerate(assignments, 1)] +
                   ["Current Score"])
        w.writerow(["    Points Possible", "", "", "", ""] + [""] * len(assignments) +
                   ["(read only)"])
        for s in students:
            name, canvas_id, sis = PEOPLE.get(s, (s, 2100 + len(s), ""))
            w.writerow([name, canvas_id, sis, f"{s}@uni.example", "Section 1"] +
                       [""] * len(assignments) + [""])
    return path


def lms_exports(book, course, out: Path) -> dict:
    """Write out/canvas-gradebook-export.csv (what Canvas would export), fill it in as
    out/canvas-import.csv and write out/moodle-import.csv; {what: (path, Result)}."""
    from grader.classroom.lms import export_canvas, export_moodle
    roster = canvas_roster(out / "canvas-gradebook-export.csv", book.students(),
                           [a.name for a in course.assignments])
    return {"canvas": (out / "canvas-import.csv",
                       export_canvas(book, roster, out / "canvas-import.csv", course=course)),
            "moodle": (out / "moodle-import.csv",
                       export_moodle(book, out / "moodle-import.csv", course=course)),
            "roster": (roster, None)}


def print_lms(done: dict) -> None:
    from grader.engine.report import count
    roster = done["roster"][0]
    for lms, title in (("canvas", "Canvas"), ("moodle", "Moodle")):
        path, result = done[lms]
        missing = f"; not matched: {', '.join(result.unmatched)}" if result.unmatched else ""
        source = f" (from Canvas's gradebook export {roster})" if lms == "canvas" else ""
        print(f"{title} grade import: {path}, {count(result.written, 'student')}{source}"
              f"{missing}")
