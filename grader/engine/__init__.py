"""The engine: grading one submission on the trusted side: the request and the result, the
pytest session of the checks, the runner, the text renderings, the comparisons, the
references and the review of a submission's source. It runs none of the student's code."""
