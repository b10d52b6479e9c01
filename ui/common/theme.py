"""Colours, type sizes and the style sheet: calm, high contrast, never colour alone."""

from __future__ import annotations

STOP_RED = "#c62828"
BLOCK_RED = "#b71c1c"
CONFIRM_AMBER = "#b26a00"
INFO_GREY = "#455a64"
OK_GREEN = "#2e7d32"
CATHODE_BLUE = "#1565c0"
ANODE_RED = "#c62828"
OFF_GREY = "#9e9e9e"
DEMO_PURPLE = "#6a1b9a"
CHANGED_BG = "#fff3cd"

STYLE_SHEET = f"""
QWidget {{ font-size: 10pt; }}
QPushButton#stopButton {{
    background: {STOP_RED}; color: white; font-size: 20pt; font-weight: bold;
    border-radius: 8px; padding: 8px 28px; min-height: 48px;
}}
QPushButton#stopButton:pressed {{ background: #8e0000; }}
QLabel#badge {{ color: white; font-weight: bold; padding: 2px 8px; border-radius: 4px; }}
QLabel#stateLabel {{ font-size: 14pt; font-weight: bold; padding: 2px 10px; border-radius: 4px; }}
QLabel#linkLost {{
    background: {STOP_RED}; color: white; font-size: 13pt; font-weight: bold; padding: 6px;
}}
QLabel#findingBlock {{ color: {BLOCK_RED}; font-weight: bold; }}
QLabel#findingConfirm {{ color: {CONFIRM_AMBER}; font-weight: bold; }}
QLabel#findingInfo {{ color: {INFO_GREY}; }}
*[changed="true"] {{ background: {CHANGED_BG}; }}
"""

STATE_COLOURS = {
    "IDLE": ("#e8f5e9", OK_GREEN),
    "THERAPY": ("#fff3e0", "#e65100"),
    "TEST_STIM": ("#ffebee", STOP_RED),
    "MEASURING": ("#e3f2fd", CATHODE_BLUE),
    "DISCONNECTED": ("#eceff1", INFO_GREY),
}

STATE_TEXT = {
    "IDLE": "IDLE — not stimulating",
    "THERAPY": "THERAPY SESSION RUNNING",
    "TEST_STIM": "TEST STIMULATION ON",
    "MEASURING": "MEASURING IMPEDANCE",
    "DISCONNECTED": "NOT CONNECTED",
}
