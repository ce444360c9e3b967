"""Settings of one emulated PBX.

Everything that makes the emulator behave like a particular PBX lives here, so
a test can say "a 20.0.8 PBX whose tokens last two seconds" in one line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..auth import expires_in_is_minutes

__all__ = ["DEFAULT_BUILDS", "EmulatorConfig"]

#: The ``X-3CX-Version`` a PBX of each release reports.  Build numbers are
#: illustrative (only 20.0.10.1621 is taken from the field); override them
#: with ``EmulatorConfig(pbx_build=...)``.
DEFAULT_BUILDS: dict[str, str] = {
    "20.0.4": "20.0.4.952",
    "20.0.5": "20.0.5.977",
    "20.0.6": "20.0.6.1049",
    "20.0.7": "20.0.7.1057",
    "20.0.8": "20.0.8.1109",
    "20.0.9": "20.0.9.1446",
    "20.0.10": "20.0.10.1621",
}


@dataclass
class EmulatorConfig:
    """How the emulated PBX looks and behaves.

    ``data`` is ``"demo"`` (seeded by the domain package's ``on_start`` hooks)
    or ``"empty"``; ``scale`` asks the seeders for that many extra rows.
    ``single_token`` reproduces 3CX's one-active-token-per-client rule.
    ``token_lifetime`` is in seconds; tests make tokens expire either with a
    tiny lifetime or through ``POST /emulator/tokens/expire``.
    """

    version: str = "20.0.10"
    db: str | Path | None = None
    data: str = "demo"
    scale: int = 0
    client_id: str = "tcxkit-emulator"
    client_secret: str = "emulator-secret"
    single_token: bool = True
    token_lifetime: int = 3600
    host: str = "127.0.0.1"
    port: int = 5001
    pbx_build: str | None = None
    #: Largest ``$top`` an ordinary entity set accepts (a real PBX: 100).
    max_top: int = 100
    #: Rows a report function returns at most (a real PBX: 20 000).
    report_cap: int = 20000
    #: Status for a wrongly typed function parameter; a real PBX answers 500.
    function_literal_status: int = 500
    #: Keep at most this many entries in the request log.
    request_log_size: int = 5000
    #: Extra knobs for domain modules (``config.options["..."]``).
    options: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from ..catalog import RELEASES

        if self.version in ("latest", "default"):
            from ..catalog import DEFAULT_RELEASE

            self.version = DEFAULT_RELEASE
        if self.version not in RELEASES:
            from ..errors import ConfigurationError

            raise ConfigurationError(
                f"The emulator cannot play 3CX release {self.version!r}.",
                hint="Choose one of: " + ", ".join(RELEASES) + ".",
            )
        if self.data not in ("demo", "empty"):
            from ..errors import ConfigurationError

            raise ConfigurationError(
                f"Unknown emulator data set {self.data!r}.",
                hint="Use data='demo' (sample PBX) or data='empty'.",
            )
        if self.token_lifetime <= 0:
            from ..errors import ConfigurationError

            raise ConfigurationError(
                f"token_lifetime must be positive seconds, got {self.token_lifetime}.",
                hint="Use e.g. token_lifetime=3600, or POST /emulator/tokens/expire in tests.",
            )

    @property
    def build(self) -> str:
        """The full PBX version string sent as ``X-3CX-Version``."""
        return self.pbx_build or DEFAULT_BUILDS.get(self.version, f"{self.version}.0")

    @property
    def expires_in(self) -> int:
        """The ``expires_in`` number of a token answer, in this release's unit."""
        if expires_in_is_minutes(self.version):
            return max(1, self.token_lifetime // 60)
        return self.token_lifetime
