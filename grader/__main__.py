try:
    from grader.cli import run
except KeyboardInterrupt:     # Ctrl-C while Python still reads the grader: one line, no traceback
    import sys
    print("interrupted", file=sys.stderr)
    raise SystemExit(130) from None

if __name__ == "__main__":   # not when a spawned grading process imports this module again
    run()
