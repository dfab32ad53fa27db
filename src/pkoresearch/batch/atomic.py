"""Replace a file all at once: readers see the old content or the new one, never a mix or a
truncated file, and a full disk leaves the old file as it was.

The new content goes to a temporary file in the same folder (``.tmp-<name>-<tag>``, a name made
by :func:`own_name` so that the runner's clean-up of stale entries knows it for its own and
removes it after a crash), is flushed and fsynced, then
``os.replace`` puts it in place and the folder is fsynced. ``os.replace`` renames onto the name
itself: when ``path`` is a symbolic link, the link is replaced by a regular file and its target is
left untouched.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path

TMP_PREFIX = ".tmp-"
OLD_PREFIX = ".old-"
_OWN = re.compile(r"(\.tmp-|\.old-)(.+)-([0-9a-f]{8})([0-9a-f]{8})")


def _check(prefix: str, stem: str, nonce: str) -> str:
    return hashlib.sha256(f"pkoresearch:{prefix}{stem}-{nonce}".encode()).hexdigest()[:8]


def own_name(prefix: str, stem: str) -> str:
    """A new temporary name ``<prefix><stem>-<nonce><check>`` (``prefix`` ``.tmp-`` or ``.old-``;
    8 random hex digits, then 8 hex digits of a SHA-256 of the rest): a name only pkoresearch
    makes, so that a clean-up can tell its own leftovers from a user's ``.tmp-draft`` or
    ``.old-thesis-1a2b3c4d`` (a name typed by hand matches by chance once in 4 billion).

    >>> own_name(".tmp-", "manifest.json")  # doctest: +SKIP
    '.tmp-manifest.json-5f0c2a9e1b7d3c44'
    """
    nonce = secrets.token_hex(4)
    return f"{prefix}{stem}-{nonce}{_check(prefix, stem, nonce)}"


def is_own_name(name: str) -> tuple[str, str] | None:
    """``(prefix, stem)`` when ``name`` was made by :func:`own_name`, else None."""
    m = _OWN.fullmatch(name)
    if m is None or _check(m.group(1), m.group(2), m.group(3)) != m.group(4):
        return None
    return m.group(1), m.group(2)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows cannot open a folder
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on folders
        pass
    finally:
        os.close(fd)


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Replace ``path`` with ``data`` atomically; on any failure (e.g. ``ENOSPC``) the previous
    file is unchanged, the temporary file is removed and the ``OSError`` propagates.

    >>> write_bytes("manifest.json", b"{}")  # doctest: +SKIP
    """
    path = Path(path)
    folder = path.parent
    tmp = folder / own_name(TMP_PREFIX, path.name)
    # O_EXCL|O_NOFOLLOW: never write through a link someone placed at the temporary name
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags, 0o644)
    try:
        with os.fdopen(fd, "wb") as fh:
            view = memoryview(data)
            while view:
                written = fh.write(view)
                view = view[written:]
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(folder)
    return path


def write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Replace ``path`` with ``text`` atomically (see :func:`write_bytes`)."""
    return write_bytes(path, text.encode(encoding))
