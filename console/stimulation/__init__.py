"""Stimulation at the console: test stimulation sessions and STOP."""
