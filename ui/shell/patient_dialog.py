"""Whose device and which visit: chosen (or a patient created) before anything is programmed.

Every program version, measurement and test stimulation belongs to a visit of one
patient; choosing them first means the record can refuse a device that belongs to
someone else instead of quietly mixing two patients' histories.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.accounts import AccessError
from console.accounts.roles import Action, Role, User, allowed
from console.storage import ClinicalRecord, Patient, RecordError, Visit, VisitKind

VISIT_KIND_TEXT = {
    VisitKind.IMPLANT: "Implant (theatre)",
    VisitKind.PROGRAMMING: "Programming",
    VisitKind.FOLLOW_UP: "Follow-up",
    VisitKind.ENGINEERING: "Engineering",
}
BENCH_ROLES = (Role.ENGINEER, Role.ADMIN)


def patient_text(patient: Patient) -> str:
    """How the window names a patient: clinic ID first, then what identifies them."""
    parts = [patient.clinic_id]
    if patient.name:
        parts.append(patient.name)
    if patient.date_of_birth:
        parts.append(f"born {patient.date_of_birth.isoformat()}")
    return " · ".join(parts)


def visit_text(visit: Visit) -> str:
    started = visit.started_at.astimezone().strftime("%Y-%m-%d %H:%M")
    return f"visit {visit.id} ({VISIT_KIND_TEXT[visit.kind].lower()}) since {started}"



def fill_visit_kinds(box: QComboBox, user: User) -> None:
    """Every kind of visit, the user's usual one chosen (engineers: engineering)."""
    for kind, text in VISIT_KIND_TEXT.items():
        box.addItem(text, kind)
    default = VisitKind.ENGINEERING if user.role is Role.ENGINEER else VisitKind.PROGRAMMING
    box.setCurrentIndex(box.findData(default))


def refusal_label() -> QLabel:
    """Where a dialog says, in red and whole, why it did not do what was asked."""
    label = QLabel()
    label.setObjectName("findingBlock")
    label.setWordWrap(True)
    return label

class PatientDialog(QDialog):
    """Pick or add a patient, pick the kind of visit, start it (``patient`` and ``visit``).

    Engineers and admins may go on without a patient (bench work on an emulator);
    ``bench`` is then true and ``patient``/``visit`` stay None.
    """

    def __init__(self, record: ClinicalRecord, user: User, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Patient and visit — Multifidus Console")
        self.resize(720, 560)
        self._record = record
        self._user = user
        self._patients: list[Patient] = []
        self.patient: Patient | None = None
        self.visit: Visit | None = None
        self.bench = False

        layout = QVBoxLayout(self)
        intro = QLabel(f"Signed in as <b>{user.username}</b> ({user.role.value}). Choose the "
                       "patient whose device you will work on, then the kind of visit.")
        intro.setWordWrap(True)
        layout.addWidget(intro)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Find by clinic ID or name")
        self.search.setToolTip("Type part of a clinic ID or name to narrow the list")
        self.search.textChanged.connect(self._fill)
        layout.addWidget(self.search)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Clinic ID", "Name", "Date of birth"])
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(0, 160)
        self.table.setColumnWidth(1, 280)
        self.table.itemSelectionChanged.connect(self._reflect)
        self.table.verticalHeader().hide()
        self.table.activated.connect(lambda _index: self._start())  # double-click or Enter
        layout.addWidget(self.table, 1)

        layout.addWidget(self._new_patient_box())

        visit_row = QHBoxLayout()
        visit_row.addWidget(QLabel("Visit"))
        self.kind = QComboBox()
        fill_visit_kinds(self.kind, user)
        self.kind.setToolTip("What this visit is for; it is recorded with everything done in it")
        visit_row.addWidget(self.kind)
        visit_row.addStretch(1)
        layout.addLayout(visit_row)

        self.message = refusal_label()
        layout.addWidget(self.message)

        buttons = QDialogButtonBox()
        self.start_button = buttons.addButton("Start visit", QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.clicked.connect(self._start)
        self.bench_button = buttons.addButton("Continue without a patient",
                                              QDialogButtonBox.ButtonRole.ActionRole)
        self.bench_button.setToolTip("Engineering bench work on an emulator: nothing is "
                                     "recorded against a patient")
        self.bench_button.setVisible(user.role in BENCH_ROLES)
        self.bench_button.clicked.connect(self._bench)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.clicked.connect(self.reject)
        layout.addWidget(buttons)

        self.reload()

    def _new_patient_box(self) -> QGroupBox:
        box = QGroupBox("New patient")
        form = QFormLayout(box)
        self.new_clinic_id = QLineEdit()
        self.new_clinic_id.setToolTip("The clinic's pseudonymous identifier (required); it is "
                                      "what the audit trail names")
        self.new_name = QLineEdit()
        self.new_name.setToolTip("Optional: shown on screen to confirm who the patient is")
        self.new_dob = QLineEdit()
        self.new_dob.setPlaceholderText("YYYY-MM-DD")
        self.new_dob.setToolTip("Optional date of birth, as YYYY-MM-DD")
        self.add_button = QPushButton("Add patient")
        self.add_button.clicked.connect(self._add)
        for field in (self.new_clinic_id, self.new_name, self.new_dob):
            field.returnPressed.connect(self._add)
        form.addRow("Clinic ID", self.new_clinic_id)
        form.addRow("Name (optional)", self.new_name)
        form.addRow("Date of birth (optional)", self.new_dob)
        form.addRow("", self.add_button)
        if not allowed(self._user, Action.MANAGE_PATIENTS):
            box.setEnabled(False)
            box.setToolTip(f"Role {self._user.role.value} may not "
                           f"{Action.MANAGE_PATIENTS.value}")
        return box

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter acts on the field or button it was pressed in, never on the dialog's default
        button: typing a new patient's ID and pressing Enter must not start a visit for the
        patient still selected in the list."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()
            return
        super().keyPressEvent(event)

    # -- list ------------------------------------------------------------------------------

    def reload(self, select: str | None = None) -> None:
        try:
            self._patients = self._record.list_patients(self._user)
        except (RecordError, AccessError) as exc:
            self.message.setText(str(exc))
            self._patients = []
        self._fill()
        if select is not None:
            self.select(select)

    def _fill(self) -> None:
        needle = self.search.text().strip().lower()
        shown = [p for p in self._patients
                 if not needle or needle in p.clinic_id.lower()
                 or needle in (p.name or "").lower()]
        self.table.setRowCount(len(shown))
        for row, patient in enumerate(shown):
            cells = (patient.clinic_id, patient.name or "",
                     patient.date_of_birth.isoformat() if patient.date_of_birth else "")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, patient.clinic_id)
                self.table.setItem(row, column, item)
        if len(shown) == 1:
            self.table.selectRow(0)
        self._reflect()

    def select(self, clinic_id: str) -> None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).text() == clinic_id:
                self.table.selectRow(row)
                return

    def selected(self) -> Patient | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        clinic_id = self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)
        return next((p for p in self._patients if p.clinic_id == clinic_id), None)

    def chosen_kind(self) -> VisitKind:
        return VisitKind(self.kind.currentData())

    def _reflect(self) -> None:
        self.start_button.setEnabled(self.selected() is not None)

    # -- actions ---------------------------------------------------------------------------

    def _add(self) -> None:
        clinic_id = self.new_clinic_id.text().strip()
        name = self.new_name.text().strip() or None
        dob_text = self.new_dob.text().strip()
        if not clinic_id:
            self.message.setText("A new patient needs a clinic ID.")
            return
        try:
            dob = date.fromisoformat(dob_text) if dob_text else None
        except ValueError:
            self.message.setText(f"Date of birth {dob_text!r} is not a date (YYYY-MM-DD).")
            return
        try:
            self._record.add_patient(self._user, clinic_id, name=name, date_of_birth=dob)
        except (RecordError, AccessError) as exc:
            self.message.setText(str(exc))
            return
        self.message.setText("")
        for field in (self.new_clinic_id, self.new_name, self.new_dob):
            field.clear()
        self.search.clear()
        self.reload(select=clinic_id)

    def _start(self) -> None:
        patient = self.selected()
        if patient is None:
            self.message.setText("Choose a patient first.")
            return
        try:
            self.visit = self._record.start_visit(self._user, patient.clinic_id,
                                                  self.chosen_kind())
        except (RecordError, AccessError) as exc:
            self.message.setText(str(exc))
            return
        self.patient = patient
        self.accept()

    def _bench(self) -> None:
        self.bench = True
        self.accept()


class NewVisitDialog(QDialog):
    """Start another visit for the patient already chosen: only its kind is asked."""

    def __init__(self, record: ClinicalRecord, user: User, patient: Patient,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Start a visit — Multifidus Console")
        self._record = record
        self._user = user
        self._patient = patient
        self.visit: Visit | None = None
        layout = QVBoxLayout(self)
        intro = QLabel(f"Start a new visit for patient <b>{patient_text(patient)}</b>. "
                       "Program versions, measurements and test stimulation from now on "
                       "are recorded in it.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        row = QHBoxLayout()
        row.addWidget(QLabel("Visit"))
        self.kind = QComboBox()
        fill_visit_kinds(self.kind, user)
        row.addWidget(self.kind)
        row.addStretch(1)
        layout.addLayout(row)
        self.message = refusal_label()
        layout.addWidget(self.message)
        buttons = QDialogButtonBox()
        self.start_button = buttons.addButton("Start visit", QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.clicked.connect(self._start)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel).clicked.connect(self.reject)
        layout.addWidget(buttons)

    def _start(self) -> None:
        try:
            self.visit = self._record.start_visit(self._user, self._patient.clinic_id,
                                                  VisitKind(self.kind.currentData()))
        except (RecordError, AccessError) as exc:
            self.message.setText(str(exc))
            return
        self.accept()
