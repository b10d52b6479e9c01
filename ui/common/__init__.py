"""Widgets and styling shared by every feature of the window."""
