"""Plain-data views of what a device reports, shared by the command line and the window."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from device_link.messages import Identity, ImpedanceRecord, LogEntry, Status
from device_link.protocol import (
    SLOT_NONE,
    STOP_REASON_NONE,
    DeviceState,
    FaultFlag,
    LogCode,
    StopReason,
)

FAULT_TEXT = {
    FaultFlag.BATTERY_LOW: "battery low",
    FaultFlag.LEAD0_IMPEDANCE: "left lead impedance out of range",
    FaultFlag.LEAD1_IMPEDANCE: "right lead impedance out of range",
    FaultFlag.COMPLIANCE_LIMIT: "compliance limit reached: delivered current below set",
    FaultFlag.CLOCK_NOT_SET: "device clock not set",
}


def _enum_name(enum: type, value: int) -> str:
    try:
        return enum(value).name
    except ValueError:
        return f"UNKNOWN({value})"


def identity_dict(identity: Identity) -> dict[str, Any]:
    return {"model": identity.model, "serial": identity.serial, "firmware": identity.firmware,
            "leads": identity.leads, "electrodes_per_lead": identity.electrodes_per_lead,
            "program_slots": identity.program_slots}


def fault_names(flags: int) -> list[str]:
    return [FAULT_TEXT[flag] for flag in FaultFlag if flags & flag]


def device_time_text(unix_seconds: int) -> str | None:
    if unix_seconds == 0:
        return None
    return datetime.fromtimestamp(unix_seconds, UTC).isoformat().replace("+00:00", "Z")


def status_dict(status: Status) -> dict[str, Any]:
    reason = status.last_stop_reason
    return {
        "state": _enum_name(DeviceState, status.state),
        "battery_pct": status.battery_pct,
        "battery_mv": status.battery_mv,
        "active_slot": None if status.active_slot == SLOT_NONE else status.active_slot,
        "last_stop_reason": None if reason == STOP_REASON_NONE else _enum_name(StopReason, reason),
        "therapy_remaining_s": status.therapy_remaining_s,
        "device_time": device_time_text(status.device_time),
        "fault_flags": status.fault_flags,
        "faults": fault_names(status.fault_flags),
        "link_errors": status.link_errors,
        "test_amp_ua": status.test_amp_ua,
    }


def impedance_dict(record: ImpedanceRecord) -> dict[str, Any]:
    return {"lead": record.lead, "a": record.electrode_a, "b": record.electrode_b,
            "ohms": record.ohms}


LOG_TEXT = {
    LogCode.BOOT: "boot",
    LogCode.THERAPY_START: "therapy session start",
    LogCode.THERAPY_END: "therapy session end",
    LogCode.TEST_STIM_START: "test stimulation start",
    LogCode.STIM_STOPPED: "stimulation stopped",
    LogCode.PROGRAM_WRITTEN: "program written",
    LogCode.IMPEDANCE_ALERT: "impedance alert",
    LogCode.BATTERY_LOW: "battery low",
    LogCode.AUTH_FAILED: "authentication failed",
    LogCode.AUTH_LOCKED: "authentication locked",
    LogCode.CLOCK_SET: "clock set",
}


def log_entry_dict(entry: LogEntry) -> dict[str, Any]:
    try:
        event = LOG_TEXT[LogCode(entry.code)]
    except ValueError:
        event = f"code {entry.code}"
    return {"index": entry.index, "time": device_time_text(entry.time), "code": entry.code,
            "event": event, "a": entry.a, "b": entry.b, "c": entry.c}
