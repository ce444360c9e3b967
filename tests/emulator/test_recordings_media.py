"""The emulator's recordings (#26): as many as asked, cheap, valid WAVs, optional corruption."""

from __future__ import annotations

import hashlib
import io
import time
import wave
from datetime import datetime

from tcxkit.emulator import EmulatorConfig, running

from .conftest import Connect


def test_500_recordings_cheaply_each_a_valid_distinct_wav(connect: Connect) -> None:
    began = time.perf_counter()
    with running(EmulatorConfig(options={"recordings": 500, "corrupt_recordings": [9]})) as e:
        started = time.perf_counter() - began
        with connect(e) as api:
            page = api.get("/Recordings", params={"$count": "true", "$top": "100"}).json()
            assert page["@odata.count"] == 500
            hashes = set()
            for row in page["value"][:12]:
                r = api.get(f"/Recordings/Pbx.DownloadRecording(recId={row['Id']})")
                assert r.status_code == 200 and r.headers["content-type"] == "audio/x-wav"
                if row["Id"] == 9:
                    assert r.content[:4] == b"JUNK" and r.content[8:12] == b"WAVE"
                    continue
                with wave.open(io.BytesIO(r.content)) as w:
                    seconds = w.getnframes() / w.getframerate()
                start = datetime.fromisoformat(row["StartTime"].replace("Z", "+00:00"))
                end = datetime.fromisoformat(row["EndTime"].replace("Z", "+00:00"))
                assert seconds == min(3.0, max(0.5, (end - start).total_seconds()))
                assert row["FromCallerNumber"] and row["ToCallerNumber"] and row["CallType"]
                hashes.add(hashlib.sha256(r.content).hexdigest())
            assert len(hashes) == 11
    assert started < 10  # rows only; the audio is made per download


def test_the_demo_keeps_twenty_recordings_by_default(connect: Connect) -> None:
    with running(EmulatorConfig()) as e, connect(e) as api:
        page = api.get("/Recordings", params={"$count": "true", "$top": "1"}).json()
        assert page["@odata.count"] == 20


def test_the_recordings_flag_reaches_the_config() -> None:
    from click.testing import CliRunner

    from tcxkit.emulator.cli import _domain_options, command

    assert _domain_options({"time_zone": None, "recordings": 500}) == {"recordings": 500}
    assert _domain_options({"time_zone": "UTC", "recordings": None}) == {"time_zone": "UTC"}
    r = CliRunner().invoke(command(), ["--recordings", "5000"])
    assert r.exit_code == 2 and "--recordings" in r.output and "0<=x<=2000" in r.output
