"""Fault injection against the batch runner (issue 15, runner state): full disks, links in the
output folder, a second runner, SIGTERM and kill -9 of the runner, hostile run matrices, bad
timeouts, an unreachable scheduler, a read-only output folder, stale temporary folders.

Notebooks executed here are tiny (a few lines); the real notebooks are never run."""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from conftest import tiny_notebook
from pkoresearch import cli, results
from pkoresearch.batch import atomic, execute, manifest, outdir, procs, runner
from pkoresearch.batch.runner import Run, RunConfigError


@pytest.fixture
def nbs(tmp_path, monkeypatch) -> Path:
    """A notebooks folder with one small parameterized notebook, ``faults.ipynb``
    (conftest.tiny_notebook), that can also sleep first and fill the disk at the end."""
    return tiny_notebook(
        tmp_path / "nbs",
        "faults",
        monkeypatch,
        parameters="sleep: float = 0.0  # seconds to sleep first\n"
        "fill: bool = False  # fill the disk at the end\n",
        imports="import os, time\n",
        before="time.sleep(sleep)\n",
        after=(
            "if fill:  # fill the disk the run writes to, as a large figure would\n"
            '    with open(os.path.join(output_dir, "filler"), "wb", buffering=0) as fh:\n'
            "        try:\n"
            "            while True:\n"
            '                fh.write(b"x" * 65536)\n'
            "        except OSError:\n"
            "            pass\n"
        ),
    )


def quiet(n: int = 1) -> runner.Progress:
    return runner.Progress(n, io.StringIO())


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith((".tmp-", ".old-")))


def assert_manifest_matches_disk(out: Path) -> dict:
    """Every successful entry (this batch's and earlier ones) lists exactly the files in its
    folder and the results in its results.json."""
    m = json.loads((out / "manifest.json").read_text())
    for e in [r for r in m["runs"] if r["status"] == "ok"] + m["earlier_runs"]:
        folder = out / "runs" / e["folder"]
        on_disk = sorted(str(p.relative_to(out)) for p in folder.rglob("*") if p.is_file())
        assert e["files"] == on_disk, e["name"]
        assert e["results"] == results.read(folder), e["name"]
    for e in m["runs"]:
        if e.get("last_good"):
            assert (out / e["last_good"]["folder"]).is_dir()
    return m


def mount_tmpfs(where: Path, options: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small file system needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")


@pytest.fixture
def mounts():
    mounted: list[Path] = []
    yield mounted
    for m in mounted:
        subprocess.run(["umount", "-l", str(m)], capture_output=True)


# --------------------------------------------------------------------------------------------------
# atomic replacement


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "manifest.json"
    target.write_text('{"old": true}\n')
    real_fsync = os.fsync

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    with pytest.raises(OSError) as caught:
        atomic.write_text(target, '{"new": true}\n')
    assert caught.value.errno == errno.ENOSPC
    assert json.loads(target.read_text()) == {"old": True}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json"]
    monkeypatch.setattr(atomic.os, "fsync", real_fsync)
    atomic.write_text(target, '{"new": true}\n')
    assert json.loads(target.read_text()) == {"new": True}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json"]


def test_links_at_manifest_and_index_are_replaced_not_followed(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    victim_m, victim_i = tmp_path / "precious.json", tmp_path / "precious.html"
    victim_m.write_text("keep me\n")
    victim_i.write_text("keep me too\n")
    (out / "manifest.json").symlink_to(victim_m)
    (out / "index.html").symlink_to(victim_i)
    m = manifest.assemble(
        out, {"pkoresearch_version": "0", "git_commit": None, "start": "s"}, [], {}, "finished"
    )
    manifest.publish(out, m)
    assert victim_m.read_text() == "keep me\n" and victim_i.read_text() == "keep me too\n"
    for name in ("manifest.json", "index.html"):
        assert not (out / name).is_symlink() and (out / name).is_file()
    assert json.loads((out / "manifest.json").read_text())["runs"] == []


def test_a_failed_runs_truncated_notebook_is_not_kept(tmp_path):
    for content, kept in [(b"", False), (b'{"cells": [', False), (b'{"cells": []}', True)]:
        tmp = tmp_path / ".tmp-r-00000000"
        tmp.mkdir()
        (tmp / "notebook.ipynb").write_bytes(content)
        (tmp / "kernel-stderr.log").write_text("warning\n")
        (tmp / "figure.png").write_bytes(b"png")
        summary = {"error": {"message": "x"}}
        failed = tmp_path / "failed" / "r"
        execute._keep_failed(tmp, failed, summary)
        assert not tmp.exists()
        names = sorted(p.name for p in failed.iterdir())
        if kept:
            assert names == ["kernel-stderr.log", "notebook.ipynb"]
            assert "notebook" not in summary["error"]
        else:
            assert names == ["kernel-stderr.log"]
            assert summary["error"]["notebook"] == (
                f"the executed notebook was not written completely ({len(content)} bytes); not kept"
            )


def test_full_disk_during_a_run_keeps_the_earlier_report(nbs, tmp_path, mounts, capsys):
    """A 3 MB file system: a good run, then a rerun whose notebook fills the disk. The rerun
    fails, its truncated notebook is not kept (no 0-byte file), the first report is still
    listed and readable, and nothing temporary is left."""
    out = tmp_path / "fs"
    mount_tmpfs(out, "size=3m")
    mounts.append(out)
    assert (
        cli.main(
            ["run", "faults.ipynb", "--replace", "-p", "label", "good", "-o", str(out), "--no-html"]
        )
        == 0
    )
    first = json.loads((out / "manifest.json").read_text())
    code = cli.main(
        [
            "run",
            "faults.ipynb",
            "--replace",
            "-p",
            "label",
            "again",
            "-p",
            "fill",
            "true",
            "-o",
            str(out),
            "--no-html",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1, err
    m = assert_manifest_matches_disk(out)
    (entry,) = m["runs"]
    assert entry["status"] == "failed" and "No space left" in entry["error"]["message"]
    assert entry["last_good"] == {
        "folder": "runs/faults",
        "finished": first["runs"][0]["finished"],
        "run": first["runs"][0],
    }
    assert results.read(out / "runs" / "faults") == {"label": "good", "double": 2}
    for f in (out / "failed").rglob("*"):
        assert f.stat().st_size > 0 or f.name == "kernel-stderr.log", f
    nb_file = out / "failed" / "faults" / "notebook.ipynb"
    assert not nb_file.exists() or nbformat.read(nb_file, as_version=4).cells
    assert leftovers(out) == [] and not (out / "filler").exists()
    assert "faults" in (out / "index.html").read_text()


def test_full_disk_before_the_batch_is_a_message_and_keeps_the_report(
    nbs, tmp_path, mounts, capsys
):
    out = tmp_path / "fs"
    mount_tmpfs(out, "size=2m")
    mounts.append(out)
    assert cli.main(["run", "faults.ipynb", "-o", str(out), "--no-html"]) == 0
    before = {n: (out / n).read_bytes() for n in ("manifest.json", "index.html")}
    capsys.readouterr()
    with open(out / "ballast", "wb", buffering=0) as fh, pytest.raises(OSError):
        while True:
            fh.write(b"x" * 65536)
    code = cli.main(["run", "faults.ipynb", "-p", "label", "y", "-o", str(out), "--no-html"])
    err = capsys.readouterr().err
    assert code == 2 and "No space left on device" in err and "Traceback" not in err
    assert {n: (out / n).read_bytes() for n in before} == before
    json.loads(before["manifest.json"])
    assert leftovers(out) == []


# --------------------------------------------------------------------------------------------------
# the manifest carries earlier runs


def test_failed_rerun_keeps_earlier_runs_in_manifest_and_index(nbs, tmp_path):
    out = tmp_path / "out"
    m1 = runner.run_batch(
        [
            Run("a", "faults.ipynb", {"label": "A"}),
            Run("b", "faults.ipynb", {"label": "B", "value": 5}),
        ],
        output=out,
        html_report=False,
        notebooks=nbs,
        progress=quiet(2),
    )
    assert m1["failed"] == 0 and m1["earlier_runs"] == [] and m1["state"] == "finished"
    finished_a = m1["runs"][0]["finished"]

    m2 = runner.run_batch(
        [Run("a", "faults.ipynb", {"label": "A2", "fail": True})],
        output=out,
        html_report=False,
        notebooks=nbs,
        progress=quiet(),
    )
    assert [r["name"] for r in m2["runs"]] == ["a"] and m2["failed"] == 1
    assert m2["runs"][0]["last_good"]["folder"] == "runs/a"
    assert m2["runs"][0]["last_good"]["finished"] == finished_a
    assert m2["runs"][0]["last_good"]["run"]["results"] == {"label": "A", "double": 2}
    assert [(e["name"], e["results"]) for e in m2["earlier_runs"]] == [
        ("b", {"label": "B", "double": 10})
    ]
    assert json.loads((out / "manifest.json").read_text()) == m2
    assert_manifest_matches_disk(out)
    page = (out / "index.html").read_text()
    # a's failed rerun in this batch's section, b's report in the section of earlier batches
    assert 'id="run-a"' in page and 'id="earlier-b"' in page and 'id="run-b"' not in page

    # b again, alone: a's good report (behind its failed rerun) is still listed
    (out / "runs" / "a" / "extra.txt").write_text("added by hand\n")
    m3 = runner.run_batch(
        [Run("b", "faults.ipynb", {"label": "B3"})],
        output=out,
        html_report=False,
        notebooks=nbs,
        progress=quiet(),
    )
    assert [(e["name"], e["status"], e["results"]) for e in m3["earlier_runs"]] == [
        ("a", "ok", {"label": "A", "double": 2})
    ]
    assert_manifest_matches_disk(out)

    # a report removed by hand is no longer listed
    shutil.rmtree(out / "runs" / "a")
    m4 = runner.run_batch(
        [Run("b", "faults.ipynb", {"label": "B4"})],
        output=out,
        html_report=False,
        notebooks=nbs,
        progress=quiet(),
    )
    assert m4["earlier_runs"] == []
    assert leftovers(out) == []


def test_stale_temporary_entries_are_removed_and_a_half_replaced_report_restored(tmp_path):
    out = tmp_path / "out"
    (out / "runs").mkdir(parents=True)
    tmp_run = atomic.own_name(".tmp-", "r")
    tmp_manifest = atomic.own_name(".tmp-", "manifest.json")
    old_gone, old_here = atomic.own_name(".old-", "gone"), atomic.own_name(".old-", "here")
    (out / tmp_run).mkdir()
    (out / tmp_run / "notebook.ipynb").write_text("{}")
    (out / tmp_manifest).write_text("{")
    (out / old_gone).mkdir()  # runs/gone missing: the runner died mid-swap
    (out / old_gone / "results.json").write_text("{}")
    (out / old_here).mkdir()  # runs/here present: the swap completed
    (out / "runs" / "here").mkdir()
    with outdir.OutputLock(out):
        removed = outdir.clean_stale(out)
    assert removed == sorted([old_gone, old_here, tmp_manifest, tmp_run])
    assert leftovers(out) == []
    assert (out / "runs" / "gone" / "results.json").is_file()


def test_the_clean_up_never_removes_a_users_own_tmp_or_old_entries(nbs, tmp_path):
    """Issue 27: a user's ``.tmp-draft/``, ``.tmp-keep.txt`` and ``.old-thesis-1a2b3c4d/`` in the
    output folder survive a batch (start and end clean-ups), even names shaped like the runner's
    old ones (``-<8 hex>``) and a folder named after a run whose report is missing."""
    out = tmp_path / "out"
    out.mkdir()
    planted = {
        ".tmp-draft/chapter.md": "draft\n",
        ".tmp-keep.txt": "keep\n",
        ".old-thesis-1a2b3c4d/thesis.tex": "thesis\n",
        ".tmp-a-0badc0de/notes.txt": "notes\n",  # the runner's pre-issue-27 shape, run "a"
        ".old-a-89abcdef/results.json": "{}\n",  # ... and runs/a does not exist yet
        ".tmp-manifest.json-12ab34cd": "not a manifest\n",
        ".old-a-0123456789abcdef/x.txt": "x\n",  # 16 hex digits whose checksum is wrong
    }
    for rel, text in planted.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)
    (out / ".tmp-linked").symlink_to(tmp_path)  # a user's link: not followed, not removed
    own = atomic.own_name(".tmp-", "a")
    (out / own).mkdir()  # one stale entry the runner did make
    m = runner.run_batch(
        [Run("a", "faults.ipynb", {"label": "A"})],
        output=out,
        html_report=False,
        notebooks=nbs,
        progress=quiet(),
    )
    assert m["state"] == "finished" and m["runs"][0]["status"] == "ok"
    for rel, text in planted.items():
        assert (out / rel).read_text() == text, rel
    assert (out / ".tmp-linked").is_symlink()
    assert not (out / own).exists()
    assert not (out / "runs" / "a" / "x.txt").exists()  # no user folder was taken as a report
    assert leftovers(out) == sorted({rel.split("/")[0] for rel in planted} | {".tmp-linked"})


def test_own_names_are_told_from_lookalikes():
    name = atomic.own_name(".old-", "run-1")
    assert atomic.is_own_name(name) == (".old-", "run-1")
    flipped = name[:-1] + ("0" if name[-1] != "0" else "1")
    for other in (flipped, ".old-run-1-1a2b3c4d", ".tmp-keep.txt", name + "x", name[1:]):
        assert atomic.is_own_name(other) is None, other


# --------------------------------------------------------------------------------------------------
# run matrices


BOMB = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(f"{x}: &{x} [{', '.join(['*' + p] * 9)}]\n" for p, x in zip("abcdefgh", "bcdefghi"))
    + "runs: [{name: x, notebook: faults.ipynb, parameters: {label: *i}}]\n"
)


@pytest.mark.parametrize(
    "content, message",
    [
        (BOMB.encode(), "line 6, column 4: the aliases expand to more than 100,000 values"),
        (
            "runs: [{name: caf\xe9, notebook: faults.ipynb}]\n".encode("latin-1"),
            "byte 17 (0xe9) is not UTF-8; expected UTF-8 text",
        ),
        (
            b"runs: &r [{name: x, notebook: faults.ipynb, parameters: {label: *r}}]\n",
            "an alias refers to a node that contains it",
        ),
        (
            b"runs: [{name: x, notebook: faults.ipynb, parameters: {label: "
            + b"[" * 5000
            + b"]" * 5000
            + b"}}]\n",
            "nesting deeper than 50 levels",
        ),
        (
            b"runs: [{name: x, notebook: faults.ipynb, parameters: {value: "
            + b"7" * 5001
            + b"}}]\n",
            "an integer of 5001 digits; expected at most 30",
        ),
        (b"# padding\n" * 150_000, "1,500,000 bytes; expected at most 1,000,000"),
        (
            b"runs: [{name: x, notebook: ../faults.ipynb}]\n",
            "notebook '../faults.ipynb' is outside the notebooks folder",
        ),
        (
            b"runs: [{name: x, notebook: /etc/passwd}]\n",
            "notebook '/etc/passwd' is outside the notebooks folder",
        ),
    ],
)
def test_hostile_run_matrices_are_refused_quickly_with_exit_2(
    nbs, tmp_path, capsys, content, message
):
    (nbs.parent / "faults.ipynb").write_text("{}")  # a notebook outside the folder
    p = tmp_path / "runs.yaml"
    p.write_bytes(content)
    out = tmp_path / "out"
    t0 = time.perf_counter()
    code = cli.main(["run", "--runs", str(p), "-o", str(out)])
    took = time.perf_counter() - t0
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err, err
    assert str(p) in err or "run 'x'" in err
    assert took < 5 and not out.exists()


def test_a_fifo_as_run_matrix_is_refused_without_reading(tmp_path, capsys):
    fifo = tmp_path / "runs.yaml"
    os.mkfifo(fifo)
    assert cli.main(["run", "--runs", str(fifo), "-o", str(tmp_path / "o")]) == 2
    assert "not a regular file" in capsys.readouterr().err


def test_aliases_for_shared_parameters_still_work(nbs, tmp_path):
    p = tmp_path / "runs.yaml"
    p.write_text(
        "common: &c {label: shared, value: 3}\n"
        "runs:\n  - {name: one, notebook: faults.ipynb, parameters: *c}\n"
        "  - {name: two, notebook: faults.ipynb, parameters: *c}\n"
    )
    runs = runner.load_runs(p)
    assert [r.parameters for r in runs] == [{"label": "shared", "value": 3}] * 2
    runner.check_runs(runs, nbs)


def test_hostile_command_line_values_are_refused(nbs, tmp_path, capsys):
    code = cli.main(
        ["run", "faults.ipynb", "-p", "label", "[" * 3000 + "]" * 3000, "-o", str(tmp_path / "o")]
    )
    err = capsys.readouterr().err
    assert code == 2 and "-p label: line 1, column 51: nesting deeper than 50 levels" in err


# --------------------------------------------------------------------------------------------------
# timeouts, schedulers, output folders


@pytest.mark.parametrize("value", ["0", "-1", "nan"])
def test_timeout_zero_or_negative_is_refused(nbs, tmp_path, capsys, value):
    code = cli.main(["run", "faults.ipynb", "--timeout", value, "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert (
        f"--timeout: found {float(value)!r}; expected seconds per cell, a number greater "
        "than 0" in err
    )
    assert not (tmp_path / "o").exists()


def test_a_timeout_names_the_limit_and_the_cell(nbs, tmp_path):
    m = runner.run_batch(
        [Run("slow", "faults.ipynb", {"sleep": 30.0})],
        output=tmp_path / "o",
        html_report=False,
        notebooks=nbs,
        timeout=2,
        progress=quiet(),
    )
    err = m["runs"][0]["error"]
    assert err["type"] == "CellTimeoutError" and err["timeout_s"] == 2
    assert err["cell_index"] == 2 and err["exec_count"] == 3  # parameters, injected, the code
    assert err["message"] == (
        "timed out after 2 s (--timeout, per cell) in the cell starting 'import os, time'"
    )
    stream = io.StringIO()
    p = runner.Progress(1, stream)
    p.finished(m["runs"][0])
    assert "cell 3: timed out after 2 s (--timeout, per cell)" in stream.getvalue()


def test_an_unreachable_scheduler_is_a_message(nbs, tmp_path, capsys, monkeypatch):
    pytest.importorskip("dask.distributed")
    t0 = time.perf_counter()
    with pytest.raises(
        RunConfigError,
        match=r"--scheduler tcp://127.0.0.1:9: no Dask scheduler "
        r"answered within 2 s",
    ):
        runner.dask_executor("tcp://127.0.0.1:9", connect_timeout=2)
    assert time.perf_counter() - t0 < 15
    monkeypatch.setattr(runner.dask_executor, "__defaults__", (2.0,))
    code = cli.main(
        [
            "run",
            "faults.ipynb",
            "--executor",
            "dask",
            "--scheduler",
            "tcp://127.0.0.1:9",
            "-o",
            str(tmp_path / "o"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "no Dask scheduler answered" in err and "Traceback" not in err


def test_an_output_folder_that_cannot_be_written_is_a_message(nbs, tmp_path, mounts, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code = cli.main(["run", "faults.ipynb", "-o", str(blocker / "reports")])
    err = capsys.readouterr().err
    assert code == 2 and f"output folder {blocker / 'reports'}: cannot create it" in err
    ro = tmp_path / "ro"
    mount_tmpfs(ro, "ro,size=1m")
    mounts.append(ro)
    code = cli.main(["run", "faults.ipynb", "-o", str(ro)])
    err = capsys.readouterr().err
    assert code == 2 and f"output folder {ro}: cannot write to it (Read-only file system)" in err
    assert "Traceback" not in err


# --------------------------------------------------------------------------------------------------
# a second runner, and processes


def _runner(out: Path, nbs: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pkoresearch.cli", "run", "-o", str(out), "--no-html", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PKORESEARCH_NOTEBOOKS": str(nbs)},
    )


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            stat = fh.read()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _is_kernel(pid: int) -> bool:
    """A cold kernel (``ipykernel_launcher``) or a warm one: a process forked by a fork server
    (pkoresearch.batch.warm), which has its server's command line and the server as parent."""
    cmd = _cmdline(pid)
    if b"ipykernel" in cmd:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        ppid = int(stat[stat.rfind(")") + 2 :].split()[1])
    except (OSError, ValueError, IndexError):
        return False
    return b"_forkserver" in cmd and b"_forkserver" in _cmdline(ppid)


def _wait_for_kernels(proc: subprocess.Popen, n: int, limit: float = 120) -> set[int]:
    """Every descendant seen until ``n`` kernels of ``proc`` run."""
    seen: set[int] = set()
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        kids = procs.descendants(proc.pid)
        seen.update(kids)
        kernels = [_is_kernel(k) for k in kids]
        if sum(kernels) >= n:
            time.sleep(1.0)  # the kernel is executing its cells
            seen.update(procs.descendants(proc.pid))
            return seen
        time.sleep(0.2)
    raise AssertionError("kernels did not start")


@pytest.mark.slow
def test_a_second_runner_stops_or_waits(nbs, tmp_path):
    """Runner A works on the folder; B (no --wait) stops at once with exit 2 naming A; C
    (--wait) starts when A is stopped and completes. No process of A or C outlives them."""
    out = tmp_path / "out"
    a = _runner(out, nbs, "faults.ipynb", "-p", "sleep", "600", "-p", "label", "A")
    seen = _wait_for_kernels(a, 1)
    b = subprocess.run(
        [
            sys.executable,
            "-m",
            "pkoresearch.cli",
            "run",
            "faults.ipynb",
            "-o",
            str(out),
            "--no-html",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PKORESEARCH_NOTEBOOKS": str(nbs)},
    )
    assert a.poll() is None  # A is still at work
    assert b.returncode == 2
    assert f"output folder {out} is in use by another pkoresearch run (pid {a.pid} on " in b.stderr
    assert "waited 0 s" in b.stderr and "Traceback" not in b.stderr
    c = _runner(out, nbs, "faults.ipynb", "-p", "label", "C", "-p", "sleep", "3", "--wait", "600")
    time.sleep(2)
    assert c.poll() is None and not procs.descendants(c.pid)  # C waits for the lock
    os.kill(a.pid, signal.SIGTERM)
    assert a.wait(timeout=300) == 128 + 15
    seen |= _wait_for_kernels(c, 1)
    assert c.wait(timeout=600) == 0, c.communicate()
    m = assert_manifest_matches_disk(out)
    assert m["state"] == "finished" and m["runs"][0]["results"]["label"] == "C"
    time.sleep(1)
    assert [p for p in seen if _alive(p)] == []  # nor does a normal batch leave any behind
    assert leftovers(out) == []


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "kill-9"])
def test_no_process_survives_the_runner(nbs, tmp_path, sig):
    """Two runs in two workers, each in its kernel; the runner is stopped (SIGTERM) or killed
    (kill -9) mid-batch. Within seconds no worker or kernel is left, and nothing is published
    later (the runs would have finished 8 s after their start)."""
    out = tmp_path / "out"
    runs = tmp_path / "runs.yaml"
    runs.write_text(
        "runs:\n  - name: slow-{label}\n    notebook: faults.ipynb\n"
        "    parameters: {sleep: 8}\n    sweep: {label: [a, b]}\n"
    )
    proc = _runner(out, nbs, "--runs", str(runs), "--jobs", "2")
    seen = _wait_for_kernels(proc, 2)
    assert len(seen) >= 4  # two workers, two kernels (and multiprocessing's resource tracker)
    t0 = time.monotonic()
    os.kill(proc.pid, sig)
    code = proc.wait(timeout=30)
    while [p for p in seen if _alive(p)] and time.monotonic() - t0 < 5:
        time.sleep(0.1)
    assert [p for p in seen if _alive(p)] == [], f"{sig.name}: processes left"
    stderr = proc.stderr.read()
    if sig == signal.SIGTERM:
        assert code == 128 + 15, stderr
        assert "stopped by signal 15 (SIGTERM): 0 of 2 run(s) finished" in stderr
        m = json.loads((out / "manifest.json").read_text())
        assert m["state"] == "interrupted" and m["runs"] == []
        assert leftovers(out) == []
    else:
        assert code == -signal.SIGKILL
    time.sleep(12)  # past the moment the runs would have published
    assert not (out / "runs").exists()
    assert [p for p in seen if _alive(p)] == []
    with outdir.OutputLock(out):  # free again: whatever is temporary is stale
        outdir.clean_stale(out)
    assert leftovers(out) == []


def test_a_run_whose_batch_lost_the_folder_publishes_nothing(nbs, tmp_path):
    """A worker that outlived its runner (e.g. on a remote Dask worker) finishes its run: it
    must not replace runs/ (nobody holds the lock, or another batch does)."""
    out = tmp_path / "out"
    out.mkdir()
    s = execute.execute_run(
        {"name": "late", "notebook": "faults.ipynb", "parameters": {}},
        str(nbs),
        str(out),
        False,
        None,
        batch="a-batch-that-is-gone",
    )
    assert s["status"] == "failed" and s["error"]["type"] == "Orphaned"
    assert not (out / "runs").exists() and not (out / "failed").exists()
    assert leftovers(out) == []
    with outdir.OutputLock(out) as lock:
        assert outdir.batch_is_current(out, lock.batch)
        assert not outdir.batch_is_current(out, "another")
    assert not outdir.batch_is_current(out, lock.batch)


# --------------------------------------------------------------------------------------------------
# issue 27: text a file cannot hold, notebooks that are not notebooks, large sweeps, final states


@pytest.mark.parametrize(
    "content, message",
    [
        (  # YAML escapes of the two halves of a surrogate pair: two lone surrogates
            b'runs: [{name: x, notebook: faults.ipynb, parameters: {label: "\\ud83d\\ude00"}}]\n',
            "run 'x': parameter 'label': found '\\ud83d\\ude00', which holds a lone surrogate "
            "('\\ud83d' at character 1), not a character",
        ),
        (  # the same, as json.dumps writes an emoji (JSON is YAML)
            json.dumps(
                {"runs": [{"name": "x", "notebook": "faults.ipynb", "parameters": {"label": "😀"}}]}
            ).encode(),
            "run 'x': parameter 'label': found '\\ud83d\\ude00', which holds a lone surrogate",
        ),
        (
            b'runs: [{name: x, notebook: faults.ipynb, parameters: {label: "a\\0b"}}]\n',
            "run 'x': parameter 'label': found 'a\\x00b', which holds a NUL byte (\\x00)",
        ),
        (
            b'runs: [{name: "x\\0", notebook: faults.ipynb}]\n',
            "run name: found 'x\\x00', which holds a NUL byte",
        ),
    ],
)
def test_text_no_file_can_hold_is_refused_before_anything_runs(
    nbs, tmp_path, capsys, content, message
):
    p = tmp_path / "runs.yaml"
    p.write_bytes(content)
    out = tmp_path / "out"
    code = cli.main(["run", "--runs", str(p), "-o", str(out), "--cold"])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err, err
    assert not out.exists()


def test_a_nul_byte_in_a_data_parameter_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    code = cli.main(
        [
            "run",
            "01_allegation_trends.ipynb",
            "-p",
            "allegations_table",
            '"un_allegations\\0"',
            "-o",
            str(out),
            "--cold",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    assert (
        "run '01_allegation_trends': parameter 'allegations_table': found 'un_allegations\\x00', "
        "which holds a NUL byte (\\x00); expected text without one" in err
    )
    assert not out.exists()


@pytest.mark.parametrize(
    "content, found",
    [
        (b"not json\n", "found text that is not JSON (Expecting value: line 1 column 1 (char 0))"),
        (b"{}", "found a JSON object without 'cells', 'metadata', 'nbformat'"),
        (b"[1, 2]", "found a JSON list"),
        (b"\xff\xfe{", "found bytes that are not UTF-8 text (at byte 0)"),
        (
            b'{"cells": {}, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
            "found nbformat 4 with 'cells' a dict",
        ),
    ],
)
def test_a_notebook_that_is_not_a_notebook_is_named(nbs, tmp_path, capsys, content, found):
    (nbs / "x.ipynb").write_bytes(content)
    out = tmp_path / "out"
    code = cli.main(["run", "--notebooks", str(nbs), "x.ipynb", "-o", str(out), "--cold"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    assert f"run 'x': notebook {nbs / 'x.ipynb'}: {found}" in err
    assert "expected a Jupyter notebook (nbformat 4 JSON with 'cells' and 'metadata')" in err
    assert not out.exists()


def test_a_sweep_beyond_the_run_limit_is_refused_before_it_is_expanded(nbs, tmp_path, capsys):
    p = tmp_path / "runs.yaml"
    values = ", ".join(str(i) for i in range(300))
    p.write_text(
        "runs:\n  - {name: 's{label}-{value}', notebook: faults.ipynb,\n"
        f"     sweep: {{label: [{values}], value: [{values}]}}}}\n"
    )
    t0 = time.perf_counter()
    code = cli.main(["run", "--runs", str(p), "-o", str(tmp_path / "out"), "--cold"])
    took = time.perf_counter() - t0
    err = capsys.readouterr().err
    assert code == 2 and took < 10, (took, err)
    assert (
        "runs.yaml run 1 (s{label}-{value}): the sweep makes 90,000 runs (label: 300 x value: "
        "300); expected at most 10,000 runs in a batch" in err
    )
    with pytest.raises(RunConfigError, match=r"10,001 runs in the run matrix; expected at most"):
        runner.check_runs([Run(f"r{i}", "faults.ipynb") for i in range(10_001)], nbs)


def test_the_largest_sweep_allowed_is_checked_in_one_pass(nbs, tmp_path):
    """10,000 runs (100 x 100): expanded, names and folders checked with sets (the quadratic
    checks took 4 s for 10,000 runs and 15 s for 22,500); a repeated name is still found."""
    from pkoresearch.batch import runconfig

    p = tmp_path / "runs.yaml"
    values = ", ".join(str(i) for i in range(100))
    sweep = (
        "runs:\n  - {name: 's{value}-{sleep}', notebook: faults.ipynb,\n"
        f"     sweep: {{value: [{values}], sleep: [{values}]}}}}\n"
    )
    p.write_text(sweep)
    t0 = time.perf_counter()
    runs = runner.load_runs(p)
    runner.check_runs(runs, nbs)
    took = time.perf_counter() - t0
    assert len(runs) == runconfig.MAX_RUNS and runs[-1].name == "s99-99"
    assert took < 30, took  # a guard against a quadratic check, not a benchmark
    p.write_text(sweep + "  - {name: s7-7, notebook: faults.ipynb}\n")
    with pytest.raises(
        RunConfigError, match=r"runs 1-2 already make 10,001 runs; expected at most"
    ):
        runner.load_runs(p)
    p.write_text(sweep.replace(", 99]", "]") + "  - {name: s7-7, notebook: faults.ipynb}\n")
    with pytest.raises(RunConfigError, match=r"run name\(s\) \['s7-7'\] used more than once"):
        runner.load_runs(p)
    assert runconfig.repeated(["a", "b", "a", "c", "b", "a"]) == ["a", "b"]


class _Crashing(runner.Progress):
    def finished(self, summary):
        raise RuntimeError("the progress display broke")


def test_a_batch_stopped_by_an_error_ends_its_manifest_in_a_final_state(nbs, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="the progress display broke"):
        runner.run_batch(
            [Run("a", "faults.ipynb", {"label": "A"})],
            output=out,
            html_report=False,
            notebooks=nbs,
            progress=_Crashing(1, io.StringIO()),
            warm_start=False,
        )
    m = json.loads((out / "manifest.json").read_text())
    assert m["state"] == "aborted"
    assert leftovers(out) == []
