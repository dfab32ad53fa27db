"""Warm-start kernels: each run still gets its own fresh kernel process with a clean namespace, but
that process is forked from a server that has already imported pandas, matplotlib, seaborn,
statsmodels and pkoresearch, instead of starting a new interpreter and importing them again.

- :class:`ForkProvisioner` is a ``jupyter_client`` kernel provisioner (the supported way to change
  how a kernel process starts; registered as ``pkoresearch-warm`` in the entry-point group
  ``jupyter_client.kernel_provisioners``, so a kernelspec can name it). For an ipykernel command
  (``python -m ipykernel_launcher ...``) it asks a fork server for the process; for any other
  kernel, or where the server cannot start, it starts the kernel cold as ``LocalProvisioner``
  does, and logs why.
- :class:`WarmKernelManager` is the ``AsyncKernelManager`` that uses it; papermill takes it as
  ``kernel_manager_class`` (:func:`papermill_options`).
- One fork server per worker process, Python executable and kernel environment, kept for the
  worker's life (a pool worker executes several runs) and ended when the worker exits; the
  server kills its kernels when the worker's end of the socket closes, and kernels die with the
  server. See ``pkoresearch.batch._forkserver`` for what is preloaded and how a child becomes a
  kernel.

Where ``fork`` is not available (not Linux), :func:`resolve_start` says so and the batch runs cold.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import DottedObjectName, Type

from pkoresearch.batch._forkserver import READY_TIMEOUT
from pkoresearch.errors import PkoError

PROVISIONER_NAME = "pkoresearch-warm"
WARM, COLD = "warm", "cold"
# variables that differ per kernel and do not change what the server imported
# set per kernel (or per run: a shipped run's private cache and report folders), not a reason for
# a new server; the forked kernel takes them from its own environment
PER_KERNEL_ENV = (
    "JPY_PARENT_PID",
    "JPY_SESSION_NAME",
    "PKORESEARCH_CACHE",
    "PKORESEARCH_REPORTS",
    "PKORESEARCH_FIGURE_FORMATS",
)
START_TIMEOUT = 180.0  # seconds for the server to import the stack on a loaded machine
# READY_TIMEOUT: seconds a forked kernel may take to start and bind its sockets (well under a
# second on a quiet machine), sent with each fork; the server kills one that has not by then, and
# the kernel starts cold
# seconds to wait for the server's answer, beyond READY_TIMEOUT for a fork (a poll is a waitpid);
# a server that does not answer in time is closed (its kernels die with it) and the kernel starts
# cold, so that no wait is without end
ANSWER_TIMEOUT = 30.0
# seconds to wait for the idle status of a kernel_info request before asking again (a kernel
# answers within milliseconds once IOPub is connected)
IDLE_WAIT = 0.05
# forks tried per kernel when the kernel fails in its start-up, each with new ports
START_ATTEMPTS = 3
log = logging.getLogger(__name__)


class WarmStartError(PkoError):
    """The fork server could not start or answer."""


class KernelStartFailed(WarmStartError):
    """A forked kernel failed in its start-up (most often: a port of its connection file was
    taken by another process after the client chose it)."""


def warm_available() -> tuple[bool, str]:
    """Whether kernels can be forked here, and if not, why."""
    if not sys.platform.startswith("linux"):
        return False, f"warm start needs fork on Linux; this is {sys.platform}"
    if not hasattr(os, "fork") or not hasattr(socket, "send_fds"):
        return False, "warm start needs os.fork and socket.send_fds"
    return True, ""


def resolve_start(warm: bool | None, kernel: str | None = None) -> tuple[str, str]:
    """The kernel start used by a batch: ``("warm" | "cold", note)``. ``warm=None`` means the
    default: warm where available. Asking for warm where fork is unavailable, or for a
    ``kernel`` whose kernelspec is not an ipykernel of this interpreter (:func:`cold_reason`),
    falls back to cold; the note says so. Each run records how its own kernel started
    (:func:`launches`): a kernel may still start cold in a warm batch."""
    if warm is False:
        return COLD, "cold: a new interpreter per kernel (--cold)"
    ok, why = warm_available()
    if not ok:
        return COLD, f"cold: {why}"
    if kernel is not None:
        try:
            cmd, _ = kernel_command(kernel)
        except Exception:  # noqa: BLE001 - no such kernel: the runs themselves say so
            cmd = None
        why = cold_reason(cmd) if cmd is not None else ""
        if why:
            return COLD, f"cold: kernelspec {kernel!r}: {why}"
    return WARM, "warm: kernels forked from a server with the stack preloaded"


def papermill_options(start: str) -> dict[str, Any]:
    """Keyword arguments for ``papermill.execute_notebook`` that select the kernel start."""
    return {"kernel_manager_class": WarmKernelManager} if start == WARM else {}


# --------------------------------------------------------------------------------------------------
# the worker's side of a fork server


def _server_env(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k not in PER_KERNEL_ENV}


class ForkServer:
    """A running fork server and the worker's end of its socket. Thread-safe. ``options``: the
    kernelspec's interpreter options (``-X...``, ``-E``, ``-O`` ...), given to the server's own
    command line, so that its kernels run in an interpreter started exactly as a cold kernel's
    (``sys.flags``, ``sys._xoptions``, ``sys.warnoptions``, optimisation level, isolation, the
    start-up warning filters and unbuffered streams are all set at interpreter start-up and
    survive ``fork``)."""

    def __init__(self, python: str, env: dict[str, str], options: tuple[str, ...] = ()):
        self.python = python
        self.options = tuple(options)
        self.env = _server_env(env)
        self.lock = threading.Lock()
        self.broken = ""  # why the server was given up (then it is closed)
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.errors = tempfile.TemporaryFile()
        # -c puts "" first on sys.path (not with -I or -P): the server does not import from the
        # folder it starts in, as ipykernel_launcher does not
        code = (
            "import sys; sys.path[:1] == [''] and sys.path.pop(0); "
            f"from pkoresearch.batch._forkserver import main; main({theirs.fileno()})"
        )
        try:
            self.proc = subprocess.Popen(
                [python, *self.options, "-c", code],
                pass_fds=[theirs.fileno()],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self.errors,
                cwd=os.path.expanduser("~") if os.path.isdir(os.path.expanduser("~")) else "/",
            )
        finally:
            theirs.close()
        self.sock.settimeout(START_TIMEOUT)
        try:
            self.ready = self._receive()
        except (OSError, ValueError) as exc:
            self._end(10.0)
            tail = self._stderr_tail()  # before close() closes the file it is in
            self.close()
            raise WarmStartError(
                f"the fork server ({python}) did not start: {exc}; {tail}"
            ) from exc
        self.sock.settimeout(None)
        if self.ready.get("threads", 1) != 1:
            self.close()
            raise WarmStartError(
                f"the fork server had {self.ready['threads']} threads after "
                "importing; expected 1 (forked kernels would miss them)"
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _receive(self) -> dict[str, Any]:
        data = self.sock.recv(1 << 20)
        if not data:
            raise OSError("the fork server closed its socket")
        return json.loads(data)

    def _stderr_tail(self) -> str:
        try:
            self.errors.seek(0)
            text = self.errors.read().decode(errors="replace").strip()
        except (OSError, ValueError):
            return "no stderr"
        return "stderr: " + (text[-1500:] if text else "(empty)")

    def request(
        self, msg: dict[str, Any], fds: list[int] | None = None, timeout: float | None = None
    ) -> dict[str, Any]:
        """Send one request and return its answer. A server that does not answer within
        ``timeout`` seconds, or whose socket fails, is closed (a late answer would be taken for
        the next request's): its kernels die with it, and :func:`server_for` starts another."""
        timeout = ANSWER_TIMEOUT if timeout is None else timeout
        with self.lock:
            if self.broken:
                raise WarmStartError(f"the fork server (pid {self.pid}) was closed: {self.broken}")
            try:
                self.sock.settimeout(timeout)
                if fds:
                    socket.send_fds(self.sock, [json.dumps(msg).encode()], fds)
                else:
                    self.sock.send(json.dumps(msg).encode())
                reply = self._receive()
            except (OSError, ValueError) as exc:
                why = (
                    f"no answer to {msg.get('op')!r} within {timeout:g} s"
                    if isinstance(exc, TimeoutError)
                    else str(exc)
                )
                self.broken = why
                self._end(2.0)
                raise WarmStartError(
                    f"the fork server (pid {self.pid}) stopped answering: "
                    f"{why}; {self._stderr_tail()}"
                ) from exc
        if "error" in reply:
            raise (KernelStartFailed if reply.get("start_failed") else WarmStartError)(
                reply["error"]
            )
        return reply

    def _end(self, timeout: float) -> None:
        """Close the socket: the server kills its kernels and exits; one that has not exited
        after ``timeout`` seconds (busy or stuck) is killed, and its kernels die with it."""
        try:
            self.sock.close()
        finally:
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def fork(
        self,
        argv: list[str],
        cwd: str,
        env: dict[str, str],
        stdout: int,
        stderr: int,
        orig_argv: list[str] | None = None,
    ) -> int:
        """Fork a kernel with ipykernel's arguments ``argv``; ``orig_argv``: the kernel's whole
        command (its ``sys.orig_argv``, as a cold kernel's). Returns its pid."""
        msg = {"op": "fork", "argv": argv, "cwd": cwd, "env": env, "timeout": READY_TIMEOUT}
        if orig_argv is not None:
            msg["orig_argv"] = orig_argv
        return self.request(msg, [stdout, stderr], READY_TIMEOUT + ANSWER_TIMEOUT)["pid"]

    def poll(self, pid: int) -> int | None:
        return self.request({"op": "poll", "pid": pid})["returncode"]

    def alive(self) -> bool:
        return not self.broken and self.proc.poll() is None

    def close(self, timeout: float = 10.0) -> None:
        """Close the socket: the server kills any kernel it still has and exits; wait for it."""
        try:
            self._end(timeout)
        finally:
            self.errors.close()


_servers: dict[tuple[str, ...], ForkServer] = {}
_failed: dict[str, str] = {}
_servers_lock = threading.Lock()


def server_for(python: str, env: dict[str, str], options: tuple[str, ...] = ()) -> ForkServer:
    """This process's fork server for ``python`` started with the interpreter ``options`` and the
    kernel environment ``env``, started on first use. A different environment (one that could
    change what the server imported) gets a new server; the old one is closed. A server that
    could not start is not retried."""
    options = tuple(options)
    key = json.dumps([python, list(options), sorted(_server_env(env).items())])
    which = (python, *options)
    with _servers_lock:
        if key in _failed:
            raise WarmStartError(_failed[key])
        srv = _servers.get(which)
        if srv is not None and (srv.env != _server_env(env) or not srv.alive()):
            _servers.pop(which).close()
            srv = None
        if srv is None:
            try:
                srv = _servers[which] = ForkServer(python, env, options)
            except WarmStartError as exc:
                _failed[key] = str(exc)
                raise
        return srv


def kernel_command(kernel_name: str) -> tuple[list[str], dict[str, str]]:
    """The command and extra environment of a kernelspec, with ``python`` resolved to this
    interpreter as ``jupyter_client`` resolves it."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(kernel_name)
    cmd = list(spec.argv)
    major, minor = sys.version_info[:2]
    if cmd and cmd[0] in {"python", f"python{major}", f"python{major}.{minor}"}:
        cmd[0] = sys.executable
    return cmd, dict(spec.env or {})


def prestart(kernel_name: str) -> threading.Thread | None:
    """Start this process's fork server for ``kernel_name`` in the background (a pool worker
    does, when it starts, so that the server imports the stack while the batch is still being
    checked). The server is the one :func:`server_for` gives the first kernel; where it cannot
    start, that kernel says why and starts cold. Returns the thread, or None where the kernel
    cannot be forked."""
    try:
        cmd, extra = kernel_command(kernel_name)
    except Exception:  # noqa: BLE001 - no such kernel: the run itself says so
        return None
    if cold_reason(cmd) or not warm_available()[0]:
        return None
    python, options, _ = split_command(cmd)

    def start() -> None:
        try:
            server_for(python, {**os.environ, **extra}, options)
        except WarmStartError:  # kept in _failed: the first kernel reports it
            pass

    thread = threading.Thread(target=start, name="pkoresearch-fork-server-start", daemon=True)
    thread.start()
    return thread


def shutdown_servers() -> None:
    """Close every fork server of this process (their kernels are killed). Runs at exit."""
    with _servers_lock:
        while _servers:
            _servers.popitem()[1].close()


atexit.register(shutdown_servers)


def server_pids() -> list[int]:
    """Process ids of this process's fork servers (for tests and diagnostics)."""
    with _servers_lock:
        return [s.pid for s in _servers.values()]


# --------------------------------------------------------------------------------------------------
# the kernel provisioner


class ForkedProcess:
    """The subset of ``subprocess.Popen`` that ``LocalProvisioner`` uses, for a kernel forked by
    a fork server (its parent, which alone can reap it)."""

    stdin = stdout = stderr = None

    def __init__(self, server: ForkServer, pid: int):
        self.server, self.pid = server, pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                self.returncode = self.server.poll(self.pid)
            except WarmStartError:  # the server is gone, and its kernels died with it
                self.returncode = -signal.SIGKILL
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.01)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, signum: int) -> None:
        # unreaped until poll() says it ended, so the pid still names this kernel
        if self.returncode is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


# interpreter options a kernelspec may put before ``-m ipykernel_launcher`` (current ipykernel
# writes -Xfrozen_modules=off): the fork server is started with the same ones. Flags without an
# argument (several may share one dash, as in -Es) ...
_FLAGS = set("bBdEIOPqRsSuv")
# ... and options with one (-Xname=value or -X name=value, -Wignore or -W ignore)
_WITH_ARGUMENT = set("XW")


class NotWarm(ValueError):
    """A kernel command that a fork server cannot start (the message says why)."""


def _same_interpreter(python: str) -> bool:
    """Whether ``python`` is this interpreter in this environment: the same file reached from
    the same folder (a virtual environment's python is a link to the system's, in another
    folder, with other packages)."""
    if python == sys.executable:
        return True
    try:
        return os.path.samefile(python, sys.executable) and os.path.samefile(
            os.path.dirname(os.path.abspath(python)),
            os.path.dirname(os.path.abspath(sys.executable)),
        )
    except OSError:
        return False


def split_command(cmd: list[str]) -> tuple[str, tuple[str, ...], list[str]]:
    """``(python, interpreter options, ipykernel arguments)`` of an ipykernel command of this
    interpreter, e.g. ``[python, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", F]``
    -> ``(python, ("-Xfrozen_modules=off",), ["-f", F])``. Raises :class:`NotWarm` naming why
    for anything else: another interpreter or environment, a wrapper script, another module or
    language, an interpreter option not known here."""
    if not cmd:
        raise NotWarm("its argv is empty")
    python = cmd[0]
    if not _same_interpreter(python):
        what = (
            "another interpreter"
            if os.path.basename(python).startswith("python")
            else "a wrapper script or another program"
        )
        raise NotWarm(f"it runs {python} ({what}), not this interpreter ({sys.executable})")
    options: list[str] = []
    i = 1
    while i < len(cmd) and cmd[i].startswith("-") and cmd[i] not in ("-m", "-c", "-", "--"):
        arg = cmd[i]
        letters = arg[1:]
        if arg.startswith("--") or not letters:
            raise NotWarm(f"interpreter option {arg!r} is not one a fork server can take")
        for n, letter in enumerate(letters):
            if letter in _WITH_ARGUMENT:
                options.append(arg)
                if n == len(letters) - 1:  # -X name=value: the value is the next item
                    if i + 1 >= len(cmd):
                        raise NotWarm(f"interpreter option {arg!r} has no value")
                    i += 1
                    options.append(cmd[i])
                break
            if letter not in _FLAGS:
                raise NotWarm(f"interpreter option {arg!r} is not one a fork server can take")
        else:
            options.append(arg)
        i += 1
    if cmd[i : i + 2] != ["-m", "ipykernel_launcher"]:
        rest = " ".join(cmd[i : i + 2]) or "nothing"
        raise NotWarm(f"it runs {rest!r}, not '-m ipykernel_launcher'")
    return python, tuple(options), cmd[i + 2 :]


def cold_reason(cmd: list[str]) -> str:
    """Why a fork server cannot start the kernel command ``cmd`` ("" when it can)."""
    try:
        split_command(cmd)
    except NotWarm as exc:
        return str(exc)
    return ""


# how each kernel of this process started, in order (see launches)
_launched: list[dict[str, Any]] = []
_launched_lock = threading.Lock()


def _record(start: str, pid: int | None, parent: int | None, why: str = "") -> None:
    entry = {"start": start, "pid": pid, "parent_pid": parent}
    if why:
        entry["reason"] = why
    with _launched_lock:
        _launched.append(entry)


class launches:
    """Collects how the kernels started while the block runs (a worker executes one run at a
    time): ``with warm.launches() as started: ...``, then ``started`` lists one dict per
    kernel launch, ``{"start": "warm" | "cold", "pid", "parent_pid", "reason"}`` (reason: why a
    kernel of a warm batch started cold). Kernels started by :class:`WarmKernelManager` only."""

    def __enter__(self) -> list[dict[str, Any]]:
        with _launched_lock:
            self.first = len(_launched)
        self.found: list[dict[str, Any]] = []
        return self.found

    def __exit__(self, *exc: object) -> bool:
        with _launched_lock:
            self.found.extend(_launched[self.first :])
            del _launched[self.first :]
        return False


def describe(start: str, started: list[dict[str, Any]]) -> tuple[str, int | None]:
    """A run's ``kernel_start`` and its kernel's parent pid, from the batch's start (``"warm"``,
    or ``"cold: why"``) and the run's kernel launches (:class:`launches`; the last one ran the
    cells). Never says warm for a kernel that was not forked."""
    if start != WARM:
        note = start if start.startswith(COLD) else COLD
        return note, os.getpid()
    if not started:
        return "none: no kernel was started (the run failed before)", None
    last = started[-1]
    tries = f" (kernel {len(started)} of the run)" if len(started) > 1 else ""
    if last["start"] == WARM:
        return f"warm: forked by the fork server, pid {last['parent_pid']}{tries}", last[
            "parent_pid"
        ]
    return f"cold: {last.get('reason') or 'started cold'}{tries}", last["parent_pid"]


def batch_summary(note: str, summaries: list[dict[str, Any]]) -> tuple[str, dict[str, int]]:
    """The batch's ``kernel_start`` and its count of runs by start (``{"warm": n, "cold": m}``),
    from the batch's note (:func:`resolve_start`) and the runs' own ``kernel_start``: a batch
    asked to start warm whose kernels started cold says so."""
    counts = {WARM: 0, COLD: 0}
    for s in summaries:
        which = str(s.get("kernel_start") or "")
        if which.startswith(WARM):
            counts[WARM] += 1
        elif which.startswith(COLD):
            counts[COLD] += 1
    if not note.startswith(WARM) or not counts[COLD]:
        return note, counts
    if not counts[WARM]:
        return (
            "cold: asked for warm, but every kernel started cold (see each run's kernel_start)",
            counts,
        )
    return (
        f"mixed: {counts[WARM]} kernel(s) forked warm, {counts[COLD]} started cold "
        "(see each run's kernel_start)",
        counts,
    )


def _fd(stream: Any, default: int) -> int:
    if stream is None:
        return default
    return stream if isinstance(stream, int) else stream.fileno()


class ForkProvisioner(LocalProvisioner):
    """A kernel provisioner that forks ipykernels from a warm server (see the module docstring);
    otherwise exactly ``LocalProvisioner``."""

    warm = False

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        self.warm = False  # until forked (a restart may start cold)
        why = cold_reason(cmd) or (warm_available()[1] if not warm_available()[0] else "")
        if why:
            log.warning("warm start: %s; starting it cold", why)
            print(f"pkoresearch: kernel started cold: {why}", file=sys.stderr, flush=True)
            info = await super().launch_kernel(cmd, **kwargs)
            _record(COLD, self.pid, os.getpid(), why)
            return info
        python, options, _ = split_command(cmd)
        env = dict(kwargs.get("env") or os.environ)
        try:
            server = server_for(python, env, options)
            pid = self._fork(server, cmd, env, kwargs)
        except WarmStartError as exc:
            log.warning("warm start unavailable, starting the kernel cold: %s", exc)
            # not the ports a forked kernel that failed (or is dying with its server) may hold
            self._new_ports(env)
            print(
                f"pkoresearch: warm start unavailable, kernel started cold: {exc}",
                file=sys.stderr,
                flush=True,
            )
            info = await super().launch_kernel(cmd, **kwargs)
            _record(COLD, self.pid, os.getpid(), f"warm start unavailable: {exc}"[:500])
            return info
        _record(WARM, pid, server.pid)
        self.warm = True
        self.process = ForkedProcess(server, pid)  # type: ignore[assignment]
        self.pid = self.pgid = pid  # the child started its own session: its group is its pid
        self.cwd = kwargs.get("cwd") or os.getcwd()
        return self.connection_info

    def _fork(self, server: ForkServer, cmd: list[str], env: dict[str, str], kw: Any) -> int:
        """Fork the kernel; where it fails in its start-up, give it new ports and fork again
        (``START_ATTEMPTS`` in all)."""
        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                return server.fork(
                    split_command(cmd)[2],
                    str(kw.get("cwd") or os.getcwd()),
                    env,
                    _fd(kw.get("stdout"), 1),
                    _fd(kw.get("stderr"), 2),
                    orig_argv=list(cmd),
                )
            except KernelStartFailed as exc:
                if attempt == START_ATTEMPTS or not self._new_ports(env):
                    raise
                log.warning("warm start: %s; trying again with new ports", exc)
        raise AssertionError("unreachable")  # pragma: no cover

    def _new_ports(self, env: dict[str, str]) -> bool:
        """Choose new TCP ports for the kernel and rewrite the connection file its command
        names (as ``LocalProvisioner.pre_launch`` chose and wrote them); False where the
        transport is not TCP or no port was chosen at random."""
        from jupyter_client.connect import port_names
        from jupyter_client.provisioning.local_provisioner import LocalPortCache

        km = self.parent
        if km is None or km.transport != "tcp":
            return False
        if self.ports_cached:  # as pre_launch: all five from the cache
            cache = LocalPortCache.instance()
            for name in port_names:
                old = getattr(km, name)
                setattr(km, name, cache.find_available_port(km.ip))
                cache.return_port(old)
        else:  # the ports write_connection_file chose (not those set by configuration)
            chosen = getattr(km, "_random_port_names", None) or []
            if not chosen:
                return False
            for name in chosen:
                setattr(km, name, 0)
        km.cleanup_connection_file()
        km.write_connection_file(jupyter_session=env.get("JPY_SESSION_NAME", ""))
        self.connection_info = km.get_connection_info()
        return True

    async def wait(self) -> int | None:
        # as LocalProvisioner.wait, polling every 10 ms instead of 100 ms
        if not self.warm:
            return await super().wait()
        ret = 0
        if self.process:
            while await self.poll() is None:
                await asyncio.sleep(0.01)
            ret = self.process.returncode
            self.process = None
        return ret

    async def cleanup(self, restart: bool = False) -> None:
        await super().cleanup(restart=restart)
        if self.warm and self.pgid and self.process is None:
            # processes the kernel started and left behind (same session) do not outlive it
            try:
                os.killpg(self.pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


class WarmKernelClient(AsyncKernelClient):
    """``AsyncKernelClient`` that knows the kernel is ready as soon as IOPub has delivered the
    end of a ``kernel_info`` request (its ``idle`` status), instead of waiting for 0.2 s of
    silence on IOPub as the stock client does: a forked kernel is ready within ~0.1 s."""

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        sent: set[str] = set()
        reply = None
        wait = IDLE_WAIT
        while True:
            sent.add(self.kernel_info())
            if reply is None:
                reply = await self._reply_to(sent, min(1.0, max(deadline - time.monotonic(), 0)))
            # IOPub may connect after a request (a subscriber misses earlier messages): then its
            # idle status never comes, and the request is sent again (less and less often);
            # the idle status of any of them shows that IOPub is connected
            if reply is not None and await self._idle_after(sent, wait):
                self._handle_kernel_info_reply(reply)
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
            if reply is not None:
                wait = min(wait * 2, 0.5)

    # nbclient calls ``wait_for_ready``, which the base class bound to its own method when it was
    # defined: without this line the method above would never run
    wait_for_ready = _async_wait_for_ready

    async def _reply_to(self, msg_ids: set[str], wait: float) -> dict[str, Any] | None:
        end = time.monotonic() + wait
        while (left := end - time.monotonic()) > 0:
            try:
                msg = await self.shell_channel.get_msg(timeout=left)
            except Exception:  # noqa: BLE001 - queue.Empty
                return None
            if msg["parent_header"].get("msg_id") in msg_ids:
                return msg
        return None

    async def _idle_after(self, msg_ids: set[str], wait: float) -> bool:
        end = time.monotonic() + wait
        while (left := end - time.monotonic()) > 0:
            try:
                msg = await self.iopub_channel.get_msg(timeout=left)
            except Exception:  # noqa: BLE001 - queue.Empty
                return False
            if (
                msg["msg_type"] == "status"
                and msg["content"].get("execution_state") == "idle"
                and msg["parent_header"].get("msg_id") in msg_ids
            ):
                return True
        return False


class WarmKernelManager(AsyncKernelManager):
    """``AsyncKernelManager`` whose kernels start through :class:`ForkProvisioner`."""

    client_class = DottedObjectName("pkoresearch.batch.warm.WarmKernelClient")
    client_factory = Type(default_value=WarmKernelClient, klass=AsyncKernelClient, config=True)

    async def _async_pre_start_kernel(self, **kw: Any):
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or _new_id()
            self.provisioner = ForkProvisioner(
                kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self
            )
        return await super()._async_pre_start_kernel(**kw)

    async def _async_finish_shutdown(
        self, waittime: float | None = None, pollinterval: float = 0.1, restart: bool = False
    ) -> None:
        # a forked kernel exits within milliseconds of the shutdown reply: poll more often
        await super()._async_finish_shutdown(waittime, min(pollinterval, 0.01), restart)


def _new_id() -> str:
    import uuid

    return str(uuid.uuid4())
