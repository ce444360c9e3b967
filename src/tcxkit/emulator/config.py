"""Settings of one emulated PBX.

Everything that makes the emulator behave like a particular PBX lives here, so
a test can say "a 20.0.8 PBX whose tokens last two seconds" in one line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..auth import expires_in_is_minutes
from .limits import EdgeLimits

__all__ = ["DEFAULT_BUILDS", "DEFAULT_SECRET", "SECRET_ENV", "EmulatorConfig", "client_secret"]

#: The API key an emulator accepts unless told otherwise (documented, so not a secret).
DEFAULT_SECRET = "emulator-secret"
#: The environment variable both ``3cx emulator`` and ``python -m tcxkit.emulator`` read.
SECRET_ENV = "TCX_EMULATOR_SECRET"

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
    client_secret: str = DEFAULT_SECRET
    single_token: bool = True
    token_lifetime: int = 3600
    host: str = "127.0.0.1"
    port: int = 5001
    pbx_build: str | None = None
    #: The URL clients reach this PBX at (its FQDN, e.g. ``https://pbx.example.com``),
    #: used in ``@odata.context``; by default the address it listens on.  Never taken
    #: from the request's ``Host`` header, which any client can set.
    public_url: str | None = None
    #: Largest ``$top`` an ordinary entity set accepts (a real PBX: 100).
    max_top: int = 100
    #: Rows a report function returns at most (a real PBX: 20 000).
    report_cap: int = 20000
    #: A report answer of more rows than this is a 504 from the front proxy (0: never):
    #: a real PBX's long pulls time out; modelled by size so tests do not depend on speed.
    report_timeout_rows: int = 0
    #: What ``scale`` adds to the call log: ``basic`` (mostly one leg per call) or
    #: ``contact-centre`` (queues, agents, transfers, overflow, ring groups; emulator/callmix.py).
    call_mix: str = "basic"
    #: Keep at most this many entries in the request log.
    request_log_size: int = 5000
    #: ...and at most this many bytes of them (bodies are cut to ``LOGGED_BODY`` each).
    request_log_bytes: int = 16 * 1024 * 1024
    #: The web server's connection limits (timeouts, head sizes, connection cap), nginx's
    #: by default.  One server serves all PBXs of a fleet: the first config's count.
    edge: EdgeLimits = field(default_factory=EdgeLimits)
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
        if self.call_mix not in ("basic", "contact-centre"):
            from ..errors import ConfigurationError

            raise ConfigurationError(
                f"Unknown call mix {self.call_mix!r}.",
                hint="Use call_mix='basic' or call_mix='contact-centre'.",
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


def client_secret(secret_file: str | Path | None = None) -> str:
    """The API key to accept: from ``secret_file``, else ``$TCX_EMULATOR_SECRET``, else
    the documented default.

    The command lines take no secret value: arguments are visible to every user of the
    machine (``ps``), so the value comes from a file or the environment.
    """
    import os

    if secret_file is not None:
        try:
            secret = Path(secret_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            from ..errors import ConfigurationError

            raise ConfigurationError(
                f"Cannot read the client secret file {str(secret_file)!r}: "
                f"{getattr(exc, 'strerror', None) or exc}.",
                hint="Give a readable text file holding only the secret.",
            ) from None
        if not secret:
            from ..errors import ConfigurationError

            raise ConfigurationError(
                f"The client secret file {str(secret_file)!r} is empty.",
                hint="Write the secret into it, or leave --client-secret-file out.",
            )
        return secret
    return os.environ.get(SECRET_ENV) or DEFAULT_SECRET
