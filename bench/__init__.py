"""Benchmarks run by hand (``python -m bench.run``): scale corpora, latency, memory, reload, start-up.

Not part of the test suite: timings depend on the machine and its load.
"""
