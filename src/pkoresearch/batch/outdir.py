"""The batch's output folder: one runner at a time (a lock), no stale temporary entries, and a
clear message when the folder cannot be written.

The lock is ``<output>/.pkoresearch.batch.lock``, taken with ``filelock`` (an ``flock`` on POSIX, which
the operating system releases when the holder dies, even by ``kill -9``). Beside it,
``.pkoresearch.batch.lock.json`` names the holder (pid, host, batch id, start time) so that a second
runner can say who is writing, and a worker can check before it publishes a run that the batch
it belongs to still holds the folder (:func:`batch_is_current`).

Whoever holds the lock knows that every temporary entry the runner made in the folder belongs to
its own batch or to a runner that died: :func:`clean_stale` removes them at start and end. It
removes only names the runner can prove it made (:func:`pkoresearch.batch.atomic.own_name`: a random
part followed by its checksum); a user's own ``.tmp-draft/`` or ``.old-thesis-1a2b3c4d/`` is left
alone.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pkoresearch.batch import atomic
from pkoresearch.errors import PkoError

LOCK_NAME = ".pkoresearch.batch.lock"
INFO_NAME = ".pkoresearch.batch.lock.json"


class OutputFolderError(PkoError, OSError):
    """The output folder cannot be used: not writable, full, or held by another runner."""


class OutputFolderBusy(OutputFolderError):
    """Another runner holds the output folder's lock."""


def _holder(out: Path) -> str:
    try:
        info = json.loads((out / INFO_NAME).read_text(encoding="utf-8"))
        return f"pid {info.get('pid')} on {info.get('host')}, started {info.get('started')}"
    except (OSError, ValueError, AttributeError):
        return "holder unknown"


class OutputLock:
    """Hold ``out``'s lock for a batch: ``with OutputLock(out, wait=60) as lock: ...``.

    ``wait``: seconds to wait for another runner to finish (0: do not wait). Raises
    :class:`OutputFolderBusy` naming the holder when the wait runs out, and
    :class:`OutputFolderError` when the folder cannot be created or written.
    """

    def __init__(self, out: str | os.PathLike[str], wait: float = 0.0):
        self.out = Path(out)
        self.wait = wait
        self.batch = uuid.uuid4().hex
        self._lock: Any = None

    def __enter__(self) -> OutputLock:
        from filelock import FileLock, Timeout

        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputFolderError(
                f"output folder {self.out}: cannot create it ({exc.strerror or exc}); expected a "
                "writable folder (choose another with --output)"
            ) from None
        lock = FileLock(str(self.out / LOCK_NAME), timeout=max(self.wait, 0.0), thread_local=False)
        try:
            lock.acquire()
        except Timeout:
            raise OutputFolderBusy(
                f"output folder {self.out} is in use by another pkoresearch run "
                f"({_holder(self.out)}); waited {self.wait:g} s. Wait for it to finish, give "
                "--wait SECONDS, or choose another --output"
            ) from None
        except OSError as exc:
            raise OutputFolderError(
                f"output folder {self.out}: cannot write to it ({exc.strerror or exc}); expected "
                "a writable folder (choose another with --output)"
            ) from None
        self._lock = lock
        try:
            atomic.write_text(
                self.out / INFO_NAME,
                json.dumps(
                    {
                        "pid": os.getpid(),
                        "host": socket.gethostname(),
                        "batch": self.batch,
                        "started": datetime.now(UTC).isoformat(timespec="seconds"),
                    }
                )
                + "\n",
            )
        except OSError as exc:
            self.release()
            raise OutputFolderError(
                f"output folder {self.out}: cannot write to it ({exc.strerror or exc}); expected "
                "a writable folder with free space (choose another with --output)"
            ) from None
        return self

    def release(self) -> None:
        if self._lock is not None:
            try:
                (self.out / INFO_NAME).unlink()
            except OSError:
                pass
            self._lock.release()
            self._lock = None

    def __exit__(self, *exc: object) -> bool:
        self.release()
        return False


def _lock_is_held(out: Path) -> bool | None:
    """True when some process holds ``out``'s lock, False when nobody does, None when this
    cannot be told here (no ``flock``)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    try:
        fd = os.open(out / LOCK_NAME, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return False
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return None
    finally:
        os.close(fd)  # closing releases a lock the probe got
    return False


def batch_is_current(out: str | os.PathLike[str], batch: str | None) -> bool:
    """Whether the batch ``batch`` still holds ``out`` (always True for ``batch=None``: a run
    executed outside a batch). A worker whose runner died or was replaced must not publish."""
    if batch is None:
        return True
    out = Path(out)
    if _lock_is_held(out) is False:
        return False
    try:
        info = json.loads((out / INFO_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(info, dict) and info.get("batch") == batch


def clean_stale(out: str | os.PathLike[str]) -> list[str]:
    """Remove every temporary entry of ``out`` that the runner made (``.tmp-*`` and ``.old-*``
    names from :func:`pkoresearch.batch.atomic.own_name`; call only while holding its lock: they are
    then left by this batch or by a runner that died). Other entries, a user's ``.tmp-notes.txt``
    included, are never touched. An ``.old-<run>-*`` folder whose ``runs/<run>`` is missing is
    the last good report of a run interrupted while it was being replaced: it is moved back.
    Returns the names removed or moved back."""
    removed = []
    try:
        entries = list(Path(out).iterdir())
    except OSError:
        return removed
    for p in entries:
        own = atomic.is_own_name(p.name)
        if own is None:
            continue
        prefix, stem = own
        if prefix == atomic.OLD_PREFIX and p.is_dir() and not p.is_symlink():
            final = Path(out) / "runs" / stem
            if not final.exists():  # died between moving the last good report away and
                try:  # putting the new one in place: put the good one back
                    p.rename(final)
                    removed.append(p.name)
                    continue
                except OSError:
                    pass
        try:
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
            removed.append(p.name)
        except OSError:
            pass
    return sorted(removed)
