"""Benchmarks run as commands (never as timed tests): medians and ratios to a baseline."""
