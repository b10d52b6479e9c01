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

WARNING_HIGH = ("#c62828", "white")  # IEC 60601-1-8: red for high priority
WARNING_MEDIUM = ("#ffd600", "black")  # yellow for medium
WARNING_LOW = ("#4dd0e1", "black")  # cyan for low
BASE_FONT_PT = 10  # the designed type size at 100 % zoom
FOCUS_RING = "#0d47a1"  # dark blue: unlike any state or warning colour, seen across a room
FOCUS_TINT = "#d6e6fb"  # and a pale blue fill inside it


def style_sheet(scale: float = 1.0) -> str:
    """The application's style sheet at ``scale`` (the zoom; 1.0 = as designed).

    Type sizes are in points and lengths in device-independent pixels, so the platform's
    own scaling applies to both; the zoom multiplies them on top of it.
    """

    def pt(size: float) -> str:
        return f"{size * scale:.1f}pt"

    def px(length: float) -> str:
        return f"{max(1, round(length * scale))}px"

    return f"""
QWidget {{ font-size: {pt(BASE_FONT_PT)}; }}
QPushButton#stopButton {{
    background: {STOP_RED}; color: white; font-size: {pt(20)}; font-weight: bold; border: none;
    border-radius: {px(8)}; padding: {px(8)} {px(28)}; min-height: {px(48)};
}}
QPushButton#stopButton:pressed {{ background: #8e0000; }}
QLabel#badge {{ color: white; font-weight: bold; padding: {px(2)} {px(8)};
               border-radius: {px(4)}; }}
QLabel#stateLabel {{ font-size: {pt(14)}; font-weight: bold; padding: {px(2)} {px(10)};
                    border-radius: {px(4)}; }}
QLabel#linkLost {{
    background: {STOP_RED}; color: white; font-size: {pt(13)}; font-weight: bold;
    padding: {px(6)};
}}
QLabel#warningHigh, QLabel#warningMedium, QLabel#warningLow {{
    font-weight: bold; padding: {px(2)} {px(8)}; border-radius: {px(4)};
}}
QLabel#warningHigh {{ background: {WARNING_HIGH[0]}; color: {WARNING_HIGH[1]}; }}
QLabel#warningMedium {{ background: {WARNING_MEDIUM[0]}; color: {WARNING_MEDIUM[1]};
                       border: 1px solid #8d6e00; }}
QLabel#warningLow {{ background: {WARNING_LOW[0]}; color: {WARNING_LOW[1]}; }}
QLabel#findingBlock {{ color: {BLOCK_RED}; font-weight: bold; }}
QLabel#findingConfirm {{ color: {CONFIRM_AMBER}; font-weight: bold; }}
QLabel#findingInfo {{ color: {INFO_GREY}; }}
*[changed="true"] {{ background: {CHANGED_BG}; }}
{focus_rings(scale)}"""


def focus_rings(scale: float = 1.0) -> str:
    """A thick ring on whatever has keyboard focus, for buttons, check boxes and fields.

    The ring takes the place of part of the resting border and padding, so gaining
    focus never moves or resizes anything. STOP never takes focus (a click is enough).
    """
    ring, rest = max(3, round(3 * scale)), max(1, round(scale))
    grow = ring - rest  # what the resting padding gives back to the ring
    pad = max(1, round(scale))
    side = max(6, round(8 * scale))
    return f"""
QPushButton {{
    background: #f5f7f8; border: {rest}px solid #78909c; border-radius: 4px;
    padding: {pad + grow}px {side + grow}px;
}}
QPushButton:hover {{ background: #e3eaee; }}
QPushButton:pressed {{ background: #cfd8dc; }}
QPushButton:disabled {{ color: #8a9499; background: #eceff1; border-color: #b0bec5; }}
QPushButton:focus {{ border: {ring}px solid {FOCUS_RING}; padding: {pad}px {side}px;
                     background: {FOCUS_TINT}; }}
QCheckBox, QRadioButton {{ border: {ring}px solid transparent; border-radius: 4px; }}
QCheckBox:focus, QRadioButton:focus {{ border-color: {FOCUS_RING}; background: {FOCUS_TINT}; }}
QLineEdit, QSpinBox, QDoubleSpinBox, QComboBox {{
    border: {rest}px solid #78909c; border-radius: 3px; padding: {grow}px;
}}
QLineEdit:focus, QSpinBox:focus, QDoubleSpinBox:focus, QComboBox:focus {{
    border: {ring}px solid {FOCUS_RING}; padding: 0px;
}}
"""


STYLE_SHEET = style_sheet()

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
