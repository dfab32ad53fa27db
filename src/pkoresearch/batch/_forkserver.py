"""The fork server behind warm kernel starts (see :mod:`pkoresearch.batch.warm`, which starts and talks
to it). Runs in its own interpreter, the kernel's Python, started as

    python [OPTIONS] -c "...; from pkoresearch.batch._forkserver import main; main(FD)"

with the interpreter options of the kernelspec (``-Xfrozen_modules=off``, ``-E``, ``-O`` ...), so
that everything Python sets at start-up (``sys.flags``, ``-X`` and ``-W`` options, the start-up
warning filters) is what a cold kernel has, and where FD is one end of a Unix ``SOCK_SEQPACKET`` socket pair whose other end the worker keeps.

It imports the heavy modules once (``PRELOAD``), with the BLAS thread count fixed through the
environment before numpy loads and matplotlib's backend chosen as ipykernel would choose it, and
opens no sockets and starts no threads. Then, per request, it forks: the child starts a new
session (as ``jupyter_client`` does for a cold kernel), dies with the server
(``PR_SET_PDEATHSIG``), takes the worker's stdout/stderr (passed as file descriptors), the kernel's
working folder and environment, and becomes an ipykernel (``IPKernelApp`` with the connection
file). Every kernel is a fresh process with a clean namespace; the server itself never runs
notebook code.

Requests (JSON, one per packet) and replies:

- ``{"op": "fork", "argv": [...], "cwd": ..., "env": {...}, "timeout": seconds,
  "orig_argv": [...]}`` (``argv``: ipykernel's arguments; ``orig_argv``, optional: the kernel's
  whole command, its ``sys.orig_argv``) with two
  file descriptors (the kernel's stdout and stderr) -> ``{"pid": N}`` once the kernel has bound
  its sockets (an ``error`` when it failed to start, with ``"start_failed": true``, or had not
  started within ``timeout`` seconds, default ``READY_TIMEOUT``; either way it is killed);
- ``{"op": "poll", "pid": N}`` -> ``{"returncode": None | int}`` (negative: killed by that signal).
  A child is reaped only here, so its pid cannot be reused while the worker may still signal it.

End of file on the socket (the worker closed it, or died) makes the server kill every kernel it
still has (their whole process groups) and exit. This module imports only the standard library
at module level: the worker imports nothing heavy by starting it.

Why our own server and not a library's:

- the standard library's ``multiprocessing`` ``forkserver`` start method (with
  ``set_forkserver_preload``) starts its server from the *calling* interpreter
  (``spawn.get_executable()`` with ``util._args_from_interpreter_flags()``), not from the
  kernelspec's command and interpreter options; its children run a pickled target through
  ``multiprocessing``'s bootstrap (which closes stdin) and inherit the server's stdout/stderr,
  not the requesting worker's; and the server reaps each child itself on ``SIGCHLD``, so a pid
  could be reused while ``jupyter_client`` may still signal it (here a child is reaped only
  when the worker polls it);
- pools of kernels started ahead of time (for example jupyter_kernel_gateway's
  ``prespawn_count``, or a pool kept by the runner): each pooled kernel still starts cold and
  imports everything itself (the cost moves earlier, it does not go), and handing one kernel
  several notebooks would break the fresh namespace every run must have;
- ``jupyter_client`` itself starts kernels through provisioners (``LocalProvisioner``:
  ``subprocess.Popen`` of the kernel command) and offers no fork-based start; the supported way
  to change that is a provisioner, which is what :mod:`pkoresearch.batch.warm` adds, with this
  module as its server.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import json
import os
import select
import signal
import socket
import sys
import threading
import time
import traceback

# Imported once by the server. Not pkoresearch.figures.plots: it chooses its backend by asking whether it
# runs inside a kernel, and sets the theme, at import; a notebook's own import must do that.
PRELOAD = (
    "numpy",
    "scipy",
    "scipy.stats",
    "scipy.special",
    "scipy.optimize",
    "pandas",
    "matplotlib",
    "matplotlib.pyplot",
    "matplotlib.backends.backend_agg",
    "matplotlib.ticker",
    "matplotlib.patches",
    "seaborn",
    "statsmodels.api",
    "statsmodels.formula.api",
    "statsmodels.duration.survfunc",
    "statsmodels.stats.proportion",
    "pandera.pandas",
    "country_converter",
    "yaml",
    "IPython",
    "IPython.core.interactiveshell",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.comm",
    "ipykernel.debugger",
    "jupyter_client.session",
    "IPython.core.debugger",
    "IPython.core.completerlib",
    "IPython.extensions.storemagic",
    "sqlite3",
    "psutil",
    "tornado.platform.asyncio",
    "pkoresearch",
    "pkoresearch.errors",
    "pkoresearch.paths",
    "pkoresearch.data.registry",
    "pkoresearch.data.sources",
    "pkoresearch.data.curated",
    "pkoresearch.data.countries",
    "pkoresearch.data.coverage",
    "pkoresearch.data.missions",
    "pkoresearch.notebook",
    "pkoresearch.results",
    "pkoresearch.analysis.stats",
    "pkoresearch.analysis.trends",
    "pkoresearch.analysis.participation",
    "pkoresearch.analysis.response",
    "pkoresearch.analysis.panel",
    "pkoresearch.analysis.overview",
    "pkoresearch.data.readers",
    "pkoresearch.data.readers.un_conduct",
    "pkoresearch.data.readers.un_gender",
    "pkoresearch.data.readers.un_contributions",
    "pkoresearch.figures.captions",
    "pkoresearch.figures.formatting",
    # what saving a figure loads on first use. Not matplotlib_inline.backend_inline: importing it
    # sets up inline figures for the IPython shell running then (none, in the server), and
    # never again, so a kernel's figures would show no picture
    "matplotlib.backends.backend_pdf",
    "matplotlib.backends.backend_svg",
    "fontTools.subset",
    "pkoresearch.batch._warmup",
)

# The server's BLAS runs single-threaded unless the environment says otherwise: a BLAS thread pool
# started before fork is a thread the children would inherit half of.
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
PR_SET_PDEATHSIG = 1
MAX_MESSAGE = 1 << 20
# seconds a forked kernel may take to bind its sockets (milliseconds on a quiet machine)
READY_TIMEOUT = 120.0


def _die_with_parent(parent: int) -> None:
    """SIGKILL this process when its parent (the server) ends; exit now if it already has."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - Linux only; the server checks first
        pass
    if os.getppid() != parent:
        os._exit(1)


def _orphaned_exit(parent: int) -> None:
    """Exit at once when the process that started the server has died (its pool killed it, say,
    when the batch's checks refused the batch): the preload takes seconds, and the server learns
    of its parent's end otherwise only when it answers at the end of it."""
    if os.getppid() != parent:
        os._exit(0)


# the warning filters that importing PRELOAD added (set by _preload; see _as_cold), but not
# those of the modules a cold kernel imports before its first cell (the kernel's own machinery,
# known by the module of the filter's warning class, e.g. IPython's ProvisionalCompleterWarning)
_preload_filters: list[tuple] = []
KERNEL_PACKAGES = frozenset(
    {"IPython", "ipykernel", "jupyter_client", "jupyter_core", "traitlets", "tornado", "zmq"}
    | {"comm", "debugpy", "matplotlib_inline", "psutil", "sqlite3", "asyncio", "pygments"}
)


def _kernel_filter(f: tuple) -> bool:
    category = f[2] if len(f) > 2 else None
    module = getattr(category, "__module__", "") or ""
    return module.split(".")[0] in KERNEL_PACKAGES


def _preload(parent: int) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """Import ``PRELOAD`` and run the warm-up (:mod:`pkoresearch.batch._warmup`: a figure saved in every
    format, a model fitted, the bundled tables read); returns the modules imported, those (and the
    warm-up steps) that failed, and the environment
    variables the imports set (a kernel gets them on top of its own environment, as it would
    have had them by importing the same modules)."""
    # what ipykernel itself would set before the notebook imports matplotlib (init_gui_pylab)
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    for name in BLAS_THREADS:
        os.environ.setdefault(name, "1")
    before = dict(os.environ)
    import warnings

    filters_before = list(warnings.filters)
    done, failed = [], {}
    for name in PRELOAD:
        _orphaned_exit(parent)
        try:
            importlib.import_module(name)
            done.append(name)
        except Exception as exc:  # noqa: BLE001 - a module that fails to load is only not warm
            failed[name] = f"{type(exc).__name__}: {exc}"[:300]
    if "pkoresearch.batch._warmup" in sys.modules:
        steps = sys.modules["pkoresearch.batch._warmup"].run(between=lambda: _orphaned_exit(parent))
        for step, why in steps.items():
            failed[f"warm-up: {step}"] = why
    added = {k: v for k, v in os.environ.items() if before.get(k) != v}
    _preload_filters[:] = [
        f for f in warnings.filters if f not in filters_before and not _kernel_filter(f)
    ]
    return done, failed, added


def _as_cold(orig_argv: list[str] | None, shell=None) -> None:
    """What differs between a forked kernel, once ipykernel has set it up, and a cold kernel
    whose notebook has imported the preloaded modules, made the same:

    - ``sys.orig_argv``: the kernel's command, not the server's ``-c`` line;
    - pandas options that pandas computes at import from where it runs: ``display.max_columns``
      (0 in a terminal, 20 in a Jupyter kernel) and ``display.encoding`` (the console's), both
      current value and default (``reset_option``), computed by pandas' own functions with the
      kernel's streams and, as while a cell runs, its shell's ``get_ipython`` in builtins;
    - the warning filters the preloaded imports added (other than the kernel machinery's) come
      before those the kernel added at its start, as in a cold kernel that imported them in its
      first cell (each import puts its filters in front). Before the notebook imports them, a
      warm kernel lists them already: all but one name warning classes of those modules
      (statsmodels' ConvergenceWarning ...), which nothing raises before they are imported;
      the other ignores numpy's matrix PendingDeprecationWarning, which Python's default
      filters ignore too.
    """
    if orig_argv:
        sys.orig_argv = list(orig_argv)
    if "pandas" in sys.modules:
        import contextlib

        trap = getattr(shell, "builtin_trap", None) or contextlib.nullcontext()
        try:
            from pandas._config import config as cf
            from pandas._config.display import detect_console_encoding
            from pandas.core.config_init import is_terminal

            with trap:
                computed = (
                    ("display.max_columns", 0 if is_terminal() else 20),
                    ("display.encoding", detect_console_encoding()),
                )
            for key, value in computed:
                opt = cf._registered_options[key]
                if cf.get_option(key) == opt.defval:
                    cf.set_option(key, value)
                cf._registered_options[key] = opt._replace(defval=value)
        except Exception:  # noqa: BLE001, S110 - another pandas: its own defaults stay
            pass
    if _preload_filters:
        import warnings

        ours = [f for f in warnings.filters if f in _preload_filters]
        warnings.filters[:] = ours + [f for f in warnings.filters if f not in _preload_filters]
        warnings._filters_mutated()


def _send(sock: socket.socket, obj: dict) -> None:
    sock.send(json.dumps(obj).encode())


def _returncode(status: int) -> int:
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _kill_group(pid: int) -> None:
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
            return
        except (ProcessLookupError, PermissionError):
            continue


def main(fd: int) -> None:
    """The server's loop; returns (and the server exits) at end of file on the socket."""
    sock = socket.socket(fileno=fd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the batch ends it by closing the socket
    t0 = time.perf_counter()
    done, failed, added = _preload(os.getppid())
    # the imported objects go to the collector's permanent generation: a kernel's collections
    # (IPython runs one at exit) then scan only its own objects, and leave the shared pages shared
    gc.collect()
    gc.freeze()
    # nothing the children inherit may be running: threads would be missing in the child
    _send(
        sock,
        {
            "ready": True,
            "pid": os.getpid(),
            "preloaded": done,
            "failed": failed,
            "threads": threading.active_count(),
            "seconds": round(time.perf_counter() - t0, 3),
        },
    )
    children: set[int] = set()
    try:
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, 4)
            except OSError:
                break
            if not data:
                break
            req = json.loads(data)
            if req["op"] == "fork":
                reply = _fork(req, fds, sock, added)
                if "pid" in reply:
                    children.add(reply["pid"])
            elif req["op"] == "poll":
                reply = {"returncode": None}
                try:
                    pid, status = os.waitpid(req["pid"], os.WNOHANG)
                except ChildProcessError:
                    pid, status = req["pid"], 0
                if pid:
                    reply["returncode"] = _returncode(status)
                    children.discard(req["pid"])
            else:
                reply = {"error": f"unknown request {req['op']!r}"}
            _send(sock, reply)
    finally:
        for pid in children:  # the worker is gone: no kernel outlives it
            _kill_group(pid)
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


def _fork(req: dict, fds: list[int], sock: socket.socket, added: dict[str, str]) -> dict:
    if len(fds) != 2:
        for f in fds:
            os.close(f)
        return {"error": f"fork: expected 2 file descriptors (stdout, stderr), got {len(fds)}"}
    server = os.getpid()
    ready_r, ready_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the kernel: never returns
        os.close(ready_r)
        _child(req, fds, sock, ready_w, server, added)
    os.close(ready_w)
    for f in fds:
        os.close(f)
    # the child says when it has started (its sockets bound), or closes the pipe when it failed;
    # one that does neither in time (stuck in its start-up) is killed: no request waits without end
    timeout = float(req.get("timeout", READY_TIMEOUT))
    poller = select.poll()  # not select.select: that refuses descriptors past 1023
    poller.register(ready_r, select.POLLIN)
    readable = poller.poll(timeout * 1000)  # the byte, or the end of file of a failed child
    ok = os.read(ready_r, 1) if readable else b""
    os.close(ready_r)
    if not ok:
        _kill_group(pid)
        os.waitpid(pid, 0)
        if not readable:
            return {
                "error": f"fork: the kernel process had not finished starting after "
                f"{timeout:g} s and was killed (see its stderr)"
            }
        # most often a port that another process took after the client chose it: the client
        # may try again with other ports
        return {
            "error": "fork: the kernel process failed before it started (see its stderr)",
            "start_failed": True,
        }
    return {"pid": pid}


def _control_thread_done(app, timeout: float = 2.0) -> None:
    """Wait until the kernel's control thread has finished the message it is handling (the
    shutdown request: it flushes stdout through the IOPub thread after replying). An interpreter
    exiting normally gets there before the exit handlers run; called at once, the handler that
    closes the kernel could stop the IOPub thread under that flush, which then waits out its
    timeout while the kernel manager waits for the process and, after 2.5 s, sends SIGTERM."""
    thread = getattr(app, "control_thread", None)
    loop = getattr(thread, "io_loop", None)
    if loop is None or not thread.is_alive():
        return
    done = threading.Event()
    try:
        loop.add_callback(done.set)  # runs once the message being handled is done
    except Exception:  # noqa: BLE001 - a loop already closed has nothing left to finish
        return
    end = time.monotonic() + timeout
    # a loop that was stopped runs no more callbacks: then the thread ending is the sign
    while not done.wait(0.005) and thread.is_alive() and time.monotonic() < end:
        pass


def _child(
    req: dict, fds: list[int], sock: socket.socket, ready_w: int, server: int, added: dict[str, str]
) -> None:
    """Set up the forked process as a cold kernel would be, then run the ipykernel."""
    try:
        os.setsid()
        _die_with_parent(server)
        sock.close()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.dup2(fds[0], 1)
        os.dup2(fds[1], 2)
        for f in fds:
            if f > 2:
                os.close(f)
        os.chdir(req["cwd"])
        os.environ.clear()
        os.environ.update(req["env"])
        os.environ.update(added)
        # ipykernel's parent poller watches this pid: the server, which the kernel dies with
        os.environ["JPY_PARENT_PID"] = str(server)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
        os._exit(1)
    code = 0
    try:
        if "numpy" in sys.modules:  # each kernel its own unseeded global RNG, as a cold one
            sys.modules["numpy"].random.seed()
        from importlib.util import find_spec

        from ipykernel.kernelapp import IPKernelApp

        sys.argv = [find_spec("ipykernel_launcher").origin or "ipykernel_launcher", *req["argv"]]
        # the trait's default was read from the environment when the server imported ipykernel
        # (IPKernelApp.launch_instance, in its three steps)
        app = IPKernelApp.instance(parent_handle=server)
        app.initialize()
        _as_cold(req.get("orig_argv"), getattr(app, "shell", None))
        # the kernel's sockets are bound: the worker's client, which connects once the server
        # replies, finds them at once (no retries, no IOPub messages lost while it waits); a
        # kernel that fails to start (a port taken meanwhile) gives the server an empty read
        os.write(ready_w, b"1")
        os.close(ready_w)
        ready_w = -1
        app.start()
        _control_thread_done(app)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
        code = 1
    if ready_w >= 0:
        # the kernel failed to start: the server learns it now, not after the exit handlers
        # (which may wait for threads the failed start left half set up)
        os.close(ready_w)
    # the end of a normal interpreter exit, without tearing down the modules (as multiprocessing
    # does for forked children): exit handlers, then flushed streams
    try:
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001, S110
                pass
        os._exit(code)
