"""The Usage tab: downloads the device log into the record and shows the clinic's figures."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Qt

from console.clinic.profile import load_clinic_profile
from console.usage.overview import usage_overview
from device_link.messages import LogEntry
from ui.usage.panel import UsagePanel

from .window_fixtures import select_tab


def test_download_fills_the_record_and_the_tab_shows_adherence_and_the_calendar(
        qtbot, window, demo):
    panel = select_tab(window, UsagePanel)
    qtbot.waitUntil(panel.download_button.isEnabled, timeout=10000)

    qtbot.mouseClick(panel.download_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: panel.message.text().startswith("Downloaded"), timeout=30000)
    serial = window.context.model.device.identity.serial
    stored = demo.record.device_log(demo.user, serial)
    assert len(stored) == demo.emulator.config.log_entries
    assert f"({len(stored)} stored)" in panel.message.text()
    qtbot.waitUntil(lambda: panel.overview is not None
                    and panel.overview.last_28_days.sessions_started > 0, timeout=10000)
    recent = panel.overview.last_28_days
    assert f"{recent.adherence_pct:.1f} %" in panel.last_28.text()
    assert panel.calendar.sizeHint().width() > 0 and panel.weekly.weeks

    qtbot.mouseClick(panel.download_button, Qt.MouseButton.LeftButton)  # nothing new
    qtbot.waitUntil(lambda: panel.message.text().startswith("Downloaded 0 new"), timeout=30000)
    assert len(demo.record.device_log(demo.user, serial)) == len(stored)


def _session(index: int, start: int, reason: int, seconds: int) -> list[LogEntry]:
    return [LogEntry(index, start, 2, 0, 0), LogEntry(index + 1, start + seconds, 3, 0, reason,
                                                     seconds)]


def test_the_overview_flags_low_adherence_and_undated_sessions_and_lists_early_stops():
    from datetime import datetime

    today = date(2026, 6, 10)
    noon = int(datetime(2026, 6, 8, 12).timestamp())
    entries = [*_session(0, noon, 4, 1800), *_session(2, noon + 7200, 0, 300),
               *_session(4, 0, 4, 1800)]  # the last while the clock was not set

    overview = usage_overview(entries, load_clinic_profile(), today=today,
                              implanted=today - timedelta(days=90), last_visit=date(2026, 6, 1))

    assert overview.last_28_days.sessions_completed == 1
    assert [s.index for s in overview.stopped_early] == [2]
    assert overview.since_last_visit is not None
    assert overview.since_last_visit.start == date(2026, 6, 1)
    assert overview.history.start == today - timedelta(days=90)
    assert any("below the clinic's 70 %" in flag for flag in overview.flags)
    assert any("device clock was not set" in flag for flag in overview.flags)


def test_a_log_close_to_overwriting_what_was_never_downloaded_is_flagged(
        qtbot, window, demo, tmp_path, monkeypatch):
    from console.clinic.profile import CLINIC_PROFILE
    from console.paths import ENV_CLINIC_PROFILE

    strict = tmp_path / "clinic.toml"
    strict.write_text(CLINIC_PROFILE.shipped_text().replace(
        "warn_undownloaded_entries = 8000", "warn_undownloaded_entries = 500"))
    monkeypatch.setenv(ENV_CLINIC_PROFILE, str(strict))
    panel = select_tab(window, UsagePanel)
    entries = demo.emulator.config.log_entries
    panel._serial = None  # as on a fresh connection: count what the device holds
    panel._device_changed()

    qtbot.waitUntil(panel.pending_flag.isVisible, timeout=10000)
    assert panel.pending == entries
    assert f"{entries} log entries not yet downloaded" in panel.pending_flag.text()

    qtbot.mouseClick(panel.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.message.text().startswith("Downloaded"), timeout=30000)
    assert not panel.pending_flag.isVisible()
