"""A whole class: the class folder's entries, the class run (local processes or a Dask
cluster), the gradebook, the feedback pages and the class summary. Never in the student kit."""
