"""Client behaviour against scripted devices: rogue identity, silence, a vanishing port."""

from __future__ import annotations

import os
import threading

import pytest

from device_link import auth
from device_link.client import DeviceClient, Timeouts
from device_link.errors import AuthenticationError, LinkLost, PortError
from device_link.events import LinkDown
from device_link.frame import Frame
from device_link.keystore import PairingKey, StaticKeyStore
from device_link.messages import AuthRequest, AuthResponse, Identity
from device_link.protocol import Opcode

from .raw_device import RawDevice, reply

SERIAL = "EMU-000099"
KEY = PairingKey(bytes(range(32)))
NONCE_D = bytes(range(0xA0, 0xB0))


def _identity() -> bytes:
    return Identity(1, "EMU-IPG", SERIAL, "1.0.0", NONCE_D).encode()


def rogue_device(frame: Frame) -> list[bytes]:
    """Knows the protocol but not the key: its tag_d cannot be right."""
    if frame.opcode == Opcode.HELLO:
        return [reply(frame, _identity())]
    if frame.opcode == Opcode.AUTH:
        return [reply(frame, AuthResponse(os.urandom(16)).encode())]
    return []


@pytest.fixture
def key_store() -> StaticKeyStore:
    return StaticKeyStore({SERIAL: KEY})


def test_rogue_device_is_detected_and_dropped(key_store):
    device = RawDevice(rogue_device)
    try:
        with pytest.raises(AuthenticationError, match="failed to prove"):
            DeviceClient.connect(device.port, key_store)
        assert [f.opcode for f in device.received] == [Opcode.HELLO, Opcode.AUTH]
    finally:
        device.close()


def test_console_tag_is_computed_from_key_and_both_nonces(key_store):
    device = RawDevice(rogue_device)
    try:
        with pytest.raises(AuthenticationError):
            DeviceClient.connect(device.port, key_store)
        request = AuthRequest.decode(device.received[1].payload)
        expected = auth.console_tag(KEY.reveal(), NONCE_D, request.nonce_c)
        assert request.tag_c == expected
    finally:
        device.close()


def test_unknown_device_serial_is_an_authentication_error():
    device = RawDevice(rogue_device)
    try:
        with pytest.raises(AuthenticationError, match=f"no pairing key for device {SERIAL}"):
            DeviceClient.connect(device.port, StaticKeyStore({}))
    finally:
        device.close()


def test_silent_device_is_link_lost_after_three_retransmissions(key_store):
    device = RawDevice(lambda frame: [])
    try:
        with pytest.raises(LinkLost, match="after 3 retransmissions"):
            DeviceClient.connect(device.port, key_store)
        hellos = [f for f in device.received if f.opcode == Opcode.HELLO]
        assert len(hellos) == 4
        assert {f.seq for f in hellos} == {1}
    finally:
        device.close()


def test_vanishing_port_is_reported_not_hung_on(key_store):
    answered = threading.Event()

    def stop_only(frame: Frame) -> list[bytes]:
        if frame.opcode == Opcode.HELLO:
            answered.set()
            return [reply(frame, _identity())]
        return []

    device = RawDevice(stop_only)
    client = DeviceClient(device.port, None, timeouts=Timeouts(ordinary_s=5.0))
    notices: list[object] = []
    down = threading.Event()
    client.subscribe(lambda n: (notices.append(n), down.set()))
    client.open(authenticate=False)
    try:
        assert answered.is_set()
        failure: list[BaseException] = []

        def ping_forever() -> None:
            try:
                client.ping()
            except (LinkLost, PortError) as exc:
                failure.append(exc)

        waiter = threading.Thread(target=ping_forever)
        waiter.start()
        device.vanish()
        waiter.join(timeout=10)
        assert not waiter.is_alive(), "a request hung on a vanished port"
        assert failure and isinstance(failure[0], LinkLost)
        assert down.wait(5)
        assert isinstance(notices[0], LinkDown)
        with pytest.raises(LinkLost):
            client.get_status()
    finally:
        client.close()
        device.close()


def test_pairing_key_never_shows_in_repr_or_errors(key_store):
    assert KEY.reveal().hex() not in repr(KEY) + str(KEY)
    device = RawDevice(rogue_device)
    try:
        with pytest.raises(AuthenticationError) as caught:
            DeviceClient.connect(device.port, key_store)
        assert KEY.reveal().hex() not in str(caught.value)
    finally:
        device.close()
