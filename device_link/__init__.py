"""MFL/1 device link: codec, transport, client and emulator.

This package knows nothing of the console or the window; both build on it.
"""
