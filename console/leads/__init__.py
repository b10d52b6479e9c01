"""Electrode impedance and lead integrity: what must be known before current goes on."""
