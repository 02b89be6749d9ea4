"""Start a subprocess in a new session (out of the worker's process group) that would run
for days, and a forked child that spins; the functions themselves are right."""
import os
import subprocess

subprocess.Popen(["sleep", "__MARKER__"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    while True:
        pass
