"""Sweeps on a real Dask cluster whose workers share no filesystem with the client.

A `dask scheduler` and two `dask worker` processes run on 127.0.0.1 in a separate mount namespace
(``unshare --mount``) where tmpfs folders are mounted over the checkout, ``../shared`` (the real
files), the client's real-data cache and the folder holding the client's outputs and inputs: the
workers see none of them. They still need Python packages, and the test environment's virtual
environment usually lives inside the checkout (``.venv``): inside the namespace the venv is
bind-mounted back at its own path (its scripts name their interpreter by that path), and
pkoresearch itself is pip-installed (built from a copy of the checkout) into a folder outside the
checkout that the workers get on ``PYTHONPATH``. The checkout's editable-install ``.pth`` then
points at a folder that is empty in the namespace, so the workers import that installed copy:
what a cluster node with ``pip install "pkoresearch[dask]"`` has, and nothing else.

Cheaper checks of the shipping machinery (what a job carries, what a worker refuses) come first.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from conftest import EXTERNAL, ROOT, cached_real_file
from pkoresearch import cli, results
from pkoresearch.batch import shipping
from pkoresearch.batch.runner import Run
from pkoresearch.data import registry

PINNED_TABLE = registry.get("un_allegations").sha256

# --------------------------------------------------------------------------------------------------
# what a job carries (no cluster)


def test_a_job_carries_the_files_its_parameters_name(tmp_path):
    table = cached_real_file("un_allegations")
    cached_real_file("un_contributions_mission_month")
    mine = tmp_path / "my export.xlsx"
    shutil.copy(table, mine)
    ship = shipping.Shipper(None, ROOT / "notebooks", tmp_path / "out", False, None)
    # "auto" (the default of both data parameters): the client's cached files, by sha256
    job, handles = ship.job(Run("a", "01_allegation_trends.ipynb", {"missions": ["MINUSCA"]}))
    assert {c["dataset"]: c["sha256"] for c in job["cache"]} == {
        "un_allegations": PINNED_TABLE,
        "un_contributions_mission_month": registry.get("un_contributions_mission_month").sha256,
    }
    assert job["paths"] == {}
    assert job["cache"][0]["record"]["sha256"] == PINNED_TABLE  # the record travels with it
    nb_sha = shipping.file_sha256(ROOT / "notebooks" / "01_allegation_trends.ipynb")
    assert job["notebook"]["sha256"] == nb_sha and set(handles) == {
        nb_sha,
        PINNED_TABLE,
        registry.get("un_contributions_mission_month").sha256,
    }
    assert handles[PINNED_TABLE] == shipping.LocalFile(str(table), PINNED_TABLE)
    assert job["final"] == str(tmp_path / "out" / "runs" / "a")
    # a path of the user's own: shipped as a file, named as the user named it
    job, handles = ship.job(
        Run(
            "b",
            "01_allegation_trends.ipynb",
            {"allegations_table": str(mine), "contributions_mission_month": "bundled"},
        )
    )
    assert job["paths"] == {
        "allegations_table": {
            "value": str(mine),
            "client_path": str(mine),
            "sha256": PINNED_TABLE,
            "filename": "my export.xlsx",
            "dataset": None,
        }
    }
    # the datasets the notebook names travel too (once per worker), whatever this run's values
    assert [c["dataset"] for c in job["cache"]] == [
        "un_allegations",
        "un_contributions_mission_month",
    ]
    # the overview notebook reads bundled data only: nothing but the notebook travels
    job, handles = ship.job(Run("c", "00_overview.ipynb", {}))
    assert job["cache"] == [] and job["paths"] == {} and len(handles) == 1


def test_a_worker_refuses_other_code_or_data_and_changed_files(tmp_path):
    nb = tmp_path / "x.ipynb"
    nb.write_text("{}")
    sha = shipping.file_sha256(nb)
    job = {
        "token": "t",
        "run": {"name": "x", "notebook": "x.ipynb", "parameters": {}},
        "notebook": {"sha256": sha, "source": str(nb)},
        "final": str(tmp_path / "f"),
        "paths": {},
        "cache": [],
        "html_report": False,
        "timeout": None,
        "kernel": "python3",
        "expect": {"pkoresearch": "0.0.1", "bundled_data": shipping.bundled_data_digest()},
    }
    with pytest.raises(
        shipping.ShippingError,
        match=r"has pkoresearch .* expected the client's "
        r"pkoresearch 0\.0\.1",
    ):
        shipping.run_job(job, {sha: shipping.LocalFile(str(nb), sha)})
    job["expect"]["pkoresearch"] = shipping.__version__
    nb.write_text('{"changed": true}')  # after the client hashed it
    with pytest.raises(shipping.ShippingError, match=f"expected {sha}"):
        shipping.run_job(job, {sha: shipping.LocalFile(str(nb), sha)})
    with pytest.raises(shipping.ShippingError, match=f"expected {sha}"):
        shipping.run_job(job, {sha: b"other bytes"})


# --------------------------------------------------------------------------------------------------
# the cluster


@dataclass
class Cluster:
    address: str
    client: object
    hidden: dict[str, Path]  # what the workers must not see
    site: Path  # where the workers' pkoresearch is installed
    private: Path  # the client's outputs and inputs (hidden from the workers)
    log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _unshare_problem() -> str | None:
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return "needs util-linux unshare and mount"
    import tempfile

    with tempfile.TemporaryDirectory() as probe:
        got = subprocess.run(
            [
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "mount",
                "-t",
                "tmpfs",
                "tmpfs",
                probe,
            ],
            capture_output=True,
            text=True,
        )
    if got.returncode != 0:
        return (
            "needs a private mount namespace with tmpfs mounts (`unshare --mount`, as root or "
            f"with CAP_SYS_ADMIN): {got.stderr.strip()[:200]}"
        )
    return None


def _install_package(base: Path) -> Path:
    """pip-install pkoresearch (built from a copy of the checkout) into a folder outside it."""
    src = base / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for name in ("src", "data", "notebooks"):
        shutil.copytree(
            ROOT / name,
            src / name,
            symlinks=True,
            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", ".ipynb_*"),
        )
    site = base / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(src),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    shutil.rmtree(src)
    return site


def _descendants(pid: int) -> list:
    import psutil

    try:
        proc = psutil.Process(pid)
        return [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _stop(pid: int) -> None:
    """Stop the namespace's shell and every process under it (scheduler, nannies, workers and
    their kernels), by process id: terminate, then kill what is left."""
    import psutil

    procs = _descendants(pid)
    for p in procs:
        try:
            p.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(procs, timeout=15)
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("psutil")
    problem = _unshare_problem()
    if problem:
        pytest.skip(problem)
    base = tmp_path_factory.mktemp("dask-cluster")
    private = base / "client"
    (private / "inputs").mkdir(parents=True)
    site = _install_package(base)
    venv = Path(sys.prefix)
    hidden = {
        "checkout": ROOT,
        "client outputs and inputs": private,
        "client cache": Path(os.environ["PKORESEARCH_CACHE"]),
    }
    shared = ROOT.parent / "shared"
    for name, folder in (("shared", shared), ("external", EXTERNAL)):
        if folder.is_dir() and not any(folder.is_relative_to(h) for h in hidden.values()):
            hidden[name] = folder
    lines = ["set -e"]
    keep = base / "venv"
    if venv.is_relative_to(ROOT):  # the venv inside the checkout: keep a view of it, put it back
        keep.mkdir()
        lines.append(f"mount --bind {shlex.quote(str(venv))} {shlex.quote(str(keep))}")
    for folder in hidden.values():
        lines.append(f"mount -t tmpfs -o size=1m tmpfs {shlex.quote(str(folder))}")
    if venv.is_relative_to(ROOT):
        lines += [
            f"mkdir -p {shlex.quote(str(venv))}",
            f"mount --bind {shlex.quote(str(keep))} {shlex.quote(str(venv))}",
        ]
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = shlex.quote(str(venv / "bin" / "dask"))
    lines += [
        f"{dask} scheduler --host 127.0.0.1 --port {port} --no-dashboard &",
        *(
            f"{dask} worker {address} --name {name} --nthreads 1 --host 127.0.0.1 --no-dashboard &"
            for name in ("w1", "w2")
        ),
        "wait",
    ]
    worker_cache = base / "worker-cache"  # empty: the workers have no real data of their own
    worker_cache.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PKORESEARCH_", "DASK_")) and k not in ("PYTHONPATH",)
    }
    # allowed-failures 1: a run is retried once after its worker dies, fails the second time
    env.update(
        PYTHONPATH=str(site),
        PKORESEARCH_CACHE=str(worker_cache),
        DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="1",
    )
    log = base / "cluster.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", "\n".join(lines)],
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    client = None
    try:
        deadline = time.monotonic() + 180
        while client is None:
            try:
                client = distributed.Client(address, timeout=10)
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("the cluster did not start:\n" + log.read_text()[-3000:])
        client.wait_for_workers(2, timeout=180)
        yield Cluster(address, client, hidden, site, private, log)
    finally:
        if client is not None:
            client.close()
        _stop(proc.pid)


def test_the_workers_see_neither_the_checkout_nor_the_data_nor_the_outputs(cluster):
    client = cluster.client
    for name, folder in cluster.hidden.items():
        assert os.listdir(folder), name  # the client sees them
        put_back = [".venv"] if name == "checkout" and Path(sys.prefix).parent == ROOT else []
        assert all(v == put_back for v in client.run(os.listdir, str(folder)).values()), name
    where = client.run(eval, "__import__('pkoresearch').__file__")  # noqa: S307 - our own text
    assert all(Path(f).is_relative_to(cluster.site) for f in where.values()), where


def _sweep_yaml(path: Path, mine: Path) -> None:
    """Three runs of the trends notebook, each naming the real UN table differently: a registry
    name, "auto", and a path to a file of the user's own."""
    runs = [
        ("trends-MINUSCA-military", ["MINUSCA"], ["military"], "un_allegations"),
        ("trends-UNMISS-police", ["UNMISS"], ["police"], "auto"),
        ("trends-MONUSCO-civilian", ["MONUSCO"], ["civilian"], str(mine)),
    ]
    doc = {
        "runs": [
            {
                "name": name,
                "notebook": "01_allegation_trends.ipynb",
                "parameters": {
                    "missions": m,
                    "personnel_categories": c,
                    "allegations_table": table,
                    "breakpoints": [],
                },
            }
            for name, m, c, table in runs
        ]
    }
    path.write_text(json.dumps(doc))


def _injected(notebook: Path) -> str:
    nb = nbformat.read(notebook, as_version=4)
    (cell,) = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    return cell.source


@pytest.mark.slow
def test_a_sweep_on_the_hidden_cluster_equals_a_local_run(cluster, capsys):
    table = cached_real_file("un_allegations")
    mine = cluster.private / "inputs" / "my export.xlsx"
    shutil.copy(table, mine)
    runs = cluster.private / "sweep.json"  # YAML is a superset of JSON
    _sweep_yaml(runs, mine)
    local, remote = cluster.private / "local", cluster.private / "dask"
    assert cli.main(["run", "--runs", str(runs), "--jobs", "2", "-o", str(local)]) == 0
    assert (
        cli.main(
            [
                "run",
                "--runs",
                str(runs),
                "--executor",
                "dask",
                "--scheduler",
                cluster.address,
                "-o",
                str(remote),
            ]
        )
        == 0
    ), capsys.readouterr().err
    manifest = json.loads((remote / "manifest.json").read_text())
    workers = set(cluster.client.scheduler_info()["workers"])
    assert manifest["failed"] == 0 and len(manifest["runs"]) == 3
    for r in manifest["runs"]:
        assert r["worker"]["worker"] in workers  # it ran on the cluster
        mine_run, theirs = remote / "runs" / r["folder"], local / "runs" / r["folder"]
        assert json.loads((mine_run / "results.json").read_text()) == json.loads(
            (theirs / "results.json").read_text()
        ), r["name"]
        got = json.loads((mine_run / "inputs.json").read_text())
        assert got == json.loads((theirs / "inputs.json").read_text()), r["name"]
        assert got["allegations_table"]["sha256"] == PINNED_TABLE
        assert results.read(mine_run)["allegations_by_mission"]  # counted from the real table
        assert _injected(mine_run / "notebook.ipynb") == _injected(
            theirs / "notebook.ipynb"
        ).replace(str(local), str(remote))
        assert sorted(p.name for p in mine_run.iterdir()) == sorted(
            p.name for p in theirs.iterdir()
        )
        for f in mine_run.rglob("*"):
            if f.suffix in (".ipynb", ".html", ".json"):
                assert "pkoresearch-run-" not in f.read_text(), f  # no worker folder named
    by_name = {r["name"]: r for r in manifest["runs"]}
    path_run = json.loads(
        (remote / "runs" / by_name["trends-MONUSCO-civilian"]["folder"] / "inputs.json").read_text()
    )["allegations_table"]
    assert path_run["value"] == str(mine) and path_run["path"] == str(mine)
    assert path_run["how"] == "path"
    auto_run = json.loads(
        (remote / "runs" / by_name["trends-UNMISS-police"]["folder"] / "inputs.json").read_text()
    )
    assert auto_run["allegations_table"]["how"] == "auto"
    assert auto_run["allegations_table"]["path"] == str(table)  # the client's cached file
    assert auto_run["contributions_mission_month"]["dataset"] == "un_contributions_mission_month"
    nb = nbformat.read(
        remote / "runs" / by_name["trends-UNMISS-police"]["folder"] / "notebook.ipynb", as_version=4
    )
    assert nb.metadata.papermill.input_path == str(
        ROOT / "notebooks" / "01_allegation_trends.ipynb"
    )
    assert manifest["real_data"] == json.loads((local / "manifest.json").read_text())["real_data"]
    assert [d["dataset"] for d in manifest["real_data"]] == [
        None,
        "un_allegations",
        "un_contributions_mission_month",
    ]  # the path: a file of one's own


# --------------------------------------------------------------------------------------------------
# a worker that dies


SLOW = """import time
import pkoresearch as pko
from pkoresearch import notebook as nb
out = nb.output_dir(output_dir, "slow")
time.sleep(seconds)
pko.results.record("label", label)"""


def _slow_notebooks(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    nb = new_notebook(
        cells=[
            new_code_cell(
                'label: str = "x"  # a label\nseconds: float = 0.0  # how long to wait\n'
                'output_dir: str = ""  # output folder',
                metadata={"tags": ["parameters"]},
            ),
            new_code_cell(SLOW),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(nb, folder / "slow.ipynb")
    return folder


def _starts(client, run: str) -> list[str]:
    return [m["worker"] for _, m in client.get_events(shipping.EVENTS) if m["run"] == run]


def _wait_for_start(client, run: str, count: int, batch: threading.Thread) -> str:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and batch.is_alive():
        starts = _starts(client, run)
        if len(starts) >= count:
            return starts[count - 1]
        time.sleep(0.2)
    raise AssertionError(f"{run} did not start {count} time(s)")


def _kill_worker(client, address: str) -> None:
    """Kill a worker process and everything it started (its kernel), as a lost machine would."""
    pid = client.run(os.getpid, workers=[address])[address]
    procs = _descendants(pid)
    for p in procs:
        p.kill()


def _batch(args: list[str]) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def go():
        outcome["code"] = cli.main(args)

    t = threading.Thread(target=go)
    t.start()
    return t, outcome


def test_a_worker_killed_during_a_run(cluster, capsys, monkeypatch):
    client = cluster.client
    monkeypatch.setenv("PKORESEARCH_NOTEBOOKS", str(_slow_notebooks(cluster.private / "slow")))
    runs = {}
    for batch_name, entries in (
        ("a", [("slow-retried", 6.0, "second try")]),
        ("b", [("slow-failed", 6.0, "x"), ("quick", 0.0, "q")]),
    ):
        runs[batch_name] = cluster.private / f"slow-{batch_name}.json"
        runs[batch_name].write_text(
            json.dumps(
                {
                    "runs": [
                        {
                            "name": name,
                            "notebook": "slow.ipynb",
                            "parameters": {"seconds": seconds, "label": label},
                        }
                        for name, seconds, label in entries
                    ]
                }
            )
        )
    out = cluster.private / "killed"

    def args(batch_name: str) -> list[str]:
        return [
            "run",
            "--runs",
            str(runs[batch_name]),
            "--executor",
            "dask",
            "--scheduler",
            cluster.address,
            "--no-html",
            "-o",
            str(out / batch_name),
        ]

    # killed once: Dask runs it again on another worker; said so, the report is complete, exit 0
    batch, outcome = _batch(args("a"))
    first = _wait_for_start(client, "slow-retried", 1, batch)
    # the run's inputs (here the notebook) travel inside its task: it depends on no data that
    # a worker holds, so nothing it needs dies with the worker (scattered bytes did, and the run
    # ended with CancelledError whenever they sat on the killed worker only)
    running = client.run_on_scheduler(
        lambda dask_scheduler: {
            str(ts.key): sorted(str(d.key) for d in ts.dependencies)
            for ts in dask_scheduler.tasks.values()
            if ts.state == "processing"
        }
    )
    assert len(running) == 1 and list(running.values()) == [[]], running
    _kill_worker(client, first)
    batch.join(timeout=600)
    assert outcome["code"] == 0
    manifest = json.loads((out / "a" / "manifest.json").read_text())
    (r,) = manifest["runs"]
    assert r["status"] == "ok" and r["attempts"][0] == first and len(r["attempts"]) == 2
    assert r["worker"]["worker"] == r["attempts"][1] != first
    assert f"the worker(s) {first} stopped during the run" in r["retried"]
    assert results.read(out / "a" / "runs" / "slow-retried") == {"label": "second try"}
    assert "retried" in (out / "a" / "index.html").read_text()
    assert "RETRIED slow-retried" in capsys.readouterr().err

    # killed on every attempt (allowed-failures 1 here): failed, the other run completes, exit 1
    client.wait_for_workers(2, timeout=180)
    batch, outcome = _batch(args("b"))
    _kill_worker(client, _wait_for_start(client, "slow-failed", 1, batch))
    _kill_worker(client, _wait_for_start(client, "slow-failed", 2, batch))
    batch.join(timeout=600)
    assert not batch.is_alive() and outcome["code"] == 1
    manifest = json.loads((out / "b" / "manifest.json").read_text())
    status = {r["name"]: r["status"] for r in manifest["runs"]}
    assert status == {"slow-failed": "failed", "quick": "ok"}
    assert results.read(out / "b" / "runs" / "quick") == {"label": "q"}
    (failed,) = [r for r in manifest["runs"] if r["status"] == "failed"]
    assert failed["error"]["type"] == "KilledWorker"
    assert "workers died while running it" in failed["error"]["message"]
    assert not (out / "b" / "runs" / "slow-failed").exists()
    assert "FAILED slow-failed" in capsys.readouterr().err
