"""The state banner of the stimulation tabs: red while the device stimulates, green when
not, always with the words, so the colour is never alone."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from ui.common.theme import OK_GREEN, STOP_RED

NOT_STIMULATING = "NOT STIMULATING"


def show_stimulating(banner: QLabel, text: str) -> None:
    banner.setText(text)
    banner.setStyleSheet(f"background: #ffebee; color: {STOP_RED};")


def show_not_stimulating(banner: QLabel) -> None:
    banner.setText(NOT_STIMULATING)
    banner.setStyleSheet(f"background: #e8f5e9; color: {OK_GREEN};")
