"""Outcomes and adverse events: what NICE IPG739 asks every clinic to audit and register.

Pure values and rules (timepoints, scoring, responders, event codes); the clinical record
stores them, the command line and the window enter and show them.
"""
