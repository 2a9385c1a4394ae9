# A wasi:cli command in Python, built by componentize-py: prints a greeting.
import sys

from wit_world import exports


class Run(exports.Run):
    def run(self) -> None:
        print("hello from Python")
        sys.stdout.flush()
