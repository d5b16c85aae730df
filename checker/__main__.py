"""`python -m checker` is the same as `check`."""

from checker.cli import run

if __name__ == "__main__":
    run()
