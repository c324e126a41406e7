"""Volna's benchmarks (DESIGN.md §6): each measures against a baseline in the same run on the same machine.

Run them all with ``make bench`` (``bench/run_all.py``); results and method are in docs/benchmarks.md.
"""
