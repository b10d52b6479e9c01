"""Pairing in the window: a device without a stored key is explained where the user
connects, and the key stored from its key file is one the device accepts."""

from __future__ import annotations

import json
import os
from datetime import date

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import text

from console.accounts import PermissionDenied, Role
from console.device.key_file import KeyFileError, read_key_file
from console.programming.screen_state import ProgrammingSession
from console.storage import ClinicalRecord, InstallationKey
from console.storage.pairing_keys import NoPairingKey
from console.storage.pairing_targets import pairing_targets
from device_link.emulator import EmulatorConfig, EmulatorServer
from device_link.keystore import KeyStoreError
from ui.device.controller import DeviceController
from ui.device.session_model import SessionModel
from ui.setup import no_key
from ui.setup.pairing_dialog import NEW_DEVICE, PairingDialog
from ui.shell.app import application
from ui.shell.context import WindowContext
from ui.shell.main_window import MainWindow

from .record_fixtures import FAST_HASHER

SERIAL = "EMU-000001"


@pytest.fixture
def clinic(tmp_path):
    """A record that knows the emulator's device but holds no key for it."""
    record = ClinicalRecord.open(f"sqlite:///{tmp_path / 'record.sqlite3'}",
                                 password_hasher=FAST_HASHER,
                                 installation_key=InstallationKey(os.urandom(32)))
    admin = record.add_user(None, "admin", Role.ADMIN, "admin password 1")
    users = {role: record.add_user(admin, role.value, role, f"{role.value} password 1")
             for role in (Role.ENGINEER, Role.CLINICIAN, Role.THEATRE)}
    record.add_patient(users[Role.CLINICIAN], "P-0001")
    record.register_device(admin, SERIAL, "MF-1", "1.0.0", patient_clinic_id="P-0001",
                           implant_date=date(2026, 1, 5))
    users[Role.ADMIN] = admin
    yield record, users
    record.close()


@pytest.fixture
def device():
    server = EmulatorServer(EmulatorConfig(serial=SERIAL))
    server.start()
    yield server
    server.stop()


def _key_file(tmp_path, content: str, mode: int = 0o600, name: str = "device.key"):
    path = tmp_path / name
    path.write_text(content, encoding="ascii")
    path.chmod(mode)
    return path


def _window(qtbot, record, user) -> MainWindow:
    application()
    context = WindowContext(DeviceController(), SessionModel(ProgrammingSession()), record,
                            user)
    window = MainWindow(context, record.key_store())
    qtbot.addWidget(window)
    window.show()
    return window


def _fail_to_connect(qtbot, window: MainWindow, port: str) -> None:
    window.connect_to(port, 115200)
    qtbot.waitUntil(window.connection.no_key.isVisible, timeout=10000)


def _audit(record) -> list[tuple[str, str, dict]]:
    with record.engine.connect() as connection:
        return [(row[0], row[1], json.loads(row[2])) for row in connection.execute(text(
            "SELECT event, actor, details FROM audit_entries ORDER BY seq"))]


# -- the key file -------------------------------------------------------------------------

def test_a_key_file_of_64_hex_characters_and_a_newline_is_read(tmp_path):
    key = os.urandom(32)
    path = _key_file(tmp_path, key.hex().upper() + "\n")
    assert read_key_file(path).reveal() == key
    assert key.hex() not in repr(read_key_file(path))


@pytest.mark.parametrize(("content", "mode", "said"), [
    ("ab" * 32, 0o644, "is accessible to other users (mode 0644): chmod 600 it"),
    ("ab" * 32, 0o640, "is accessible to other users (mode 0640)"),
    ("ab" * 31, 0o600, "holds 62 characters, not the 64 hexadecimal"),
    ("ab" * 32 + "\n\n", 0o600, "holds 65 characters"),
    (" " + "ab" * 32, 0o600, "holds 65 characters"),
    ("zz" * 32, 0o600, "has a character that is not hexadecimal (0-9, a-f) at position 1"),
    ("é" * 32, 0o600, "not hexadecimal (0-9, a-f) at position 1"),  # 64 bytes, none a digit
])
def test_a_bad_key_file_is_refused_naming_the_file_and_the_fault(tmp_path, content, mode,
                                                                 said):
    path = tmp_path / "device.key"
    path.write_bytes(content.encode("utf-8"))
    path.chmod(mode)
    with pytest.raises(KeyFileError, match="key file") as refused:
        read_key_file(path)
    assert str(path) in str(refused.value) and said in str(refused.value)
    assert isinstance(refused.value, KeyStoreError), "the CLI's expected failures catch it"


def test_a_directory_or_a_missing_file_is_refused(tmp_path):
    with pytest.raises(KeyFileError, match="is not a regular file"):
        read_key_file(tmp_path)
    with pytest.raises(KeyFileError, match="cannot be opened"):
        read_key_file(tmp_path / "absent.key")


# -- a device without a key, at the connection row -----------------------------------------

@pytest.mark.parametrize("role", [Role.ENGINEER, Role.ADMIN])
def test_a_device_without_a_key_is_explained_with_a_pair_button(qtbot, clinic, device, role,
                                                                monkeypatch):
    record, users = clinic
    window = _window(qtbot, record, users[role])
    _fail_to_connect(qtbot, window, device.port)
    notice = window.connection.no_key
    assert notice.serial == SERIAL
    assert notice.message.wordWrap()
    assert f"Device {SERIAL} cannot be connected" in notice.message.text()
    assert "holds no pairing key" in notice.message.text()
    assert "Pair this device…" in notice.message.text()
    assert notice.pair_button.isVisible()
    assert "no pairing key" in window.statusBar().currentMessage()
    asked: list[str | None] = []
    monkeypatch.setattr(no_key, "pair_device",
                        lambda parent, context, serial: asked.append(serial) or True)
    qtbot.mouseClick(notice.pair_button, Qt.MouseButton.LeftButton)
    assert asked == [SERIAL]
    assert notice.message.text() == f"Pairing key stored for device {SERIAL}: connect again."
    assert not notice.pair_button.isVisible()
    window.close()


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.THEATRE])
def test_other_roles_are_told_whom_to_ask_and_get_no_button(qtbot, clinic, device, role):
    record, users = clinic
    window = _window(qtbot, record, users[role])
    _fail_to_connect(qtbot, window, device.port)
    notice = window.connection.no_key
    assert f"Device {SERIAL} cannot be connected" in notice.message.text()
    assert "Ask an engineer or an administrator" in notice.message.text()
    assert not notice.pair_button.isVisible()
    window.close()


class _Keys:
    """A key store that fails as the record does, for KeyWatch to watch."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def key_for(self, serial: str):
        raise self.error


def test_the_notice_is_only_for_a_missing_key():
    watch = no_key.KeyWatch(_Keys(NoPairingKey("SN-42", device_known=True)))
    with pytest.raises(NoPairingKey):
        watch.key_for("SN-42")
    assert watch.missing == "SN-42"

    other = no_key.KeyWatch(_Keys(KeyStoreError("the record could not be read")))
    with pytest.raises(KeyStoreError):
        other.key_for("SN-42")
    assert other.missing is None


# -- storing a key ------------------------------------------------------------------------

def test_the_stored_key_is_accepted_by_the_device(qtbot, clinic, device, tmp_path):
    record, users = clinic
    engineer = users[Role.ENGINEER]
    window = _window(qtbot, record, engineer)
    _fail_to_connect(qtbot, window, device.port)
    secret = device.config.key.reveal().hex()
    dialog = PairingDialog(record, engineer, window.connection.no_key.serial, window)
    qtbot.addWidget(dialog)
    assert dialog.serial == SERIAL
    assert "no key stored" in dialog.device.currentText()
    dialog.set_key_file(_key_file(tmp_path, secret + "\n"))
    assert dialog.store_button.isEnabled()
    assert secret not in dialog.message.text()
    dialog.store()
    assert dialog.stored_serial == SERIAL
    assert dialog.result() == PairingDialog.DialogCode.Accepted
    assert record.key_store().key_for(SERIAL).reveal().hex() == secret
    assert ("pairing_key_stored", "engineer", {"device": SERIAL, "replaced": False}) in (
        _audit(record))
    assert all(secret not in json.dumps(details) for _, _, details in _audit(record))
    with qtbot.waitSignal(window.context.controller.connected, timeout=10000):
        window.connect_to(device.port, 115200)
    assert window.context.model.device.identity.serial == SERIAL
    assert not window.connection.no_key.isVisible()
    window.close()


def test_a_bad_key_file_is_refused_in_the_dialog_and_nothing_is_stored(qtbot, clinic,
                                                                       tmp_path):
    application()
    record, users = clinic
    dialog = PairingDialog(record, users[Role.ADMIN], SERIAL)
    qtbot.addWidget(dialog)
    path = _key_file(tmp_path, "ab" * 32, mode=0o644)
    dialog.set_key_file(path)
    assert not dialog.store_button.isEnabled()
    assert f"Key file {path} is accessible to other users" in dialog.message.text()
    assert dialog.message.objectName() == "findingBlock"
    dialog.store()
    assert dialog.stored_serial is None
    with pytest.raises(KeyStoreError, match=f"no pairing key for device {SERIAL}"):
        record.key_store().key_for(SERIAL)


def test_replacing_a_stored_key_asks_first(qtbot, clinic, tmp_path):
    application()
    record, users = clinic
    admin = users[Role.ADMIN]
    first, second = os.urandom(32).hex(), os.urandom(32).hex()
    dialog = PairingDialog(record, admin, SERIAL)
    qtbot.addWidget(dialog)
    dialog.set_key_file(_key_file(tmp_path, first))
    dialog.store()
    again = PairingDialog(record, admin, SERIAL)
    qtbot.addWidget(again)
    assert "key stored" in again.device.currentText()
    asked: list[str] = []
    again.confirm = lambda title, question: asked.append(question) or False
    again.set_key_file(_key_file(tmp_path, second, name="new.key"))
    again.store()
    assert asked and SERIAL in asked[0]
    assert record.key_store().key_for(SERIAL).reveal().hex() == first
    again.confirm = lambda title, question: True
    again.store()
    assert record.key_store().key_for(SERIAL).reveal().hex() == second


def test_a_device_not_in_the_record_is_named_with_how_to_add_it(qtbot, clinic, tmp_path):
    application()
    record, users = clinic
    dialog = PairingDialog(record, users[Role.ENGINEER], "SN-UNKNOWN")
    qtbot.addWidget(dialog)
    assert dialog.device.currentText() == "SN-UNKNOWN — not in the clinical record"
    dialog.set_key_file(_key_file(tmp_path, "cd" * 32))
    dialog.store()
    assert "Device SN-UNKNOWN is not in the clinical record" in dialog.message.text()
    assert "mfconsole devices add SN-UNKNOWN --patient CLINIC_ID" in dialog.message.text()
    assert dialog.stored_serial is None


def test_only_engineers_and_administrators_list_devices_to_pair(clinic):
    record, users = clinic
    targets = pairing_targets(record, users[Role.ENGINEER])
    assert [(t.serial, t.patient_clinic_id, t.key_stored_at) for t in targets] == [
        (SERIAL, "P-0001", None)]
    with pytest.raises(PermissionDenied, match="may not store device pairing keys"):
        pairing_targets(record, users[Role.CLINICIAN])


def test_an_administrator_adds_a_new_implant_to_the_open_patient_and_stores_its_key(
        qtbot, clinic, tmp_path):
    application()
    record, users = clinic
    dialog = PairingDialog(record, users[Role.ADMIN], patient_clinic_id="P-0001")
    qtbot.addWidget(dialog)
    dialog.device.setCurrentIndex(dialog.device.findData(NEW_DEVICE))
    assert dialog.device.currentText() == "A new device for patient P-0001…"
    dialog.new_serial.setText("SN-NEW-1")
    key = os.urandom(32).hex()
    dialog.set_key_file(_key_file(tmp_path, key))
    dialog.store()
    assert dialog.stored_serial == "SN-NEW-1"
    assert record.key_store().key_for("SN-NEW-1").reveal().hex() == key
    added = {d.serial: d.patient_clinic_id for d in record.list_devices(users[Role.ADMIN])}
    assert added["SN-NEW-1"] == "P-0001"
    assert key not in json.dumps(_audit(record))


def test_a_serial_the_record_refuses_adds_nothing_and_stores_nothing(qtbot, clinic, tmp_path):
    application()
    record, users = clinic
    dialog = PairingDialog(record, users[Role.ADMIN], "SN WITH\tTAB", patient_clinic_id="P-0001")
    qtbot.addWidget(dialog)
    dialog.set_key_file(_key_file(tmp_path, "ab" * 32))
    dialog.store()
    assert "was not added to patient P-0001" in dialog.message.text()
    assert dialog.stored_serial is None
    assert [d.serial for d in record.list_devices(users[Role.ADMIN])] == [SERIAL]


def test_an_engineer_may_not_add_devices_so_is_offered_none(qtbot, clinic):
    application()
    record, users = clinic
    dialog = PairingDialog(record, users[Role.ENGINEER], patient_clinic_id="P-0001")
    qtbot.addWidget(dialog)
    assert dialog.device.findData(NEW_DEVICE) < 0 and dialog.adds_to is None
