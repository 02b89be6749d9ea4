# Moved to grader.sandbox.protocol; this stays until grader/checks imports the new path.
from grader.sandbox.protocol import *  # noqa: F401,F403
