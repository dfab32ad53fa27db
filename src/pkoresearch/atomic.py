"""Replace a file all at once: readers see the old content or the new one, never a mix or a
truncated file, and a full disk leaves the old file as it was.

The new content goes to a temporary file in the same folder (``.tmp-<name>-<random>``, so the
runner's clean-up of stale ``.tmp-*`` entries also covers it), is flushed and fsynced, then
``os.replace`` puts it in place and the folder is fsynced. ``os.replace`` renames onto the name
itself: when ``path`` is a symbolic link, the link is replaced by a regular file and its target is
left untouched.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

TMP_PREFIX = ".tmp-"


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
    tmp = folder / f"{TMP_PREFIX}{path.name}-{secrets.token_hex(4)}"
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
