"""What runs inside the worker process: the zygote, the request loop and the confinement.

Nothing here imports the trusted side (the launcher, the view, the layers, staging, the runner,
the checks, the references): only the standard library, torch, NumPy, grader.sandbox.protocol
(inert frames), grader.sandbox.device and grader.sandbox.inside.probes. tests/sandbox/test_sandbox_layout.py checks it.
"""
