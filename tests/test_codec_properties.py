"""Property tests of the console's MFL/1 codec: round trips, and garbage that never breaks it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from device_link.frame import Frame, FrameError, build_body, build_wire, encode_wire, parse_body
from device_link.framing import Discarded, FrameDecoder
from device_link.messages import (
    ImpedanceRecord,
    ImpedanceResult,
    LogEntry,
    LogPage,
    PayloadError,
    Status,
)
from device_link.protocol import MAX_PAYLOAD, RESYNC_LIMIT, Kind, Opcode

kinds = st.sampled_from(list(Kind))
seqs = st.integers(0, 0xFFFF)
opcodes = st.integers(0, 0xFF)
payloads = st.binary(max_size=MAX_PAYLOAD)
keys = st.none() | st.binary(min_size=32, max_size=32)


@given(kinds, seqs, opcodes, payloads, keys)
def test_frames_round_trip_through_the_wire(kind, seq, opcode, payload, ks):
    wire = encode_wire(build_body(kind, seq, opcode, payload, ks))
    assert wire.count(0) == 1 and wire.endswith(b"\x00")
    [frame] = FrameDecoder().feed(wire)
    assert (frame.kind, frame.seq, frame.opcode, frame.payload) == (kind, seq, opcode, payload)
    assert frame.has_mac == (ks is not None)
    if ks is not None:
        assert frame.mac_valid(ks)


@given(st.lists(st.tuples(kinds, seqs, opcodes, st.binary(max_size=64)), max_size=8),
       st.integers(1, 64))
def test_frames_survive_any_chunking_of_the_stream(frames, chunk):
    wire = b"".join(encode_wire(build_body(*frame)) for frame in frames)
    decoder = FrameDecoder()
    decoded = []
    for start in range(0, len(wire), chunk):
        decoded += decoder.feed(wire[start:start + chunk])
    assert [(f.kind, f.seq, f.opcode, f.payload) for f in decoded] == frames
    assert decoder.errors == 0


@settings(max_examples=300)
@given(st.binary(max_size=2000))
def test_random_bytes_never_crash_the_decoder(data):
    decoder = FrameDecoder()
    frames = decoder.feed(data)
    for frame in frames:  # anything accepted passed every check of section 2
        assert frame.kind in Kind and len(frame.payload) <= MAX_PAYLOAD
    # and it is still in step: a good frame after the garbage is decoded
    good = encode_wire(build_body(Kind.RESPONSE, 7, 3, b"ok"))
    assert [f.payload for f in decoder.feed(b"\x00" + good)] == [b"ok"]


@given(kinds, seqs, opcodes, st.binary(max_size=64), st.data())
def test_a_mutated_body_is_rejected_or_reads_differently_never_silently_the_same(
        kind, seq, opcode, payload, data):
    body = bytearray(build_body(kind, seq, opcode, payload))
    position = data.draw(st.integers(0, len(body) - 1))
    flip = data.draw(st.integers(1, 255))
    body[position] ^= flip
    try:
        frame = parse_body(bytes(body))
    except FrameError:
        return
    raise AssertionError(f"a single corrupted byte passed the CRC: {frame}")


def test_an_oversized_run_without_delimiter_is_dropped_and_the_stream_recovers():
    decoder = FrameDecoder()
    assert decoder.feed(b"\x01" * (RESYNC_LIMIT + 50)) == []
    good = encode_wire(build_body(Kind.EVENT, 1, 0x81, b"\x00"))
    assert [f.payload for f in decoder.feed(b"\x00" + good)] == [b"\x00"]
    assert decoder.errors >= 1


def test_the_decoder_reports_why_frames_are_discarded():
    good = build_wire(Kind.REQUEST, 1, Opcode.PING)
    corrupt = bytearray(good)
    corrupt[3] ^= 0x40
    decoder = FrameDecoder()
    items = decoder.feed_with_discards(bytes(corrupt) + b"\x00\x00" + bytes([1] * 700) + b"\x00"
                                       + good)
    reasons = [i.reason for i in items if isinstance(i, Discarded)]
    assert any("CRC" in r for r in reasons) and any("delimiter" in r for r in reasons)
    assert isinstance(items[-1], Frame) and items[-1].opcode == Opcode.PING
    assert decoder.errors == len(reasons) == 2  # an empty frame is no error


@settings(max_examples=300)
@given(st.lists(st.binary(max_size=700), max_size=8))
def test_both_ways_of_feeding_see_the_same_frames_and_errors(chunks):
    frames_only, reporting = FrameDecoder(), FrameDecoder()
    frames, items = [], []
    for chunk in chunks:
        frames += frames_only.feed(chunk)
        items += reporting.feed_with_discards(chunk)
    assert frames == [item for item in items if isinstance(item, Frame)]
    assert frames_only.errors == reporting.errors == sum(isinstance(i, Discarded) for i in items)


@given(st.binary(max_size=600))
def test_payload_decoders_refuse_garbage_with_payload_error_only(data):
    """Any other exception (struct.error, IndexError…) escaping here fails the test."""
    for decoder in (Status.decode, ImpedanceResult.decode, LogPage.decode):
        try:
            decoded = decoder(data)
        except PayloadError:
            continue
        assert decoded.encode() == data, "an accepted payload re-encodes to the same bytes"


@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 3),
                          st.none() | st.integers(0, 3), st.none() | st.integers(0, 65534)),
                max_size=12))
def test_impedance_results_round_trip(records):
    result = ImpedanceResult(tuple(ImpedanceRecord(*r) for r in records))
    assert ImpedanceResult.decode(result.encode()) == result


@given(st.integers(0, 2**32 - 1),
       st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1),
                          st.integers(0, 255), st.integers(0, 255), st.integers(0, 0xFFFF),
                          st.integers(0, 2**32 - 1)), max_size=30))
def test_log_pages_round_trip(total, entries):
    page = LogPage(total, tuple(LogEntry(*e) for e in entries))
    assert LogPage.decode(page.encode()) == page
