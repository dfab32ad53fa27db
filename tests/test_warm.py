"""Warm-start kernels (pkoresearch.batch.warm): each run a fresh forked kernel that nothing of an earlier
run reaches, the same results and figure bytes as cold kernels, failures and timeouts handled as
cold ones are, and no process left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from conftest import ROOT
from pkoresearch import cli, results
from pkoresearch.batch import runner, warm

pytestmark = pytest.mark.skipif(not warm.warm_available()[0], reason=warm.warm_available()[1])

PARAMS = 'output_dir: str = ""  # output folder'

# what a run can leave behind in its process, and what the next run checks
DIRTY = """import threading, time
import matplotlib.pyplot as plt
import pandas as pd
import pkoresearch.analysis.stats
import pkoresearch as pko
from pkoresearch import notebook as nb
nb.output_dir(output_dir, "dirty")
LEAKED_GLOBAL = 42
plt.rcParams["lines.linewidth"] = 9.5
pd.set_option("display.precision", 1)
pkoresearch.analysis.stats.LEAKED_ATTRIBUTE = "dirty"
threading.Thread(target=time.sleep, args=(600,), name="leaked-thread").start()
pko.results.record("linewidth", plt.rcParams["lines.linewidth"])
pko.results.record("precision", pd.get_option("display.precision"))
pko.results.record("threads", sorted(t.name for t in threading.enumerate()))"""

CHECK = """import os, sys, threading
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pkoresearch.analysis.stats
import pkoresearch as pko
from pkoresearch import notebook as nb
nb.output_dir(output_dir, "check")
record = pko.results.record
record("leaked_global", "LEAKED_GLOBAL" in globals())
record("leaked_attribute", hasattr(pkoresearch.analysis.stats, "LEAKED_ATTRIBUTE"))
record("threads", sorted(t.name.rstrip("0123456789") for t in threading.enumerate()))
record("linewidth", plt.rcParams["lines.linewidth"])
record("precision", pd.get_option("display.precision"))
record("rcparams", {k: repr(v) for k, v in sorted(matplotlib.rcParams.items())})
record("backend", matplotlib.get_backend())
record("pid", os.getpid())
record("ppid", os.getppid())
record("argv_tail", [a for a in sys.argv[1:] if not a.endswith(".json")])
record("sys_path", sys.path)
record("cwd", os.getcwd())
record("env", sorted(k for k in os.environ if k not in ("JPY_PARENT_PID",)))
record("random", float(np.random.random()))
# a figure shown in the notebook (the inline backend set up for this kernel's shell)
plt.figure(figsize=(1, 1)).add_subplot().plot([0, 1])
plt.show()
print("checked")"""

FAILS = """import pkoresearch as pko
from pkoresearch import notebook as nb
nb.output_dir(output_dir, "fails")
raise ValueError("made to fail")"""

HANGS = """import time
time.sleep(600)"""

# a hanging kernel that has started a process of its own (same session, as a cold kernel's)
HANGS_WITH_CHILD = """import subprocess, time
subprocess.Popen(["sleep", "600"])
time.sleep(600)"""


def _notebook(folder: Path, name: str, source: str) -> None:
    nb = new_notebook(
        cells=[new_code_cell(PARAMS, metadata={"tags": ["parameters"]}), new_code_cell(source)],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(nb, folder / name)


@pytest.fixture
def nbs(tmp_path) -> Path:
    folder = tmp_path / "nbs"
    folder.mkdir()
    for name, source in [
        ("dirty.ipynb", DIRTY),
        ("check.ipynb", CHECK),
        ("fails.ipynb", FAILS),
        ("hangs.ipynb", HANGS),
        ("hangs_child.ipynb", HANGS_WITH_CHILD),
    ]:
        _notebook(folder, name, source)
    return folder


@pytest.fixture
def marker(monkeypatch) -> str:
    """An environment variable every process of the batch inherits (pool workers, fork servers,
    kernels and what they start), to find the ones left behind."""
    value = uuid.uuid4().hex
    monkeypatch.setenv("PKORESEARCH_TEST_MARKER", value)
    return value


def _processes_with(marker: str) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if f"PKORESEARCH_TEST_MARKER={marker}".encode() not in (proc / "environ").read_bytes():
                continue
            cmdline = (proc / "cmdline").read_bytes()
            # the process pool's resource tracker: the test process's own, for its whole life
            if b"multiprocessing.resource_tracker" in cmdline:
                continue
            found.append(f"{proc.name}: {cmdline[:120]!r}")
        except OSError:  # gone, a zombie, or not ours
            continue
    return found


def _no_processes_left(marker: str, within: float = 10.0) -> list[str]:
    deadline = time.monotonic() + within
    while (left := _processes_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def _run(nbs: Path, out: Path, runs: list[runner.Run], warm_start: bool, **kw) -> dict:
    return runner.run_batch(
        runs,
        output=out,
        jobs=1,
        html_report=False,
        notebooks=nbs,
        warm_start=warm_start,
        progress=runner.Progress(len(runs), stream=_Sink()),
        **kw,
    )


class _Sink:
    def write(self, text: str) -> None:
        pass

    def flush(self) -> None:
        pass


def test_a_run_leaves_nothing_for_the_next_run_in_the_same_worker(nbs, tmp_path, marker):
    runs = [
        runner.Run("before", "check.ipynb", {}),
        runner.Run("dirty", "dirty.ipynb", {}),
        runner.Run("after", "check.ipynb", {}),
    ]
    manifest = _run(nbs, tmp_path / "out", runs, warm_start=True)
    assert manifest["failed"] == 0, manifest["runs"]
    assert manifest["kernel_start"].startswith("warm")
    before, dirty, after = (results.read(tmp_path / "out" / "runs" / r.name) for r in runs)
    # the dirty run did change its own process
    assert dirty["linewidth"] == 9.5 and dirty["precision"] == 1
    assert "leaked-thread" in dirty["threads"]
    # ... and the next run in the same worker (same fork server: same parent) saw none of it
    assert after["ppid"] == before["ppid"] and after["pid"] != before["pid"]
    for key in (
        "leaked_global",
        "leaked_attribute",
        "threads",
        "linewidth",
        "precision",
        "rcparams",
        "backend",
    ):
        assert after[key] == before[key], key
    assert after["leaked_global"] is False and after["leaked_attribute"] is False
    assert "leaked-thread" not in after["threads"]
    # every kernel draws its own random numbers, as a cold kernel does
    assert after["random"] != before["random"]
    assert _no_processes_left(marker) == []


def test_a_warm_kernel_starts_in_the_state_a_cold_one_does(nbs, tmp_path):
    run = [runner.Run("check", "check.ipynb", {})]
    assert _run(nbs, tmp_path / "warm", run, warm_start=True)["failed"] == 0
    assert _run(nbs, tmp_path / "cold", run, warm_start=False)["failed"] == 0
    w, c = (results.read(tmp_path / mode / "runs" / "check") for mode in ("warm", "cold"))

    def same_place(d: dict) -> dict:
        # each run executes in its own work folder (pkoresearch.batch.shipping): compare within it
        work = str(Path(d["cwd"]).parent)
        return json.loads(json.dumps(d).replace(work, "<work folder>"))

    w, c = same_place(w), same_place(c)
    for key in (
        "rcparams",
        "backend",
        "precision",
        "threads",
        "argv_tail",
        "sys_path",
        "cwd",
        "leaked_global",
    ):
        assert w[key] == c[key], (key, w[key], c[key])

    def shown(mode: str) -> list[list[str]]:
        nb = nbformat.read(tmp_path / mode / "runs" / "check" / "notebook.ipynb", as_version=4)
        return [sorted(o.get("data", {})) for c in nb.cells for o in c.get("outputs", [])]

    # the figure shows as a picture, warm as cold (a server that imported the inline backend
    # would leave every kernel's figures without one)
    assert shown("warm") == shown("cold")
    assert ["image/png", "text/plain"] in shown("warm")
    # the environment too, plus what importing the preloaded modules sets (pandera does, on
    # import: a kernel that imported it would have the same)
    assert set(c["env"]) <= set(w["env"])
    assert set(w["env"]) - set(c["env"]) <= {"SPARK_LOCAL_IP", "PYARROW_IGNORE_TIMEZONE"}
    assert w["backend"] == "module://matplotlib_inline.backend_inline"
    # the figure shows inline in both (the inline backend is set up by the kernel, not the server)
    assert w["ppid"] != c["ppid"]


def _summary_shape(s: dict) -> dict:
    err = s.get("error", {})
    return {
        "status": s["status"],
        "error_type": err.get("type"),
        "ename": err.get("ename"),
        "message": err.get("message"),
        "files": sorted(s["files"]),
    }


@pytest.mark.slow
def test_failing_and_hanging_runs_are_handled_as_cold_ones(nbs, tmp_path, marker, capsys):
    runs_yaml = tmp_path / "runs.yaml"
    runs_yaml.write_text(
        textwrap.dedent("""\
        runs:
          - {name: check, notebook: check.ipynb}
          - {name: fails, notebook: fails.ipynb}
          - {name: hangs, notebook: hangs.ipynb}
        """)
    )
    codes, manifests = {}, {}
    for mode in ("warm", "cold"):
        out = tmp_path / mode
        args = [
            "run",
            "--runs",
            str(runs_yaml),
            "--notebooks",
            str(nbs),
            "-o",
            str(out),
            "--no-html",
            "--timeout",
            "20",
            "--jobs",
            "1",
        ]
        codes[mode] = cli.main(args + (["--cold"] if mode == "cold" else []))
        manifests[mode] = json.loads((out / "manifest.json").read_text())
    assert codes == {"warm": 1, "cold": 1}
    err = capsys.readouterr().err
    assert err.count("FAILED fails") == 2 and err.count("FAILED hangs") == 2
    shapes = {m: [_summary_shape(s) for s in manifests[m]["runs"]] for m in manifests}
    assert shapes["warm"] == shapes["cold"], json.dumps(manifests["warm"]["runs"], indent=1)
    by_name = {s["name"]: s for s in manifests["warm"]["runs"]}
    assert by_name["check"]["status"] == "ok"
    assert by_name["fails"]["error"]["ename"] == "ValueError"
    assert by_name["hangs"]["error"]["type"] == "CellTimeoutError"
    for mode in ("warm", "cold"):
        # (papermill saves no notebook on a timeout: failed/ has the kernel's stderr, both ways)
        assert (tmp_path / mode / "failed" / "hangs" / "kernel-stderr.log").is_file()
        assert (tmp_path / mode / "failed" / "fails" / "notebook.ipynb").is_file()
        assert not (tmp_path / mode / "runs" / "hangs").exists()
    assert _no_processes_left(marker) == []


def test_a_timed_out_kernel_takes_the_processes_it_started_with_it(nbs, tmp_path, marker):
    manifest = _run(
        nbs,
        tmp_path / "out",
        [runner.Run("child", "hangs_child.ipynb", {})],
        warm_start=True,
        timeout=15,
    )
    assert manifest["runs"][0]["error"]["type"] == "CellTimeoutError"
    assert _no_processes_left(marker) == []


WORKER_DIES = """
import asyncio, os, signal, sys
from pkoresearch.batch import warm
async def main():
    km = warm.WarmKernelManager(kernel_name="python3")
    await km.start_kernel()
    print(warm.server_pids()[0], km.provisioner.pid, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # no clean-up of any kind
asyncio.run(main())
"""


def test_the_fork_server_and_its_kernels_die_with_their_worker(tmp_path, marker):
    proc = subprocess.run(
        [sys.executable, "-c", WORKER_DIES],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    server, kernel = (int(p) for p in proc.stdout.split())
    assert server != kernel
    assert _no_processes_left(marker) == []


def test_where_fork_is_unavailable_the_batch_runs_cold_and_says_so(monkeypatch):
    assert warm.resolve_start(False)[0] == warm.COLD
    assert warm.resolve_start(None)[0] == warm.WARM
    monkeypatch.setattr(sys, "platform", "darwin")
    start, note = warm.resolve_start(None)
    assert start == warm.COLD and "darwin" in note
    assert warm.papermill_options(start) == {}
    assert cli.build_parser().parse_args(["run", "--cold"]).cold is True
    assert cli.build_parser().parse_args(["run"]).cold is False


def test_the_provisioner_is_registered_for_kernelspecs():
    from jupyter_client.provisioning import KernelProvisionerFactory

    entry = KernelProvisionerFactory.instance().provisioners.get(warm.PROVISIONER_NAME)
    assert entry is not None, "pip install -e . registers the entry point"
    assert entry.load() is warm.ForkProvisioner


@pytest.mark.slow
def test_default_batch_gives_the_same_results_and_figures_warm_and_cold(
    default_batch, tmp_path, monkeypatch
):
    """The committed runs.yaml with the real files, --jobs 2: every notebook's results.json and
    figure files byte for byte, warm and cold.

    The warm batch is the session's shared default batch (conftest.py), all of runs.yaml; the cold
    one reruns each notebook once (its first run in runs.yaml), with the same real-data cache
    (inputs.json names its paths). The runs left out are notebook 01 again with other
    parameters: how a kernel starts does not depend on them, and the two full batches took about
    3 minutes in CI."""
    runs = default_batch["runs"]
    first = [r for i, r in enumerate(runs) if r.notebook not in {q.notebook for q in runs[:i]}]
    assert {r.notebook for r in first} == {r.notebook for r in runs} and len(first) == 6
    monkeypatch.setenv("PKORESEARCH_CACHE", str(default_batch["cache"]))
    outs = {"warm": default_batch["reports"], "cold": tmp_path / "cold"}
    assert default_batch["manifest"]["failed"] == 0, [
        r.get("error") for r in default_batch["manifest"]["runs"]
    ]
    assert default_batch["manifest"]["kernel_starts"] == {"warm": len(runs), "cold": 0}
    m = runner.run_batch(
        first,
        output=outs["cold"],
        jobs=2,
        notebooks=ROOT / "notebooks",
        warm_start=False,
        progress=runner.Progress(len(first), stream=_Sink()),
    )
    assert m["failed"] == 0, [r.get("error") for r in m["runs"]]
    assert m["kernel_starts"] == {"warm": 0, "cold": len(first)}
    compared = 0
    for f in sorted((outs["cold"] / "runs").rglob("*")):
        if f.suffix in (".json", ".png", ".svg", ".pdf"):
            twin = outs["warm"] / f.relative_to(outs["cold"])
            assert twin.read_bytes() == f.read_bytes(), f"{f.relative_to(outs['cold'])} differs"
            compared += 1
    folders = [outs["warm"] / "runs" / runner.safe_folder_name(r.name) for r in first]
    warm_files = {p.relative_to(outs["warm"]) for d in folders for p in [d, *d.rglob("*")]}
    cold_files = {p.relative_to(outs["cold"]) for p in (outs["cold"] / "runs").rglob("*")}
    assert warm_files == cold_files
    assert compared >= len(first) + 8  # every results.json and the figures


def _tiny(folder: Path) -> Path:
    _notebook(folder, "tiny.ipynb", 'print("x" * 100)')
    return folder


def _run_tiny(nbs: Path, out: Path, name: str = "tiny") -> dict:
    """Execute the tiny notebook once, here, with a warm kernel; the run's summary."""
    from pkoresearch.batch import execute

    return execute.execute_run(
        {"name": name, "notebook": "tiny.ipynb", "parameters": {}},
        str(nbs),
        str(out),
        False,
        None,
        start=warm.WARM,
    )


def test_warm_kernels_are_ready_without_waiting_for_silence_and_exit_on_their_own(
    tmp_path, monkeypatch
):
    """The warm client's own readiness check runs (nbclient calls ``wait_for_ready``, which the
    stock client binds to its own method), and every warm kernel ends by itself after the
    shutdown request instead of hanging until the kernel manager sends SIGTERM (which it did
    for about one kernel in three, when the exit handlers stopped IOPub under the control
    thread's last flush)."""

    nbs = _tiny(tmp_path)
    ready_checks, exits = [], []
    idle_after = warm.WarmKernelClient._idle_after

    async def spy_idle(self, msg_ids, wait):
        ready_checks.append(len(msg_ids))
        return await idle_after(self, msg_ids, wait)

    poll = warm.ForkedProcess.poll

    def spy_poll(self):
        code = poll(self)
        if code is not None and (not exits or exits[-1][0] != self.pid):
            exits.append((self.pid, code))
        return code

    monkeypatch.setattr(warm.WarmKernelClient, "_idle_after", spy_idle)
    monkeypatch.setattr(warm.ForkedProcess, "poll", spy_poll)
    try:
        for i in range(8):
            s = _run_tiny(nbs, tmp_path / "out", f"tiny{i}")
            assert s["status"] == "ok", s.get("error")
    finally:
        warm.shutdown_servers()
    assert len(ready_checks) >= 8
    assert len(exits) == 8
    assert [code for _, code in exits] == [0] * 8, exits  # -15: SIGTERM after 2.5 s


def test_a_prestarted_server_is_the_one_the_first_kernel_uses(tmp_path):
    """A pool worker starts its fork server when it starts (``warm.prestart``); the first kernel
    must find that server (same Python, same environment) rather than start another."""

    nbs = _tiny(tmp_path)
    try:
        thread = warm.prestart("python3")
        assert thread is not None
        thread.join(warm.START_TIMEOUT)
        before = warm.server_pids()
        assert len(before) == 1
        s = _run_tiny(nbs, tmp_path / "out")
        assert s["status"] == "ok", s.get("error")
        assert warm.server_pids() == before
    finally:
        warm.shutdown_servers()


def _kernel_env() -> tuple[str, dict[str, str]]:
    cmd, extra = warm.kernel_command("python3")
    return cmd[0], {**os.environ, **extra}


def test_a_kernel_stuck_in_its_start_is_killed_and_the_server_forks_the_next(
    tmp_path, marker, monkeypatch
):
    """A forked kernel that never finishes its start (here its start-up code sleeps) is killed
    after the ready timeout: the fork is refused with the reason instead of waiting without end,
    and the same server forks the next kernel."""
    monkeypatch.setattr(warm, "READY_TIMEOUT", 2.0)
    python, env = _kernel_env()
    stuck = [
        "-f",
        str(tmp_path / "kernel-stuck.json"),
        "--IPKernelApp.exec_lines=__import__('time').sleep(600)",
    ]
    srv = warm.ForkServer(python, env)
    try:
        with open(tmp_path / "stderr.log", "wb") as err:
            t0 = time.monotonic()
            with pytest.raises(warm.WarmStartError, match=r"had not finished starting after 2 s"):
                srv.fork(stuck, str(tmp_path), env, err.fileno(), err.fileno())
            assert time.monotonic() - t0 < 10
            assert srv.alive()
            # a kernel with a connection file of its own (it picks free ports) starts, with the
            # usual time to do so on a loaded machine
            monkeypatch.setattr(warm, "READY_TIMEOUT", 120.0)
            pid = srv.fork(
                ["-f", str(tmp_path / "kernel-ok.json")], str(tmp_path), env, err.fileno(), 2
            )
        assert srv.poll(pid) is None
        os.killpg(pid, signal.SIGKILL)
        assert warm.ForkedProcess(srv, pid).wait(10) == -signal.SIGKILL
    finally:
        srv.close()
    assert _no_processes_left(marker) == []


def test_a_kernel_that_fails_to_start_is_reported_at_once(tmp_path, marker, taken_port):
    """A forked kernel whose IOPub port is taken (another process took it between the client
    choosing it and the kernel binding it) fails in its start-up, and its exit handler then waits
    for ever to end the ZeroMQ context, whose IOPub socket nothing closes. The server must answer
    as soon as the kernel has failed, not when it exits, and kill it: this is the wait that
    stalled CI for 90 minutes."""

    python, env = _kernel_env()
    port = taken_port
    conn = tmp_path / "kernel-taken.json"
    conn.write_text(
        json.dumps(
            {
                "shell_port": 0,
                "iopub_port": port,
                "stdin_port": 0,
                "control_port": 0,
                "hb_port": 0,
                "ip": "127.0.0.1",
                "key": "k",
                "transport": "tcp",
                "signature_scheme": "hmac-sha256",
                "kernel_name": "python3",
            }
        )
    )
    srv = warm.ForkServer(python, env)
    try:
        t0 = time.monotonic()
        with (
            open(tmp_path / "stderr.log", "wb") as err,
            pytest.raises(warm.WarmStartError, match="failed before it started"),
        ):
            srv.fork(["-f", str(conn)], str(tmp_path), env, err.fileno(), err.fileno())
        assert time.monotonic() - t0 < 30
        assert "Address already in use" in (tmp_path / "stderr.log").read_text()
        assert srv.alive()
    finally:
        srv.close()
    assert _no_processes_left(marker) == []


def test_a_server_that_stops_answering_is_closed_and_the_kernel_starts_cold(
    tmp_path, marker, monkeypatch, capsys
):
    """A fork server that does not answer (stopped here with SIGSTOP) is given up after the
    answer timeout and killed; the run's kernel starts cold and the run succeeds; the next
    kernel gets a new server."""

    monkeypatch.setattr(warm, "ANSWER_TIMEOUT", 1.0)
    monkeypatch.setattr(warm, "READY_TIMEOUT", 1.0)
    nbs = _tiny(tmp_path)
    python, env = _kernel_env()
    try:
        stuck = warm.server_for(python, env)
        os.kill(stuck.pid, signal.SIGSTOP)

        t0 = time.monotonic()
        s = _run_tiny(nbs, tmp_path / "out", "first")
        assert s["status"] == "ok", s.get("error")
        assert time.monotonic() - t0 < 60
        assert "warm start unavailable, kernel started cold" in capsys.readouterr().err
        assert s["kernel_start"].startswith("cold: warm start unavailable"), s["kernel_start"]
        assert "no answer to 'fork' within 2 s" in stuck.broken
        assert stuck.proc.poll() == -signal.SIGKILL  # killed, though stopped
        with pytest.raises(warm.WarmStartError, match="was closed"):
            stuck.poll(1)
        # the usual limits for the next run (a loaded machine may need more than a second)
        monkeypatch.setattr(warm, "ANSWER_TIMEOUT", 30.0)
        monkeypatch.setattr(warm, "READY_TIMEOUT", 120.0)
        s = _run_tiny(nbs, tmp_path / "out", "second")
        assert s["status"] == "ok", s.get("error")
        assert warm.server_pids() and stuck.pid not in warm.server_pids()
        assert s["kernel_start"].startswith("warm: forked"), s["kernel_start"]
        assert s["kernel_parent_pid"] in warm.server_pids()
        assert "warm start unavailable" not in capsys.readouterr().err
    finally:
        warm.shutdown_servers()
    assert _no_processes_left(marker) == []


@pytest.mark.parametrize("taken_sets", [1, warm.START_ATTEMPTS])
def test_a_kernel_whose_port_was_taken_starts_on_new_ports(
    tmp_path, marker, monkeypatch, capsys, taken_port, taken_sets
):
    """Another process took the IOPub port between jupyter_client choosing it and the kernel
    binding it: the kernel fails in its start-up and is forked again on new ports (the connection
    file rewritten), and the run succeeds warm. Where every try finds its port taken, the kernel
    starts cold, on new ports again, and says so."""

    from jupyter_client.provisioning.local_provisioner import LocalPortCache

    port = taken_port
    find = LocalPortCache.find_available_port
    calls = []

    def find_taken(self, ip):  # the second port of each set of five (IOPub) is the taken one
        calls.append(ip)
        n = len(calls)
        return port if n % 5 == 2 and n <= 5 * taken_sets else find(self, ip)

    monkeypatch.setattr(LocalPortCache, "find_available_port", find_taken)
    forks, launched = [], []
    fork = warm.ForkServer.fork

    def spy_fork(self, *args, **kw):
        try:
            pid = fork(self, *args, **kw)
        except warm.WarmStartError as exc:
            forks.append(type(exc).__name__)
            raise
        forks.append("ok")
        return pid

    launch = warm.ForkProvisioner.launch_kernel

    async def spy_launch(self, cmd, **kw):
        info = await launch(self, cmd, **kw)
        conn = Path(cmd[cmd.index("-f") + 1])
        launched.append((self.warm, info["iopub_port"], json.loads(conn.read_text())))
        return info

    monkeypatch.setattr(warm.ForkServer, "fork", spy_fork)
    monkeypatch.setattr(warm.ForkProvisioner, "launch_kernel", spy_launch)
    nbs = _tiny(tmp_path)
    try:
        s = _run_tiny(nbs, tmp_path / "out")
    finally:
        warm.shutdown_servers()
    assert s["status"] == "ok", s.get("error")
    # what the run records is what happened: warm only for the kernel that was forked
    assert s["kernel_start"].startswith(warm.WARM if launched[0][0] else warm.COLD)
    assert len(calls) == 5 * (taken_sets + 1)  # five ports, then five new ones per failed try
    ((started_warm, iopub, written),) = launched
    assert iopub != port
    assert written["iopub_port"] == iopub  # the connection file the kernel read
    cold = "warm start unavailable, kernel started cold" in capsys.readouterr().err
    if taken_sets < warm.START_ATTEMPTS:
        assert forks == ["KernelStartFailed"] * taken_sets + ["ok"]
        assert started_warm and not cold
    else:
        assert forks == ["KernelStartFailed"] * taken_sets
        assert not started_warm and cold
    assert _no_processes_left(marker) == []


# --------------------------------------------------------------------------------------------------
# kernelspecs as researchers have them: written by `ipykernel install`, another interpreter, a
# wrapper script; what each run records against what its kernel's own process says

# the kernel's own account of how it started: its parent (a fork server, or the worker), the fork
# servers of this test (marker) alive while it runs, its interpreter and command line
WHOAMI = """import json, os, pathlib, sys
def cmdline(pid):
    try:
        return pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\\0", b" ").decode()
    except OSError:
        return ""
mark = "PKORESEARCH_TEST_MARKER=" + os.environ.get("PKORESEARCH_TEST_MARKER", "?")
servers = []
for proc in pathlib.Path("/proc").iterdir():
    try:
        if (
            proc.name.isdigit()
            and b"pkoresearch.batch._forkserver" in (proc / "cmdline").read_bytes()
            and mark.encode() in (proc / "environ").read_bytes()
        ):
            servers.append(int(proc.name))
    except OSError:
        pass
pathlib.Path(output_dir, "kernel.json").write_text(json.dumps({
    "ppid": os.getppid(),
    "parent": cmdline(os.getppid()),
    "servers": servers,
    "prefix": sys.prefix,
    "wrapped": os.environ.get("PKO_WRAPPED"),
    "flags": repr(sys.flags),
    "xoptions": sys._xoptions,
    "orig_argv": sys.orig_argv[1:-1],
}))
print("x" * 100)"""


@pytest.fixture
def whoami(tmp_path) -> Path:
    folder = tmp_path / "whoami-nbs"
    folder.mkdir()
    _notebook(folder, "whoami.ipynb", WHOAMI)
    return folder


def _jupyter_path(tmp_path, monkeypatch) -> Path:
    """An empty Jupyter data folder searched first (as a user's ~/.local/share/jupyter is)."""
    data = tmp_path / "jupyter-data"
    (data / "kernels").mkdir(parents=True)
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(data))
    monkeypatch.setenv("JUPYTER_PATH", str(data))
    return data


def _install(tmp_path, monkeypatch, style: str) -> dict:
    """A kernelspec written by ``python -m ipykernel install``: ``--user`` (into the temporary
    JUPYTER_DATA_DIR) or ``--prefix`` (a prefix's share/jupyter/kernels, the layout of
    ``--sys-prefix``, found through JUPYTER_PATH). Returns its kernel.json."""
    data = _jupyter_path(tmp_path, monkeypatch)
    name = f"pko-{style}"
    where = ["--user"] if style == "user" else ["--prefix", str(tmp_path / "prefix")]
    subprocess.run(
        [sys.executable, "-m", "ipykernel", "install", *where, "--name", name],
        check=True,
        capture_output=True,
        env=os.environ.copy(),
        timeout=120,
    )
    if style != "user":
        monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "prefix" / "share" / "jupyter"))
        spec = tmp_path / "prefix" / "share" / "jupyter" / "kernels" / name / "kernel.json"
    else:
        spec = data / "kernels" / name / "kernel.json"
    return {"name": name, **json.loads(spec.read_text())}


def _kernelspec(tmp_path, monkeypatch, name: str, argv: list[str], **extra) -> str:
    data = _jupyter_path(tmp_path, monkeypatch)
    (data / "kernels" / name).mkdir()
    spec = {"argv": argv, "display_name": name, "language": "python", **extra}
    (data / "kernels" / name / "kernel.json").write_text(json.dumps(spec))
    return name


def _whoami_batch(nbs: Path, out: Path, kernel: str, warm_start: bool | None = None) -> dict:
    runs = [runner.Run(f"who{i}", "whoami.ipynb", {}) for i in (1, 2)]
    m = _run(nbs, out, runs, warm_start=warm_start, kernel=kernel)
    assert m["failed"] == 0, [r.get("error") for r in m["runs"]]
    return m


def _kernels(out: Path, manifest: dict) -> list[dict]:
    """Each run's kernel as it saw itself, checked against the run's recorded ``kernel_start``:
    warm exactly when its parent process is a fork server."""
    found = []
    for r in manifest["runs"]:
        k = json.loads((out / "runs" / r["folder"] / "kernel.json").read_text())
        forked = "pkoresearch.batch._forkserver" in k["parent"]
        assert r["kernel_start"].startswith(warm.WARM if forked else warm.COLD), (
            r["kernel_start"],
            k["parent"],
        )
        assert r["kernel_parent_pid"] == k["ppid"]
        found.append(k)
    return found


def _printed(out: Path, manifest: dict) -> list:
    return [
        [o.get("text") for c in nb.cells for o in c.get("outputs", [])]
        for nb in (
            nbformat.read(out / "runs" / r["folder"] / "notebook.ipynb", as_version=4)
            for r in manifest["runs"]
        )
    ]


@pytest.mark.parametrize("style", ["user", "sys-prefix"])
def test_a_kernelspec_written_by_ipykernel_install_starts_warm(
    whoami, tmp_path, monkeypatch, marker, style
):
    spec = _install(tmp_path, monkeypatch, style)
    # what current ipykernel writes: an interpreter option and the debugger flag
    assert spec["argv"][1] == "-Xfrozen_modules=off" and spec["metadata"]["debugger"] is True
    assert warm.cold_reason(warm.kernel_command(spec["name"])[0]) == ""
    out = tmp_path / "warm"
    m = _whoami_batch(whoami, out, spec["name"])
    assert m["kernel_start"].startswith("warm") and m["kernel_starts"] == {"warm": 2, "cold": 0}
    kernels = _kernels(out, m)
    assert all("pkoresearch.batch._forkserver" in k["parent"] for k in kernels)
    # the server was started with the kernelspec's options: the kernel's interpreter has them
    assert kernels[0]["xoptions"] == {"frozen_modules": "off"}
    assert kernels[0]["orig_argv"] == ["-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f"]
    cold = tmp_path / "cold"
    mc = _whoami_batch(whoami, cold, spec["name"], warm_start=False)
    assert mc["kernel_starts"] == {"warm": 0, "cold": 2}
    cold_kernels = _kernels(cold, mc)
    for key in ("flags", "xoptions", "orig_argv", "prefix"):
        assert [k[key] for k in kernels] == [k[key] for k in cold_kernels], key
    assert _printed(out, m) == _printed(cold, mc)
    assert _no_processes_left(marker) == []


def _other_environment(tmp_path) -> Path:
    """Another Python environment (a virtual environment of its own, which sees this one's
    packages through a .pth file, so that ipykernel runs in it): its python."""
    import sysconfig

    env = tmp_path / "other-env"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(env)], check=True, timeout=120)
    site = next((env / "lib").glob("python*/site-packages"))
    purelib = sysconfig.get_paths()["purelib"]
    (site / "pko-test.pth").write_text(f"import site; site.addsitedir({purelib!r})\n")
    return env / "bin" / "python"


@pytest.mark.parametrize("kind", ["another-interpreter", "wrapper-script"])
def test_a_kernelspec_that_is_something_else_starts_cold_without_a_fork_server(
    whoami, tmp_path, monkeypatch, marker, kind
):
    if kind == "another-interpreter":
        python = _other_environment(tmp_path)
        argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    else:
        python = tmp_path / "wrapper.sh"
        python.write_text(f'#!/bin/sh\nPKO_WRAPPED=1 exec {sys.executable} "$@"\n')
        python.chmod(0o755)
        argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    name = _kernelspec(tmp_path, monkeypatch, f"pko-{kind}", argv)
    out = tmp_path / "out"
    m = _whoami_batch(whoami, out, name)
    assert m["kernel_start"].startswith(f"cold: kernelspec {name!r}: it runs {python}")
    assert m["kernel_starts"] == {"warm": 0, "cold": 2}
    kernels = _kernels(out, m)
    for k, r in zip(kernels, m["runs"], strict=True):
        assert r["kernel_start"] == m["kernel_start"]
        assert k["servers"] == []  # no fork server was started for nothing
    if kind == "another-interpreter":
        assert {k["prefix"] for k in kernels} == {str(tmp_path / "other-env")}
    else:
        assert {k["wrapped"] for k in kernels} == {"1"}
    assert _no_processes_left(marker) == []


def test_a_forced_cold_fallback_is_never_recorded_as_warm(whoami, tmp_path, monkeypatch, marker):
    """A kernelspec that looks warm, but whose environment makes the fork server fail to start
    (a broken ``pkoresearch`` first on PYTHONPATH; the notebook does not import it): every
    kernel starts cold, each run and the batch say so, and so does the report."""
    shadow = tmp_path / "shadow" / "pkoresearch"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text('raise ImportError("shadowed for the test")\n')
    argv = ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    name = _kernelspec(
        tmp_path, monkeypatch, "pko-broken", argv, env={"PYTHONPATH": str(shadow.parent)}
    )
    assert warm.resolve_start(None, name)[0] == warm.WARM  # nothing in the kernelspec says cold
    out = tmp_path / "out"
    m = _whoami_batch(whoami, out, name)
    kernels = _kernels(out, m)
    assert all("pkoresearch.batch._forkserver" not in k["parent"] for k in kernels)
    for r in m["runs"]:
        assert r["kernel_start"].startswith("cold: warm start unavailable"), r["kernel_start"]
        assert "shadowed for the test" in r["kernel_start"]
    assert m["kernel_start"].startswith("cold: asked for warm, but every kernel started cold")
    assert m["kernel_starts"] == {"warm": 0, "cold": 2}
    index = (out / "index.html").read_text()
    assert "started cold (2 cold)" in index
    assert index.count("kernel cold: warm start unavailable") == 2
    assert _no_processes_left(marker) == []


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["-Xfrozen_modules=off"], ("-Xfrozen_modules=off",)),
        (["-X", "frozen_modules=off", "-E", "-s"], ("-X", "frozen_modules=off", "-E", "-s")),
        (["-I", "-OO", "-u"], ("-I", "-OO", "-u")),
        (
            ["-W", "error", "-Wdefault::DeprecationWarning"],
            ("-W", "error", "-Wdefault::DeprecationWarning"),
        ),
        (["-EsXdev"], ("-EsXdev",)),
    ],
)
def test_interpreter_options_keep_the_warm_path(argv, expected):
    cmd = [sys.executable, *argv, "-m", "ipykernel_launcher", "-f", "c.json"]
    assert warm.split_command(cmd) == (sys.executable, expected, ["-f", "c.json"])
    assert warm.cold_reason(cmd) == ""


@pytest.mark.parametrize(
    ("cmd", "why"),
    [
        (["/usr/bin/env", "python", "-m", "ipykernel_launcher"], "a wrapper script"),
        (["-m", "ipykernel_launcher"], "a wrapper script"),
        ([sys.executable, "-m", "other_kernel", "-f", "c.json"], "'-m other_kernel'"),
        ([sys.executable, "-c", "pass"], "'-c pass'"),
        ([sys.executable, "-i", "-m", "ipykernel_launcher"], "'-i' is not one"),
        ([sys.executable, "--check-hash-based-pycs", "always"], "'--check-hash-based-pycs'"),
        ([sys.executable, "-X"], "has no value"),
        ([], "empty"),
    ],
)
def test_anything_else_is_named_and_starts_cold(cmd, why):
    assert why in warm.cold_reason(cmd)


# everything a notebook can observe of its interpreter's set-up, once it has imported the stack
# the fork server preloads (each import adds its warning filters, pandera sets two variables)
OBSERVE = """import faulthandler, os, signal, sys, warnings
import scipy, scipy.stats, scipy.special, scipy.optimize, statsmodels.api, statsmodels.formula.api
import seaborn, pandera.pandas
import matplotlib, numpy as np, pandas as pd
import pkoresearch as pko
from pkoresearch import notebook as nb
nb.output_dir(output_dir, "observe")
options = pd._config.config._registered_options
umask = os.umask(0o22)
os.umask(umask)
pko.results.record("state", {
    "filters": [repr(f) for f in warnings.filters],
    "pandas": {k: repr(pd.get_option(k)) for k in sorted(options)},
    "pandas_defaults": {k: repr(o.defval) for k, o in sorted(options.items())},
    "numpy": {k: repr(v) for k, v in np.get_printoptions().items()},
    "numpy_errors": np.geterr(),
    "rcparams": {k: repr(v) for k, v in sorted(matplotlib.rcParams.items())},
    "backend": matplotlib.get_backend(),
    "flags": repr(sys.flags),
    "debug": __debug__,
    "xoptions": sys._xoptions,
    "warnoptions": sys.warnoptions,
    "orig_argv": sys.orig_argv[:-1],
    "argv": len(sys.argv),
    "hash": [hash("pkoresearch"), hash(b"UN"), hash(("a", 1))],
    "env": {k: v for k, v in os.environ.items() if k != "JPY_PARENT_PID"},
    "parent_pid_set": "JPY_PARENT_PID" in os.environ,
    "path": sys.path,
    "cwd": os.path.basename(os.getcwd()),
    "umask": umask,
    "faulthandler": faulthandler.is_enabled(),
    "signals": {s.name: repr(signal.getsignal(s)) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE)},
    "recursion": sys.getrecursionlimit(),
    "switch": sys.getswitchinterval(),
    "encodings": [sys.getdefaultencoding(), sys.getfilesystemencoding(), sys.stdout.encoding],
    "stdout": type(sys.stdout).__name__,
    "write_bytecode": sys.dont_write_bytecode,
})"""


def test_a_warm_kernel_is_indistinguishable_from_a_cold_one(tmp_path, monkeypatch):
    """Issue 27: pandas' display.max_columns was 0 (pandas imported outside IPython), warm kernels
    carried 7 warning filters more. With a kernelspec carrying interpreter options and a fixed
    hash seed, every option a notebook can observe is the same warm and cold: pandas (values
    and defaults), numpy, matplotlib, warning filters, sys.flags, -X and -W options, hashes,
    the environment, signal handlers. (With a random seed, as by default, kernels forked from
    one server share its seed: the seed is fixed when an interpreter starts.)"""
    from pkoresearch.batch import execute

    argv = [
        sys.executable,
        "-Xfrozen_modules=off",
        "-X",
        "faulthandler",
        "-O",
        "-u",
        "-s",
        "-W",
        "default::DeprecationWarning",
        "-m",
        "ipykernel_launcher",
        "-f",
        "{connection_file}",
    ]
    name = _kernelspec(tmp_path, monkeypatch, "pko-options", argv, metadata={"debugger": True})
    monkeypatch.setenv("PYTHONHASHSEED", "2016")
    nbs = tmp_path / "observe-nbs"
    nbs.mkdir()
    _notebook(nbs, "observe.ipynb", OBSERVE)
    state, summaries = {}, {}
    try:
        for start in (warm.WARM, warm.COLD):
            s = execute.execute_run(
                {"name": start, "notebook": "observe.ipynb", "parameters": {}},
                str(nbs),
                str(tmp_path / "out"),
                False,
                None,
                kernel=name,
                start=start,
            )
            assert s["status"] == "ok", s.get("error")
            summaries[start] = s
            state[start] = results.read(tmp_path / "out" / "runs" / start)["state"]
    finally:
        warm.shutdown_servers()
    assert summaries["warm"]["kernel_start"].startswith("warm: forked")
    assert summaries["cold"]["kernel_start"] == "cold"
    w, c = state["warm"], state["cold"]
    assert set(w) == set(c)
    for key in c:
        assert w[key] == c[key], (key, w[key], c[key])
    # what the kernelspec asked for, and what a kernel (not a terminal) gets from pandas
    assert "optimize=1" in c["flags"] and c["debug"] is False
    assert c["xoptions"] == {"frozen_modules": "off", "faulthandler": True}
    assert c["warnoptions"] == ["default::DeprecationWarning"]
    assert c["pandas"]["display.max_columns"] == "20"
    assert any("statsmodels" in f for f in c["filters"])
