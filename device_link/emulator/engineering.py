"""The control channel's view of the emulated device: what no console can ask over MFL/1.

Engineers and tests read the simulated patient, the true impedances and the stored
programs here, and change the battery or reboot the device.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from device_link.crc import crc16_ccitt_false
from device_link.emulator.outgoing import Outgoing
from device_link.emulator.tissue import ELECTRODES, LEADS, deliver
from device_link.protocol import BIPOLAR_PAIRS, LogCode

if TYPE_CHECKING:
    from device_link.emulator.core import DeviceCore


class EngineeringAccess:
    """Observation, inspection and engineering controls; mixed into ``DeviceCore``."""

    def observe(self: DeviceCore) -> dict[str, object]:
        """The simulated observation: what a person watching the patient would see."""
        now = self.clock.now()
        drives = {drive.lead: drive for drive in self._drives(now)}
        leads = []
        for lead in range(LEADS):
            drive = drives.get(lead)
            entry: dict[str, object] = {"lead": lead, "active": drive is not None,
                                        "phase": "OFF", "anode": None, "cathode": None,
                                        "amp_set_ua": 0, "amp_delivered_ua": 0, "pw_us": 0,
                                        "freq_hz": 0, "contraction": 0.0, "unwanted": []}
            if drive is not None:
                ohms = self.tissue.measure(lead, drive.anode, drive.cathode, now)
                delivery = deliver(drive.set_ua, ohms, self.limits.compliance_mv)
                strength, unwanted = self.patients[lead].respond(
                    drive.anode, drive.cathode, drive.pw_us, delivery.delivered_ua)
                entry.update(phase=drive.phase.name, anode=drive.anode, cathode=drive.cathode,
                             amp_set_ua=delivery.set_ua,
                             amp_delivered_ua=delivery.delivered_ua, pw_us=drive.pw_us,
                             freq_hz=drive.freq_hz, contraction=round(strength, 3),
                             unwanted=unwanted)
            leads.append(entry)
        return {"state": self.state.name, "leads": leads}

    def snapshot(self: DeviceCore) -> dict[str, object]:
        now = self.clock.now()
        status = self.status(now)
        test, therapy = self._test, self._therapy
        locked = 0 if self._locked_until is None else max(0, math.ceil(self._locked_until - now))
        return {
            "state": self.state.name, "session": self.in_session,
            "uptime_ms": self.uptime_ms(now), "device_time": status.device_time,
            "battery_pct": status.battery_pct, "battery_mv": status.battery_mv,
            "fault_flags": status.fault_flags, "link_errors": status.link_errors,
            "active_slot": status.active_slot, "last_stop_reason": status.last_stop_reason,
            "last_stop_t": self.last_stop_at,
            "therapy_remaining_s": status.therapy_remaining_s,
            "test_stim": None if test is None else {
                "lead": test.lead, "anode": test.anode, "cathode": test.cathode,
                "freq_hz": test.freq_hz, "pw_us": test.pw_us, "amp_ua": test.amp_ua,
                "remaining_s": max(0.0, round(test.ends_at - now, 3))},
            "therapy": None if therapy is None else {
                "slot": therapy.slot, "elapsed_s": round(therapy.elapsed_s(now), 1),
                "session_s": therapy.session_s},
            "programs": sorted(self.programs), "log_total": self.log.total,
            "auth_failures": self._auth_failures, "locked_out_s": locked,
            "serial": self.config.serial, "scenario": self.config.scenario,
        }

    def stored_programs(self: DeviceCore) -> dict[str, object]:
        """Every written slot's 28 program bytes (hex) and CRC: what the device really holds."""
        return {"slots": [{"slot": slot, "program": raw.hex(), "crc": crc16_ccitt_false(raw)}
                          for slot, raw in sorted(self.programs.items())]}

    def patient_table(self: DeviceCore, pw_us: int) -> dict[str, object]:
        if pw_us <= 0:
            raise ValueError(f"pulse width must be positive, got {pw_us}")
        return {"pw_us": pw_us,
                "leads": [{"lead": lead, "pairs": patient.thresholds(pw_us, ELECTRODES)}
                          for lead, patient in enumerate(self.patients)]}

    def impedances(self: DeviceCore) -> dict[str, object]:
        now = self.clock.now()
        leads = []
        for lead in range(LEADS):
            leads.append({
                "lead": lead,
                "monopolar": [self.tissue.measure(lead, e, None, now) for e in range(ELECTRODES)],
                "bipolar": [{"electrodes": [a, b], "ohms": self.tissue.measure(lead, a, b, now)}
                            for a, b in BIPOLAR_PAIRS],
            })
        return {"leads": leads, **self.tissue.summary(now)}

    def set_battery(self: DeviceCore, percent: float) -> list[Outgoing]:
        if not 0 <= percent <= 100:
            raise ValueError(f"battery percent must be 0..100, got {percent}")
        self.battery.percent = percent
        if not self.battery.low:
            self._battery_low_logged = False  # crossing the threshold again is logged again
        return self.tick()

    def reboot(self: DeviceCore) -> list[Outgoing]:
        """Power cycle: session, stimulation and measurement end without a word."""
        now = self.clock.now()
        self._account_battery(now)
        self._boot(now)
        self._log(now, LogCode.BOOT)
        self._reported_flags = self.fault_flags()
        return []
