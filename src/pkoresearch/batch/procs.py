"""No process of a batch outlives the runner: pool workers and the Jupyter kernels they start
die with their parent, whether the runner ends normally, is stopped by SIGTERM or killed by
``kill -9``.

The mechanism, in three layers (apply the same to any new way of starting workers or kernels,
e.g. a kernel fork server: every process the batch starts must get layer 1 from its own parent,
and layer 2 where it can run Python):

1. **Parent-death signal** (Linux). A process asks the kernel, with
   ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` through ctypes, to be killed when its parent dies. Pool
   workers call it in the pool initializer (:func:`worker_init`); kernels get it between fork and
   exec through ``preexec_fn`` (:func:`die_with_parent_preexec`), which
   :class:`DyingKernelManager` passes to ``jupyter_client``'s launcher (nbclient's
   ``kernel_manager_class`` trait, which papermill forwards). Two rules: the setting belongs to
   the *thread* that started the child (start children from a thread that lives as long as they
   should, e.g. the worker's main thread), and the parent may already be gone when the child asks,
   so the child checks ``os.getppid()`` against the pid it expects right after asking.
   The setting survives ``exec``, so a fork server that sets it in each forked child gets the same.
2. **Watchdog thread** (every POSIX system): :func:`start_watchdog` polls ``os.getppid()`` and
   ends the process with ``os._exit`` when the parent changed. ipykernel does the same for kernels
   launched by ``jupyter_client`` (``JPY_PARENT_PID``, ``ipykernel.parentpoller``).
3. **The runner cleans up after itself**: it shuts its pool down after a normal batch, and on
   SIGTERM kills its workers (whose kernels then die by layers 1 and 2) before it writes the
   manifest and exits; a worker about to publish a run first checks that its runner still holds the
   output folder's lock (:func:`pkoresearch.batch.outdir.batch_is_current`), so a worker that survived
   anyway (a remote Dask worker) never overwrites ``runs/``.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

PR_SET_PDEATHSIG = 1

_libc: Any = None


def _prctl() -> Any:
    global _libc
    if not sys.platform.startswith("linux"):
        return None
    if _libc is None:
        try:
            _libc = ctypes.CDLL(None, use_errno=True)
            _libc.prctl  # noqa: B018 - resolve the symbol now, not in a forked child
        except (OSError, AttributeError):  # pragma: no cover - no libc prctl
            _libc = False
    return _libc or None


def set_parent_death_signal(sig: int = signal.SIGKILL) -> bool:
    """Ask Linux to send ``sig`` to this process when its parent thread ends; False where this
    is not available (then rely on :func:`start_watchdog`)."""
    libc = _prctl()
    if libc is None:
        return False
    return libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0


def start_watchdog(parent_pid: int, interval: float = 0.5) -> threading.Thread:
    """A daemon thread that ends this process at once when its parent is no longer
    ``parent_pid`` (the parent died and the process was re-parented)."""

    def watch() -> None:
        while True:
            if os.getppid() != parent_pid:
                os._exit(3)
            threading.Event().wait(interval)

    t = threading.Thread(target=watch, name="pkoresearch-parent-watchdog", daemon=True)
    t.start()
    return t


def worker_init(parent_pid: int, warm_kernel: str | None = None) -> None:
    """Pool initializer: this worker dies with the runner (layers 1 and 2 above). With
    ``warm_kernel`` (the batch's kernel, started warm), the worker starts its fork server in the
    background now instead of at its first run (:func:`pkoresearch.batch.warm.prestart`), and imports
    what reads notebooks meanwhile."""
    set_parent_death_signal(signal.SIGKILL)
    if os.getppid() != parent_pid:  # the runner died before we asked
        os._exit(3)
    start_watchdog(parent_pid)
    from pkoresearch.batch._imports import notebook_readers

    if warm_kernel is not None:
        from pkoresearch.batch import warm

        warm.prestart(warm_kernel)
    notebook_readers()


def die_with_parent_preexec() -> Callable[[], None]:
    """A ``preexec_fn`` for ``subprocess.Popen``: the child is killed when the process that
    starts it (this one) dies. Everything is resolved before the fork."""
    parent = os.getpid()
    libc = _prctl()

    def preexec() -> None:
        if libc is not None:
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent:
            os._exit(3)

    return preexec


def _kernel_manager_class() -> type:
    from jupyter_client.manager import AsyncKernelManager

    class DyingKernelManager(AsyncKernelManager):
        """A kernel manager whose kernels are killed when the process that started them dies."""

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            if os.name == "posix":
                kw.setdefault("preexec_fn", die_with_parent_preexec())
            await super()._async_launch_kernel(kernel_cmd, **kw)

        _launch_kernel = _async_launch_kernel  # type: ignore[assignment]

    return DyingKernelManager


def __getattr__(name: str) -> Any:  # jupyter_client is imported only when a run needs it
    if name == "DyingKernelManager":
        cls = _kernel_manager_class()
        globals()[name] = cls
        return cls
    raise AttributeError(name)


def descendants(pid: int) -> list[int]:
    """Every living descendant of ``pid`` (from ``/proc``; empty where there is no ``/proc``)."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().decode("utf-8", "replace")
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if fields and fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


class Stopped(BaseException):
    """The runner received SIGTERM (a BaseException, like KeyboardInterrupt, so that no
    ``except Exception`` on the way swallows it)."""


class stop_on_sigterm:
    """While active (in the main thread), SIGTERM raises :class:`Stopped` once, so that the
    runner can stop its workers, write what it finished and exit; further SIGTERMs during that
    clean-up are ignored (``kill -9`` still ends everything, see the layers above)."""

    def __enter__(self) -> stop_on_sigterm:
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGTERM, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Stopped(f"stopped by signal {signum} (SIGTERM)")

    def __exit__(self, *exc: object) -> bool:
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)
        return False


def kill_pool(executor: Any) -> None:
    """Kill a ``ProcessPoolExecutor``'s workers at once (their kernels die with them)."""
    kill = getattr(executor, "kill_workers", None)  # Python 3.14+
    if kill is not None:
        kill()
        return
    for proc in list((getattr(executor, "_processes", None) or {}).values()):
        try:
            proc.kill()
        except (OSError, ValueError, AttributeError):
            pass


def started() -> int:
    """A task that does nothing: submitting one per worker starts the pool's workers (and their
    initializer) before the batch has its first run ready. Returns the worker's pid."""
    return os.getpid()
