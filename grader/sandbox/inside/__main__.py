"""The zygote's entry point: `python -m grader.sandbox.inside FD CONFIG`, started by
grader.sandbox.launcher, FD its end of a Unix socket, CONFIG what the self-test looks for (JSON)."""
import json
import sys

from grader.sandbox.inside.zygote import preload, serve

if __name__ == "__main__":
    config = json.loads(sys.argv[2]) if len(sys.argv) > 2 else None
    preload((config or {}).get("warm_optim", True))
    serve(int(sys.argv[1]), config)
