"""A whole class: the class folder's entries, the class run (local processes or a Dask
cluster), the gradebook, the feedback pages and the class summary. Never in the student kit.

    run           grade_class: the run itself, and the recording of each result
    entries       the class folder's entries (which are students'), Outputs, gather
    filing        the names entries are filed under (none reads like another)
    roster        who is who from run to run (a name stays with its entry)
    outputs       the gradebook, pages' folder and CSV a run writes: never a student's entry
    process       THE grading process: a local job's and a Dask worker's
    pool          the local grading processes;  cluster  the same on Dask (packing: a
                  submission as bytes);  progress  the bar
    gradebook     the Gradebook and the grader's version; gradebook_files (what a path holds,
                  where a gradebook is kept), gradebook_schema, gradebook_read (the table, CSV)
    feedback, summary   the students' pages and the class's
"""
