"""Therapy use from the device log: sessions, minutes and adherence (docs/usage.md)."""
