"""Help: the user guide (F1), its keyboard keys, and About.

Both windows are non-modal: the clinician can read the guide beside the window they are
working in, and STOP (the header's button, Esc from any focus, Space while stimulating)
acts as everywhere else. The guide ships in ``resources/guide/``; About says what is
running (versions, the connected device), which safety profile is in force with its key
limits, and where the clinical record is (never its password).
"""

from __future__ import annotations

import html
import platform
from importlib import metadata, resources

import PySide6
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from console.safety import SafetyProfile, load_profile
from ui.shell.context import WindowContext

GUIDE_RESOURCE = "guide/guide.html"
DISTRIBUTION = "multifidus-console"


def guide_html() -> str:
    """The user guide shipped with the console."""
    return resources.files("resources").joinpath(GUIDE_RESOURCE).read_text("utf-8")


def console_version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown (not installed as a package)"


class TextWindow(QDialog):
    """A non-modal window of rich text with a Close button."""

    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{title} — Multifidus Console")
        self.setModal(False)
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)  # the guide links to its own sections only
        self.browser.anchorClicked.connect(lambda url: self.browser.scrollToAnchor(url.fragment()))
        self.browser.setHtml(text)
        layout.addWidget(self.browser, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)

    def show_at(self, anchor: str | None = None) -> None:
        """Show (or raise) the window, at ``anchor`` if given, else where it was."""
        self.show()
        self.raise_()
        self.activateWindow()
        if anchor:
            self.browser.scrollToAnchor(anchor)


def guide_window(parent: QWidget | None = None) -> TextWindow:
    window = TextWindow("User guide", guide_html(), parent)
    window.resize(760, 640)
    return window


def _profile_source(profile: SafetyProfile) -> str:
    return ("shipped with the console (resources/safety_profile.toml)"
            if profile == load_profile() else "the clinic's own profile file")


def profile_lines(profile: SafetyProfile) -> list[str]:
    """The profile's key limits, in clinical units."""
    return [
        f"Amplitude above {profile.soft_max_amplitude_ma} mA needs confirmation",
        f"Test stimulation starts at or below {profile.test_start_amplitude_ma} mA, rises by "
        f"at most {profile.titration_step_ma} mA, at least "
        f"{profile.titration_min_interval_s} s apart",
        f"Impedance: shorted below {profile.impedance_shorted_below_ohm} Ω, usual "
        f"{profile.impedance_normal_min_ohm}–{profile.impedance_normal_max_ohm} Ω, open above "
        f"{profile.impedance_open_above_ohm} Ω",
        f"Charge density above {profile.density_confirm_uc_cm2} µC/cm² needs confirmation; "
        f"Shannon k at or above {profile.shannon_k_block} is blocked",
    ]


def record_location(context: WindowContext) -> str:
    """Where the record is, never its password; the database is not contacted for it."""
    if context.record is None:
        return "no clinical record (engineering bench work)"
    return context.record.where


def about_html(context: WindowContext) -> str:
    device = context.model.device
    if device is None:
        device_text = "no device connected"
    else:
        identity = device.identity
        device_text = (f"{html.escape(identity.model)}, serial {html.escape(identity.serial)}, "
                       f"firmware {html.escape(identity.firmware)}, protocol version "
                       f"{identity.protocol}")
    profile = context.model.session.profile
    limits = "".join(f"<li>{html.escape(line)}</li>" for line in profile_lines(profile))
    return (
        "<h2>Multifidus Console</h2>"
        f"<p>Console version <b>{html.escape(console_version())}</b><br>"
        f"Python {platform.python_version()} · Qt {qVersion()} · "
        f"PySide6 {PySide6.__version__}</p>"
        f"<p><b>Connected device:</b> {device_text}</p>"
        f"<p><b>Safety profile in force:</b> “{html.escape(profile.name)}”, "
        f"{_profile_source(profile)}</p><ul>{limits}</ul>"
        f"<p><b>Clinical record:</b> {html.escape(record_location(context))}</p>")


def about_window(context: WindowContext, parent: QWidget | None = None) -> TextWindow:
    window = TextWindow("About", about_html(context), parent)
    window.resize(620, 460)
    return window
