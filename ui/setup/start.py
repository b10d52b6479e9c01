"""Which record the window opens at start-up, setting one up where there is none.

A missing record is never silent: where nobody named a place (the default location) the
first-run dialog opens; where ``--db`` or ``MFCONSOLE_DB`` names a place holding no
record, the console asks first whether to set one up there or quit (a mistyped path
must not become a new, empty record).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget
from sqlalchemy.engine import make_url

from console.storage import ClinicalRecord, NoRecord, database_url
from console.storage.config import ENV_DATABASE
from console.storage.database import describe
from ui.setup.first_run import FirstRunDialog

SET_UP_HERE = "Set up a new record here…"

Ask = Callable[[str], bool]
SetUp = Callable[[str], "ClinicalRecord | None"]


def missing_record_question(where: str, parent: QWidget | None = None) -> QMessageBox:
    """The question for a named place without a record: set one up there, or quit."""
    box = QMessageBox(QMessageBox.Icon.Question, "No clinical record",
                      f"There is no clinical record in {where}.\n\nSet up a new record "
                      f"there, or quit and check the place given with --db or "
                      f"{ENV_DATABASE}?", parent=parent)
    box.addButton(SET_UP_HERE, QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(box.addButton("Quit", QMessageBox.ButtonRole.RejectRole))
    return box


def ask_to_set_up(where: str) -> bool:
    box = missing_record_question(where)
    box.exec()
    clicked = box.clickedButton()
    return clicked is not None and clicked.text() == SET_UP_HERE


def first_run(url: str) -> ClinicalRecord | None:
    """The first-run dialog; the new record, or None if it was cancelled."""
    dialog = FirstRunDialog(url)
    if dialog.exec() != FirstRunDialog.DialogCode.Accepted:
        return None
    return dialog.record


def clinic_record(args_db: str | None, *, ask: Ask | None = None,
                  set_up: SetUp | None = None) -> ClinicalRecord | None:
    """The record to sign in to; None when none was set up (the console then quits).

    ``ask`` and ``set_up`` default to the question and the first-run dialog. Raises the
    record's other refusals (damaged, another program's, unreachable).
    """
    ask, set_up = ask or ask_to_set_up, set_up or first_run
    url = database_url(args_db)
    named = bool(args_db or os.environ.get(ENV_DATABASE))
    try:
        record = ClinicalRecord.open_existing(url)
    except NoRecord:
        if named and not ask(describe(make_url(url))):
            return None
        return set_up(url)
    if record.has_users():
        return record
    record.close()
    return set_up(url)
