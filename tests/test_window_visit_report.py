"""Patient menu → Visit report… on the demo: both PDFs written off the GUI thread, where the
save dialog said, and offered to be opened in the system's viewer."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QMessageBox

from console.report.marking import DEMO_MARK
from ui.shell import visit_report
from ui.shell.visit_report import OPEN_BOTH, handout_path


def _text(path: Path) -> str:
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    pages = PdfReader(io.BytesIO(data)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def _save_as(qtbot, window, path: Path) -> QMessageBox:
    """Choose Visit report…, save as ``path``, and wait for the box that says where."""
    reports = window.visit_reports
    assert window.menus.visit_report.isEnabled()
    window.menus.visit_report.trigger()
    dialog = reports.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.selectedFiles()[0].endswith(".pdf")  # a name is proposed
    dialog.selectFile(str(path))
    dialog.accept()
    qtbot.waitUntil(lambda: reports.done_box is not None and reports.done_box.isVisible(),
                    timeout=20000)
    return reports.done_box


def test_visit_report_writes_both_pdfs_says_where_and_opens_them(qtbot, window, demo,
                                                                  tmp_path, monkeypatch):
    opened: list[QUrl] = []
    monkeypatch.setattr(visit_report.QDesktopServices, "openUrl",
                        lambda url: opened.append(url) or True)
    report = tmp_path / "chosen" / "visit.pdf"
    report.parent.mkdir()  # a folder the user chose in the dialog

    box = _save_as(qtbot, window, report)

    handout = handout_path(report)
    assert handout == tmp_path / "chosen" / "visit-handout.pdf"
    assert box.windowTitle() == "Visit report written"
    assert "visit.pdf" in box.text() and "visit-handout.pdf" in box.text()
    assert f"saved in\n{report.parent}\n" in box.text() and "provisional" in box.text()
    assert f"in {report.parent}" in window.statusBar().currentMessage()
    text = _text(report)
    assert f"visit {demo.visit_id}" in text and demo.patient_clinic_id in text
    assert "Demo Patient" not in text  # the shipped clinic profile prints the clinic ID only
    assert DEMO_MARK in text and "Usage: not downloaded in this visit." in text
    assert "Your stimulator: how to use it" in _text(handout)

    button = next(b for b in box.buttons() if b.text() == OPEN_BOTH)
    button.click()
    assert opened == [QUrl.fromLocalFile(str(report)), QUrl.fromLocalFile(str(handout))]


def test_without_an_open_visit_the_latest_visit_is_reported_as_final(qtbot, window, demo,
                                                                     tmp_path):
    window.menus.end_visit.trigger()
    assert window.context.visit is None
    report = tmp_path / "after.pdf"
    box = _save_as(qtbot, window, report)
    assert "provisional" not in box.text()
    text = _text(report)
    assert f"visit {demo.visit_id}" in text and "VISIT STILL OPEN" not in text


def test_a_failure_is_said_and_nothing_is_offered_to_open(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setenv("MFCONSOLE_CLINIC_PROFILE", str(tmp_path / "missing.toml"))
    box = _save_as(qtbot, window, tmp_path / "never.pdf")
    assert box.windowTitle() == "Visit report not written"
    assert OPEN_BOTH not in [b.text() for b in box.buttons()]
    assert "not written" in window.statusBar().currentMessage()
    assert not (tmp_path / "never.pdf").exists()
