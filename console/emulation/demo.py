"""The demonstration environment: a built-in emulator behind a real pseudo-terminal, a
throwaway clinical record, a demo clinician and a demo patient.

Nothing here touches the clinic's real database: the record lives in a temporary
directory that disappears when the demo ends.
"""

from __future__ import annotations

import secrets
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from console.accounts.roles import Role, User
from console.emulation.demo_outcomes import DEMO_IMPLANT_DAYS_AGO, add_demo_outcomes
from console.storage import ClinicalRecord, InstallationKey, VisitKind
from device_link.emulator import EmulatorConfig, EmulatorServer

DEMO_PATIENT = "DEMO-0001"
DEMO_CLINICIAN = "demo.clinician"


@dataclass
class DemoEnvironment:
    emulator: EmulatorServer
    record: ClinicalRecord
    user: User
    patient_clinic_id: str
    visit_id: int
    _directory: tempfile.TemporaryDirectory[str]

    @classmethod
    def start(cls, scenario: str = "good", role: Role = Role.CLINICIAN) -> DemoEnvironment:
        """The demo signed in as ``role``: the demo clinician, or ``demo.<role>``."""
        role = Role(role)
        directory = tempfile.TemporaryDirectory(prefix="mfconsole-demo-")
        config = EmulatorConfig(scenario=scenario)
        emulator = EmulatorServer(config)
        emulator.start()
        try:
            record = ClinicalRecord.open(
                f"sqlite:///{Path(directory.name) / 'demo.sqlite'}",
                installation_key=InstallationKey(secrets.token_bytes(32)))
            password = secrets.token_urlsafe(16)  # nobody logs in again: the demo is signed in
            admin = record.add_user(None, "demo.admin", Role.ADMIN, password)
            clinician = record.add_user(admin, DEMO_CLINICIAN, Role.CLINICIAN, password)
            record.add_patient(clinician, DEMO_PATIENT, name="Demo Patient")
            implant = date.today() - timedelta(days=DEMO_IMPLANT_DAYS_AGO)
            record.register_device(admin, config.serial, config.model, config.firmware,
                                   patient_clinic_id=DEMO_PATIENT, implant_date=implant)
            add_demo_outcomes(record, clinician, DEMO_PATIENT, implant)
            record.store_pairing_key(admin, config.serial, config.key)
            user = {Role.CLINICIAN: clinician, Role.ADMIN: admin}.get(role) or record.add_user(
                admin, f"demo.{role.value}", role, password)
            kind = VisitKind.PROGRAMMING if role is Role.CLINICIAN else VisitKind.ENGINEERING
            visit = record.start_visit(user, DEMO_PATIENT, kind, device_serial=config.serial)
        except BaseException:
            emulator.stop()
            directory.cleanup()
            raise
        return cls(emulator, record, user, DEMO_PATIENT, visit.id, directory)

    def close(self) -> None:
        self.record.close()
        self.emulator.stop()
        self._directory.cleanup()
