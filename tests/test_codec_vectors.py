"""Every vector of the device team's vectors.json, through our codec."""

from __future__ import annotations

import pytest
from cobs import cobs

from device_link import auth
from device_link.crc import crc16_ccitt_false
from device_link.frame import build_body, encode_wire, parse_body
from device_link.framing import FrameDecoder
from device_link.messages import AuthRequest, AuthResponse, Identity, WriteProgramRequest
from device_link.program_record import ProgramRecord
from device_link.protocol import Kind, Opcode


def _crc_input(vector: dict) -> bytes:
    if "data_ascii" in vector:
        return vector["data_ascii"].encode("ascii")
    return bytes.fromhex(vector["data_hex"])


def test_crc_vectors(vectors):
    for vector in vectors["crc16_ccitt_false"]:
        assert crc16_ccitt_false(_crc_input(vector)) == int(vector["crc"], 16), vector


def test_cobs_vectors_encode_and_decode(vectors):
    for vector in vectors["cobs"]:
        data, encoded = bytes.fromhex(vector["data"]), bytes.fromhex(vector["encoded"])
        assert cobs.encode(data) == encoded
        assert cobs.decode(encoded) == data


def test_cobs_decoder_accepts_redundant_final_code_after_254_block():
    data = bytes(range(1, 255))
    assert cobs.decode(cobs.encode(data) + b"\x01") == data


@pytest.mark.parametrize("name", ["hello_request_seq1", "hello_response_seq1",
                                  "stop_request_seq7_no_mac"])
def test_frame_vectors(vectors, name):
    vector = vectors["frames"][name]
    body, wire = bytes.fromhex(vector["body"]), bytes.fromhex(vector["wire"])
    frame = parse_body(body)
    assert build_body(frame.kind, frame.seq, frame.opcode, frame.payload) == body
    assert encode_wire(body) == wire
    assert [f.payload for f in FrameDecoder().feed(wire)] == [frame.payload]


def test_hello_response_identity(vectors):
    frame = parse_body(bytes.fromhex(vectors["frames"]["hello_response_seq1"]["body"]))
    identity = Identity.decode(frame.payload)
    assert (identity.model, identity.serial, identity.firmware) == ("EMU-IPG", "EMU-000001",
                                                                    "1.0.0")
    assert identity.nonce_d == bytes.fromhex(vectors["auth"]["nonce_d"])
    assert (identity.leads, identity.electrodes_per_lead, identity.program_slots) == (2, 4, 4)
    assert identity.encode() == frame.payload


def test_auth_tags_and_session_key(vectors):
    v = vectors["auth"]
    key, nd, nc = (bytes.fromhex(v[k]) for k in ("key", "nonce_d", "nonce_c"))
    assert auth.console_tag(key, nd, nc).hex() == v["tag_c"]
    assert auth.device_tag(key, nc, nd).hex() == v["tag_d"]
    assert auth.session_key(key, nd, nc).hex() == v["session_key"]


def test_auth_frames(vectors):
    v = vectors["auth"]
    request = AuthRequest(bytes.fromhex(v["nonce_c"]), bytes.fromhex(v["tag_c"]))
    body = build_body(Kind.REQUEST, 2, Opcode.AUTH, request.encode())
    assert body.hex() == v["auth_request_seq2"]["body"]
    assert encode_wire(body).hex() == v["auth_request_seq2"]["wire"]
    response = build_body(Kind.RESPONSE, 2, Opcode.AUTH,
                          AuthResponse(bytes.fromhex(v["tag_d"])).encode())
    assert response.hex() == v["auth_response_seq2"]["body"]
    assert encode_wire(response).hex() == v["auth_response_seq2"]["wire"]


def test_mac_frame_vectors(vectors):
    ks = bytes.fromhex(vectors["auth"]["session_key"])
    status = vectors["auth"]["get_status_request_seq3_with_mac"]
    body = build_body(Kind.REQUEST, 3, Opcode.GET_STATUS, b"", ks)
    assert body.hex() == status["body"]
    assert encode_wire(body).hex() == status["wire"]
    assert parse_body(body).mac_valid(ks)
    assert not parse_body(body).mac_valid(bytes(32))

    write = vectors["program"]["write_program_request_slot0_seq4_with_mac"]
    payload = WriteProgramRequest(0, bytes.fromhex(vectors["program"]["record"])).encode()
    body = build_body(Kind.REQUEST, 4, Opcode.WRITE_PROGRAM, payload, ks)
    assert body.hex() == write["body"]
    assert encode_wire(body).hex() == write["wire"]


def test_program_record_vector(vectors):
    v = vectors["program"]
    record = ProgramRecord.decode(bytes.fromhex(v["record"]))
    fields = v["fields"]
    for index, lead in enumerate(record.leads):
        expected = fields[f"lead{index}"]
        assert (lead.enabled, lead.anode, lead.cathode, lead.amp_ua, lead.pw_us) == (
            expected["enabled"], expected["anode"], expected["cathode"], expected["amp_ua"],
            expected["pw_us"])
    assert (record.freq_hz, record.ramp_up_ds, record.ramp_down_ds, record.on_ds, record.off_ds,
            record.session_min) == (fields["freq_hz"], fields["ramp_up_ds"],
                                    fields["ramp_down_ds"], fields["on_ds"], fields["off_ds"],
                                    fields["session_min"])
    assert record.encode().hex() == v["record"]
    assert record.crc == int(v["crc"], 16)
