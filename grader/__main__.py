from grader.cli import run

if __name__ == "__main__":   # not when a spawned grading process imports this module again
    run()
