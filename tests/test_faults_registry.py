"""Fault injection (issue 27): the data registry and its cache under faults. NUL bytes in names
and paths, numbers that are not numbers, a cache on a full disk, on a read-only mount or named
by a file, sources that cannot be read, Ctrl-C during a fetch, damaged cache records, downloads
that trickle or were killed half-way. Each case asserts the error type and that the message names
the file, folder or option, and that the cache is left as it was. The downloads come from a
server on 127.0.0.1."""

from __future__ import annotations

import errno
import http.server
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import external_file
from pkoresearch import cli
from pkoresearch.batch import runner
from pkoresearch.batch.runner import Run, RunConfigError
from pkoresearch.data import registry
from pkoresearch.data.readers.un_conduct import read_table_of_allegations
from pkoresearch.errors import DataError, ParameterError

TABLE = "UN_conduct_table_of_allegations_2024-07.xlsx"
ODP_HEADER = (
    "Contributing_Country,ISOCode3,Mission_Acronym,Personnel_Type,Female_Personnel,"
    "Male_Personnel,Last_Reporting_Date\n"
)


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


class _Handler(http.server.BaseHTTPRequestHandler):
    """``/<name>``: the file ``server.files[name]``. ``server.trickle``: seconds between single
    bytes; ``server.length``: whether to send Content-Length (else the body ends when the
    connection closes, as an HTTP/1.0 server sends it)."""

    def do_GET(self):  # noqa: N802 - http.server's naming
        self.server.requests.append(self.path)
        body = self.server.once.pop(self.path.strip("/"), None) or self.server.files.get(
            self.path.strip("/")
        )
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        if self.server.length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            if self.server.trickle:
                for i in range(len(body)):
                    self.wfile.write(body[i : i + 1])
                    self.wfile.flush()
                    time.sleep(self.server.trickle)
            else:
                self.wfile.write(body)
        except OSError:  # the client went away
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.files, httpd.trickle, httpd.length = {}, 0.0, True
    httpd.once, httpd.requests = {}, []  # once: served to the first request only
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("PKORESEARCH_CACHE", str(folder))
    monkeypatch.delenv(registry.DOWNLOAD_BASE_ENV, raising=False)
    return folder


@pytest.fixture
def downloads(tmp_path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    shutil.copyfile(external_file(TABLE), folder / TABLE)
    return folder


@pytest.fixture
def mounts():
    mounted: list[Path] = []
    yield mounted
    for m in mounted:
        subprocess.run(["umount", "-l", str(m)], capture_output=True)


def _tmpfs(where: Path, options: str, mounts: list[Path]) -> None:
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small file system needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    mounts.append(where)


# --- NUL bytes and numbers -------------------------------------------------------------------


def test_nul_bytes_in_paths_and_registry_names(cache):
    with pytest.raises(DataError) as info:
        read_table_of_allegations("a\x00b.xlsx")
    assert "'a\\x00b.xlsx': found a path holding a NUL byte (\\x00)" in str(info.value)
    with pytest.raises(ParameterError) as info:
        registry.resolve("un_allegations\x00../x", "un_allegations", "allegations_table")
    assert str(info.value).startswith(
        "parameter allegations_table: found 'un_allegations\\x00../x', which holds a NUL byte"
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["data", "fetch", "--retries", "-1", "un_allegations"],
            "argument --retries: found -1; expected 0 or more",
        ),
        (
            ["data", "fetch", "--retries", "two", "un_allegations"],
            "argument --retries: found 'two'; expected a whole number, 0 or more",
        ),
        (
            ["data", "fetch", "--timeout", "nan", "un_allegations"],
            "argument --timeout: found 'nan'; expected a number of seconds above 0",
        ),
        (
            ["data", "fetch", "--timeout", "0", "un_allegations"],
            "argument --timeout: found '0'; expected a number of seconds above 0",
        ),
        (["run", "--wait", "nan"], "argument --wait: found 'nan'; expected a number of seconds"),
        (["run", "--wait", "-3"], "argument --wait: found '-3'; expected a number of seconds"),
        (["run", "--wait", "inf"], "argument --wait: found 'inf'; expected a number of seconds"),
        (["run", "--jobs", "0"], "argument --jobs/-j: found 0; expected 1 or more"),
    ],
)
def test_numbers_are_checked_before_use(cache, capsys, args, message):
    with pytest.raises(SystemExit) as info:
        cli.main(args)
    err = capsys.readouterr().err
    assert info.value.code == 2 and message in err, err
    assert not cache.exists()  # nothing was started


def test_numbers_given_to_the_functions_are_checked_too(cache, tmp_path):
    with pytest.raises(ParameterError, match=r"--retries: found -1; expected a whole number"):
        registry.fetch_one("un_allegations", retries=-1)
    with pytest.raises(ParameterError, match=r"--timeout: found nan; expected a number of sec"):
        registry.fetch_one("un_allegations", deadline=math.nan)
    with pytest.raises(RunConfigError, match=r"--wait: found nan; expected a number of seconds"):
        runner.run_batch([Run("a", "00_overview.ipynb")], output=tmp_path / "o", wait=math.nan)
    assert not cache.exists() and not (tmp_path / "o").exists()


# --- a cache that cannot be written ----------------------------------------------------------


def test_a_cache_named_by_a_regular_file(tmp_path, monkeypatch, downloads, capsys):
    f = tmp_path / "cache-file"
    f.write_text("mine\n")
    monkeypatch.setenv("PKORESEARCH_CACHE", str(f))
    with pytest.raises(registry.CacheError) as info:
        registry.import_dir(downloads)
    assert str(info.value).startswith(
        f"cache folder {f}: cannot create a folder in it: a file stands where a folder of the "
        "cache should be"
    )
    assert "set PKORESEARCH_CACHE to another folder" in str(info.value)
    assert cli.main(["data", "import", str(downloads)]) == 2
    err = capsys.readouterr().err
    assert f"pkoresearch data: cache folder {f}: cannot create" in err and "Traceback" not in err
    assert cli.main(["data", "status"]) == 0
    assert "un_allegations: not cached" in capsys.readouterr().out
    assert f.read_text() == "mine\n"


def test_a_full_cache_disk_leaves_nothing_behind(tmp_path, monkeypatch, downloads, mounts, server):
    cache = tmp_path / "small"
    _tmpfs(cache, "size=64k", mounts)  # the UN table is 155 kB
    monkeypatch.setenv("PKORESEARCH_CACHE", str(cache))
    with pytest.raises(registry.CacheError) as info:
        registry.import_dir(downloads)
    assert str(info.value).startswith(
        f"cache folder {cache}: cannot write {TABLE}: the disk is full (ENOSPC)"
    )
    assert _files(cache) == [] and list(cache.iterdir()) == []
    server.files[TABLE] = (downloads / TABLE).read_bytes()
    with pytest.raises(registry.CacheError) as info:
        registry.fetch_one("un_allegations", base_url=server.base, retries=0)
    assert f"cache folder {cache}: cannot write {TABLE}: the disk is full (ENOSPC)" in str(
        info.value
    )
    assert list(cache.iterdir()) == []


def test_a_read_only_cache(tmp_path, monkeypatch, downloads, mounts, capsys):
    cache = tmp_path / "ro"
    _tmpfs(cache, "ro,size=1m", mounts)
    monkeypatch.setenv("PKORESEARCH_CACHE", str(cache))
    assert cli.main(["data", "import", str(downloads)]) == 2
    err = capsys.readouterr().err
    assert (
        f"cache folder {cache}: cannot create a folder in it: it is on a read-only file system "
        "(EROFS)" in err
    )
    assert "Traceback" not in err
    with pytest.raises(registry.CacheError):
        registry.fetch_one("un_allegations", base_url="http://127.0.0.1:9", retries=0)


def test_sources_that_cannot_be_read(cache, downloads, monkeypatch):
    real_iterdir = Path.iterdir

    def refused(self):
        if self == downloads:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", refused)
    with pytest.raises(registry.RegistryError) as info:
        registry.import_dir(downloads)
    assert str(info.value) == (
        f"{downloads}: cannot list the folder (Permission denied); expected a folder you can "
        "read holding downloaded files"
    )
    monkeypatch.setattr(Path, "iterdir", real_iterdir)
    real_sha = registry.sha256_of

    def unreadable(path):
        if Path(path).name == TABLE:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_sha(path)

    monkeypatch.setattr(registry, "sha256_of", unreadable)
    report = registry.import_dir(downloads, ["un_allegations"])
    assert report.rejected == [
        f"un_allegations: {downloads / TABLE}: cannot read it (Permission denied); expected a "
        "file you can read. Nothing was cached."
    ]
    assert report.imported == [] and not (cache / "un_allegations").exists()


# --- damaged records -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, found", [("[]", "a JSON list ([])"), ('"x"', 'a JSON str ("x")')]
)
def test_a_damaged_cache_record_is_named_with_its_repair(cache, downloads, capsys, content, found):
    registry.import_dir(downloads, ["un_allegations"])
    record = cache / "un_allegations" / "record.json"
    record.write_text(content)
    expected = (
        f"un_allegations: the cache record {record} holds {found}; expected a JSON object saying "
        f"where {TABLE} came from. Repair it with `pkoresearch data fetch --force "
        "un_allegations` or `pkoresearch data import DIR`"
    )
    assert cli.main(["data", "status"]) == 0
    out = capsys.readouterr().out
    assert f"un_allegations: DAMAGED: {expected}" in out
    with pytest.raises(registry.DamagedRecord) as info:
        registry.resolve("auto", "un_allegations", "allegations_table")
    assert str(info.value) == expected  # never the bundled data in its place
    with pytest.raises(registry.DamagedRecord):
        registry.fetch_one("un_allegations", base_url="http://127.0.0.1:9", retries=0)
    report = registry.import_dir(downloads, ["un_allegations"])  # the repair
    assert [c.name for c in report.imported] == ["un_allegations"]
    assert json.loads(record.read_text())["sha256"] == registry.get("un_allegations").sha256


# --- interrupted, killed and slow downloads --------------------------------------------------


def test_ctrl_c_during_a_fetch(cache, server, downloads, capsys, monkeypatch):
    server.files[TABLE] = (downloads / TABLE).read_bytes()
    server.trickle = 0.01  # 155 kB at 100 bytes a second: still running when Ctrl-C comes
    monkeypatch.setenv(registry.DOWNLOAD_BASE_ENV, server.base)
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        code = cli.main(["data", "fetch", "un_allegations", "owid_peacekeeping"])
    finally:
        timer.cancel()
    err = capsys.readouterr().err
    assert code == 130, err
    assert err == (
        "pkoresearch data fetch: interrupted while fetching un_allegations; 0 of 2 dataset(s) "
        "fetched, nothing partial was cached\n"
    )
    assert list(cache.iterdir()) == []


def test_a_whole_file_deadline(cache, server, downloads):
    server.files[TABLE] = (downloads / TABLE).read_bytes()
    server.trickle = 0.05
    t0 = time.monotonic()
    with pytest.raises(registry.DownloadError) as info:
        registry.fetch_one("un_allegations", base_url=server.base, timeout=3, deadline=1.5)
    took = time.monotonic() - t0
    assert took < 6, took  # not the per-read timeout: each byte came within it
    message = str(info.value)
    assert message.startswith(
        f"un_allegations: {server.base}/{TABLE} did not arrive within --timeout 1.5 s ("
    )
    assert "bytes received); nothing was cached" in message
    assert list(cache.iterdir()) == []


def test_a_killed_fetch_leaves_nothing_for_ever(cache, server, tmp_path):
    cache.mkdir()
    dead = cache / ".incoming-0123456789abcdef0123456789abcdef"
    dead.mkdir()
    (dead / "partial").write_bytes(b"x" * 100)
    os.utime(dead, (time.time() - 3600, time.time() - 3600))
    # a staging folder whose owner file a live process holds: another fetch, still running
    held = cache / ".incoming-fedcba9876543210fedcba9876543210"
    held.mkdir()
    (held / ".owner").write_text("")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            f"fd = os.open({str(held / '.owner')!r}, os.O_WRONLY)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('held', flush=True)\ntime.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        odp = ODP_HEADER + "Ghana,GHA,UNIFIL,Troops,61,808,30-Nov-20\n"
        server.files["odp_contributionsbygender.csv"] = odp.encode()
        server.length = False  # the end of the body is the end of the connection
        got = registry.fetch_one("un_contributions_odp", base_url=server.base, retries=0)
        assert not dead.exists() and held.is_dir()
        assert got.record["download_size"] == len(odp)
        assert got.record["declared_size"] is None
        assert got.record["end_checked"] == "no length sent; two downloads identical"
        assert len(server.requests) == 2
        assert _files(cache / "un_contributions_odp") == [
            "odp_contributionsbygender.csv",
            "record.json",
        ]
    finally:
        holder.kill()
        holder.wait()
    assert registry.clean_stale_staging(cache) == [held.name]
    assert [p.name for p in cache.iterdir()] == ["un_contributions_odp"]


def test_an_unpinned_file_cut_at_a_line_boundary_is_not_cached(cache, server):
    """A server that sends no length and closes the connection after a whole line: the cut file
    passes its reader (one row fewer), so it is downloaded again and the two differ."""
    rows = [
        "Ghana,GHA,UNIFIL,Troops,61,808,30-Nov-20\n",
        "Ghana,GHA,UNIFIL,Staff Officer,2,14,30-Nov-20\n",
    ]
    whole, cut = ODP_HEADER + "".join(rows), ODP_HEADER + rows[0]
    name = "odp_contributionsbygender.csv"
    server.files[name], server.once[name] = whole.encode(), cut.encode()
    server.length = False
    with pytest.raises(registry.RegistryError) as info:
        registry.fetch_one("un_contributions_odp", base_url=server.base, retries=0)
    assert str(info.value) == (
        f"un_contributions_odp: {server.base}/{name} sent no length and two downloads differ "
        f"({len(cut):,} and {len(whole):,} bytes): the file may have been cut. Nothing was cached; "
        "try again, or `pkoresearch data import DIR` a copy you trust."
    )
    assert list(cache.iterdir()) == []
    server.length = True  # with a length, one download; a cut one would be an error there
    got = registry.fetch_one("un_contributions_odp", base_url=server.base, retries=0)
    assert got.record["declared_size"] == got.record["download_size"] == len(whole)
    assert "end_checked" not in got.record and len(server.requests) == 3
