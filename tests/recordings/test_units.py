"""tcxkit.recordings without a PBX: keys from hostile metadata, what a valid WAV is (#26)."""

from __future__ import annotations

import io
import struct
import wave
from pathlib import Path

import pytest

from tcxkit.errors import UsageError
from tcxkit.recordings import BadRecording, Period, check_wav, recording_key
from tcxkit.storage import check_key


def _row(**fields: object) -> dict[str, object]:
    return {"Id": 17, "StartTime": "2026-12-03T14:15:02Z", **fields}


def test_key_is_date_time_id_and_parties() -> None:
    row = _row(FromCallerNumber="+441612097687", FromDn="10001", ToCallerNumber="120")
    key = recording_key("hq", row)
    assert key == "hq/2026-12-03/20261203T141502Z_rec17_+441612097687_to_120.wav"
    assert check_key(key) == key


@pytest.mark.parametrize(
    "caller",
    ["../../etc/passwd", "/abs", ".hidden", "a/b\\c", "\x00\n\r", "ä" * 300, "  ", "-"],
)
def test_hostile_caller_ids_never_steer_the_key(caller: str) -> None:
    key = recording_key("hq", _row(FromCallerNumber=caller, ToDisplayName=caller))
    assert check_key(key) == key and key.count("/") == 2
    name = key.rsplit("/", 1)[1]
    assert name.startswith("20261203T141502Z_rec17_") and name.endswith(".wav")
    assert len(name) < 120


def test_a_zone_is_turned_into_utc_and_a_missing_start_is_refused() -> None:
    key = recording_key("hq", _row(StartTime="2026-12-04T00:30:00+01:00", FromDn="100"))
    assert key.startswith("hq/2026-12-03/20261203T233000Z_rec17_100_to_unknown")
    with pytest.raises(ValueError, match="recording 17 has no readable StartTime"):
        recording_key("hq", _row(StartTime=None))


def test_period_filter_and_refusals() -> None:
    p = Period.parse("2026-12-01", "2026-12-02T06:00:00+02:00")
    assert p.odata_filter() == (
        "StartTime ge 2026-12-01T00:00:00Z and StartTime lt 2026-12-02T04:00:00Z"
    )
    with pytest.raises(UsageError, match=r"--from 'soon' is not a date"):
        Period.parse("soon", "2026-12-02")
    with pytest.raises(UsageError, match=r"ends .* before it starts"):
        Period.parse("2026-12-02", "2026-12-02")


def _wav(seconds: float = 0.1) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x01\x00" * int(8000 * seconds))
    return buf.getvalue()


def test_a_valid_wav_gives_its_facts(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    path.write_bytes(_wav(0.25))
    facts = check_wav(str(path), "rec 1")
    assert (facts.size, facts.seconds, facts.rate, facts.channels) == (4044, 0.25, 8000, 1)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda b: b"JUNK" + b[4:], "rec 1: not a RIFF/WAVE file."),
        (lambda b: b[:-10], "rec 1: its RIFF header says another length than 4034 bytes."),
        (lambda b: b + b"\x00" * 8, "rec 1: its RIFF header says another length than 4052 bytes."),
        (lambda b: b[:12], "rec 1: its RIFF header says another length than 12 bytes."),
        (lambda b: b"", "rec 1: not a RIFF/WAVE file."),
        (
            lambda b: b[:4] + struct.pack("<I", 12) + b"WAVEdata\x00\x00\x00\x00",
            "rec 1: not a readable WAV",
        ),
    ],
)
def test_damaged_wavs_are_refused(tmp_path: Path, damage: object, message: str) -> None:
    path = tmp_path / "a.wav"
    path.write_bytes(damage(_wav(0.25)))  # type: ignore[operator]
    with pytest.raises(BadRecording) as caught:
        check_wav(str(path), "rec 1")
    assert caught.value.message.startswith(message)
