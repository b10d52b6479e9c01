"""Therapy programs: the model in clinical units, program files, the preview, what the
screen shows, and the one sequence that writes a program to the device and verifies it."""
