"""Files that decide where API keys go, refused when someone else could change them.

An inventory (``fleet.toml``), the CLI's ``config.toml`` and the files holding
API keys are trusted: whoever can rewrite an inventory can point a PBX's entry
at their own server and receive its key.  So before such a file is read,
:func:`check_private` walks the file and every folder above it up to ``/``
and refuses (with the ``chmod`` or ``chown`` to run) when any of them is

* owned by someone other than the current user or root, or
* writable by group or others (``chmod go-w``).  A folder with the sticky bit
  (``/tmp``, mode 1777) is the exception: there others may add entries but not
  rename or remove anyone else's, and the entry below it must itself be owned
  by the user or root, so it cannot be swapped;

and, for a private file (one holding a secret, or an audit log), when it is
readable by group or others (``chmod 600``).  This is the one check for private
files: the CLI's config and keys, inventories, MCP's audit log and HTTP token.  Symbolic links are followed, and the folders of both the
path as given and the path it resolves to are checked.  Only POSIX systems
have these modes; elsewhere the check passes.

Writing one goes through :func:`open_private`, the one way tcxkit opens a file that
holds a secret or call data (the secret file, the token cache, the embedded emulator's
state, emulated fleets' key files, the events' cursor store and dead letters, MCP's
audit log and HTTP token, a local store's archives): created ``0600``, never through a
symbolic link (``O_NOFOLLOW``: a link planted at the name would send the secret where
its planter reads it), and refused when the file there is not a regular file, belongs
to another user or is writable by everyone.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import IO, Any

from .errors import ConfigurationError

__all__ = ["check_private", "open_private"]


def _user() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):  # pragma: no cover - a uid without a name
        return str(os.geteuid())


def _folders(path: Path) -> list[Path]:
    """Every folder above ``path`` as given and as resolved, nearest first, each once."""
    given = Path(os.path.abspath(path))
    seen: dict[Path, None] = {}
    for p in (given, path.resolve()):
        for parent in p.parents:
            seen.setdefault(parent, None)
    return list(seen)


_CHANGE = "whoever can change it decides where API keys go"


def _refuse(
    what: str, path: Path, problem: str, fix: str, why: str = _CHANGE
) -> ConfigurationError:
    return ConfigurationError(
        f"The {what} {path} {problem}; {why}, so it was not used.", hint=f"Run: {fix}"
    )


def check_private(
    path: str | os.PathLike[str],
    what: str,
    *,
    secret: bool = False,
    why: str = "it holds an API key",
    change: str = _CHANGE,
) -> None:
    """Refuse ``path`` (an existing file) when others could change it (module docstring).

    ``what`` names the file in the message (``"inventory"``, ``"secret file"``);
    ``secret`` also refuses a file others can read, ``why`` saying why it is private;
    ``change`` says why others must not change it (default: API keys' destination).  A file that cannot be looked at
    is left to the caller's own read, which reports why.
    """
    if os.name != "posix":  # pragma: no cover - no POSIX modes to check
        return
    p = Path(path)
    me = os.geteuid()
    try:
        st = p.stat()
    except OSError:
        return
    mode = st.st_mode
    if st.st_uid not in (me, 0):
        raise _refuse(
            what, p, f"belongs to another user (uid {st.st_uid})", f"chown {_user()} {p}", change
        )
    if secret and mode & 0o077:
        raise _refuse(
            what,
            p,
            f"is readable or writable by other users (mode {stat.filemode(mode)})",
            f"chmod 600 {p}",
            why,
        )
    if mode & 0o022:
        raise _refuse(
            what,
            p,
            f"is writable by other users (mode {stat.filemode(mode)})",
            f"chmod go-w {p}",
            change,
        )
    for folder in _folders(p):
        try:
            fst = folder.stat()
        except OSError:
            continue
        if fst.st_uid not in (me, 0):
            raise _refuse(
                what,
                p,
                f"is in a folder of another user ({folder}, uid {fst.st_uid})",
                f"chown {_user()} {folder}",
                change,
            )
        if fst.st_mode & 0o022 and not fst.st_mode & stat.S_ISVTX:
            raise _refuse(
                what,
                p,
                f"is in a folder other users can write to ({folder}, mode "
                f"{stat.filemode(fst.st_mode)})",
                f"chmod go-w {folder}",
                change,
            )


#: ``open_private`` modes: what ``open`` means by them, without truncating yet.
_FLAGS = {
    "w": os.O_WRONLY | os.O_CREAT,
    "a": os.O_WRONLY | os.O_CREAT | os.O_APPEND,
    "x": os.O_WRONLY | os.O_CREAT | os.O_EXCL,
}


def open_private(
    path: str | os.PathLike[str], mode: str = "w", *, what: str = "private file", **kwargs: Any
) -> IO[Any]:
    """``open(path, mode)`` for a private file (module docstring): ``w``, ``a`` or ``x``,
    text or binary (``kwargs`` as for :func:`open`, e.g. ``encoding``).

    A new file is created ``0600``; one that exists is refused (:class:`ConfigurationError`
    naming ``what`` and the fix) when it is a symbolic link or not a regular file, belongs
    to another user, or is writable by everyone.  ``w`` truncates only after those checks
    and, since the content is then all ours, tightens the mode to ``0600``; ``a`` keeps the
    mode (the caller's :func:`check_private` decides whether others may read it).
    """
    if mode.rstrip("bt") not in _FLAGS:
        raise ValueError(f"open_private: mode {mode!r} is not w, a or x (b or t allowed)")
    p = Path(path)
    flags = _FLAGS[mode[0]] | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(p, flags, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # O_NOFOLLOW met a link
            raise _refuse(what, p, "is a symbolic link", f"rm {p}", _LINK) from None
        raise
    try:
        _check_opened(fd, p, what)
        if mode[0] == "w":
            if os.name == "posix":
                os.fchmod(fd, 0o600)
            os.ftruncate(fd, 0)
        return open(fd, mode.replace("x", "w"), **kwargs)
    except BaseException:
        os.close(fd)
        raise


_LINK = "tcxkit writes its private files itself, never through a link someone else placed"


def _check_opened(fd: int, path: Path, what: str) -> None:
    if os.name != "posix":  # pragma: no cover - no POSIX modes to check
        return
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise _refuse(what, path, "is not a regular file", f"rm {path}", _LINK)
    if st.st_uid not in (os.geteuid(), 0):
        raise _refuse(what, path, f"belongs to another user (uid {st.st_uid})", f"rm {path}", _LINK)
    if st.st_mode & 0o002:
        raise _refuse(
            what,
            path,
            f"is writable by every user (mode {stat.filemode(st.st_mode)})",
            f"chmod o-w {path}",
            "anyone could change what it holds",
        )
