"""What the emulator's patient model says the present stimulation does — SIMULATED.

The emulator models a multifidus contraction (0–1 per lead) and nerves that should
not respond; engineers watch it to check titration and fault handling. It is labelled
as simulated everywhere, so nobody mistakes it for an observation of a patient.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from console.leads.naming import contact_name, pair_name, polarised_pair_name
from console.programming.program import LEAD_NAMES
from ui.common.theme import BLOCK_RED, DEMO_PURPLE, INFO_GREY


class LeadObservation(QWidget):
    """One lead: what is delivered, the contraction bar, unwanted responses, its contacts."""

    def __init__(self, lead: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lead = lead
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel(f"<b>{LEAD_NAMES[lead].capitalize()} lead ({lead})</b>")
        layout.addWidget(title, 0, 0)
        self.delivery = QLabel("not stimulating")
        self.delivery.setWordWrap(True)
        layout.addWidget(self.delivery, 0, 1)
        layout.addWidget(QLabel("Contraction"), 1, 0)
        self.contraction = QProgressBar()
        self.contraction.setRange(0, 100)
        self.contraction.setFormat("%p % (simulated)")
        self.contraction.setToolTip("The patient model's multifidus contraction strength, "
                                    "0 (none) to 100 % (maximal)")
        layout.addWidget(self.contraction, 1, 1)
        self.unwanted = QLabel()
        self.unwanted.setWordWrap(True)
        layout.addWidget(self.unwanted, 2, 1)
        self.contacts = QLabel()
        self.contacts.setToolTip("The emulator's contact model: spreading resistance, open "
                                 "conductors, shorts and rising impedance")
        self.contacts.setWordWrap(True)
        layout.addWidget(QLabel("Contacts"), 3, 0)
        layout.addWidget(self.contacts, 3, 1)
        layout.setColumnStretch(1, 1)

    def show_observation(self, observed: dict[str, Any]) -> None:
        strength = float(observed.get("contraction") or 0.0)
        self.contraction.setValue(round(strength * 100))
        if observed.get("active"):
            self.delivery.setText(
                f"{observed['phase']}: "
                f"{polarised_pair_name(observed['anode'], observed['cathode'])}, "
                f"set {observed['amp_set_ua'] / 1000:.2f} mA, "
                f"delivered {observed['amp_delivered_ua'] / 1000:.2f} mA, "
                f"{observed['pw_us']} µs, {observed['freq_hz']} Hz")
        else:
            self.delivery.setText("not stimulating")
        unwanted = observed.get("unwanted") or []
        if unwanted:
            self.unwanted.setText("⚠ Unwanted response (simulated): " + ", ".join(unwanted))
            self.unwanted.setStyleSheet(f"color: {BLOCK_RED}; font-weight: bold;")
        else:
            self.unwanted.setText("No unwanted response")
            self.unwanted.setStyleSheet(f"color: {INFO_GREY};")

    def show_contacts(self, contacts: list[dict[str, Any]], shorts: list[Any]) -> None:
        shorted = {tuple(s.get("electrodes", ())) for s in shorts
                   if isinstance(s, dict) and s.get("lead") == self.lead}
        parts = []
        for contact in contacts:
            if contact["lead"] != self.lead:
                continue
            text = f"{contact_name(contact['electrode'])} "
            if contact["open"]:
                text += f"<b style='color:{BLOCK_RED}'>OPEN</b>"
            else:
                text += f"{contact['ohms']:.0f} Ω"
                if contact["rise_ohm_per_s"]:
                    text += f" (rising {contact['rise_ohm_per_s']:g} Ω/s)"
            parts.append(text)
        for a, b in sorted(shorted):
            parts.append(f"<b style='color:{BLOCK_RED}'>{pair_name(a, b)} shorted</b>")
        self.contacts.setText(" · ".join(parts))


class ObservationView(QGroupBox):
    """The device's state as the emulator sees it, and both leads' simulated observation."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("SIMULATED observation", parent)
        self.setStyleSheet(f"QGroupBox {{ font-weight: bold; color: {DEMO_PURPLE}; }}")
        layout = QVBoxLayout(self)
        note = QLabel("The emulator's patient model — not an observation of a patient.")
        note.setWordWrap(True)
        note.setStyleSheet(f"font-weight: normal; color: {DEMO_PURPLE};")
        layout.addWidget(note)
        self.device = QLabel("No emulator attached.")
        self.device.setWordWrap(True)
        self.device.setStyleSheet("font-weight: normal; color: black;")
        layout.addWidget(self.device)
        self.leads = [LeadObservation(0), LeadObservation(1)]
        for lead in self.leads:
            lead.setStyleSheet("font-weight: normal; color: black;")
            layout.addWidget(lead)
        layout.addStretch(1)

    def show_state(self, state: dict[str, Any], observed: dict[str, Any],
                   impedances: dict[str, Any]) -> None:
        faults = state.get("link_faults") or {}
        link = ("none" if not any(faults.get(k) for k in ("corrupt_rate", "drop_rate",
                                                           "delay_ms"))
                else f"corrupt {faults['corrupt_rate']:g}/byte, drop {faults['drop_rate']:g}"
                     f"/frame, delay {faults['delay_ms']:g} ms ({faults['direction']})")
        cable = "connected" if state.get("connected") else "CABLE PULLED"
        self.device.setText(
            f"Emulator {state.get('serial', '?')} · state <b>{state.get('state', '?')}</b> · "
            f"battery {state.get('battery_pct', '?')} % · link errors "
            f"{state.get('link_errors', 0)} · port {cable} · link faults: {link}")
        by_lead = {entry["lead"]: entry for entry in observed.get("leads", [])}
        for view in self.leads:
            view.show_observation(by_lead.get(view.lead, {}))
            view.show_contacts(impedances.get("contacts", []), impedances.get("shorts", []))

    def detached(self, message: str) -> None:
        self.device.setText(message)
        for view in self.leads:
            view.show_observation({})
            view.contacts.setText("")
