"""The dataset registry: entries, fetching through a local HTTP server on 127.0.0.1 (right file,
corrupted copy, interrupted transfer, no server), offline import from a folder, status, and how
notebooks resolve "auto", "bundled", registry names and paths."""

from __future__ import annotations

import hashlib
import http.server
import json
import shutil
import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import EXTERNAL, external_file
from pkoresearch import cli, notebook, paths
from pkoresearch.data import registry
from pkoresearch.errors import ParameterError, UnknownDataset

ODP_HEADER = (
    "Contributing_Country,ISOCode3,Mission_Acronym,Personnel_Type,Female_Personnel,"
    "Male_Personnel,Last_Reporting_Date\n"
)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.folders[<first path part>]/<file>``; cuts the body of a file in half (then
    closes the connection) while ``server.cut[<file>]`` is above zero."""

    def do_GET(self):  # noqa: N802 - http.server's naming
        self.server.requests.append(self.path)
        parts = self.path.strip("/").split("/")
        folder = self.server.folders.get(parts[0])
        target = folder / "/".join(parts[1:]) if folder and len(parts) > 1 else None
        if target is None or not target.is_file():
            self.send_error(404)
            return
        body = target.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.server.cut.get(target.name, 0) > 0:
            self.server.cut[target.name] -= 1
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture
def odp_file(tmp_path) -> Path:
    """A small file in the UN open-data layout (unpinned entry)."""
    p = tmp_path / "odp_contributionsbygender.csv"
    p.write_text(
        ODP_HEADER + "Ghana,GHA,UNIFIL,Troops,61,808,30-Nov-20\n"
        "Ghana,GHA,UNIFIL,Staff Officer,2,14,30-Nov-20\n"
    )
    return p


@pytest.fixture
def server(tmp_path, odp_file):
    """A local HTTP server with ``/good/`` (copies of the external files and a small open-data
    file) and ``/corrupt/`` (the UN table with one byte changed)."""
    table = external_file("UN_conduct_table_of_allegations_2024-07.xlsx")
    good = tmp_path / "served-good"
    good.mkdir()
    for f in EXTERNAL.iterdir():
        if f.is_file() and f.name != "README.md":
            shutil.copyfile(f, good / f.name)
    shutil.copyfile(odp_file, good / odp_file.name)
    corrupt = tmp_path / "served-corrupt"
    corrupt.mkdir()
    data = bytearray(table.read_bytes())
    data[len(data) // 2] ^= 0xFF
    (corrupt / table.name).write_bytes(bytes(data))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.folders = {"good": good, "corrupt": corrupt}
    httpd.cut = {}
    httpd.requests = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """An empty cache of this test's own."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("PKORESEARCH_CACHE", str(folder))
    monkeypatch.delenv(registry.DOWNLOAD_BASE_ENV, raising=False)
    return folder


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ------------------------------------------------------------------------------------ the entries


def test_registry_names_and_provenance():
    assert registry.names() == [
        "un_allegations",
        "un_gender_ipi",
        "un_contributions_odp",
        "un_contributions_mission_month",
        "un_contributions_country_year",
        "owid_peacekeeping",
    ]
    for e in registry.ENTRIES:
        for field in (
            "title",
            "description",
            "publisher",
            "terms",
            "landing_page",
            "filename",
            "reader",
            "format",
            "coverage",
        ):
            assert getattr(e, field), f"{e.name}: no {field}"
        assert e.landing_page.startswith("https://") and e.download_url.startswith("https://")
    un = registry.get("un_allegations")
    assert un.download_url == (
        "https://raw.githubusercontent.com/skytheacademic/who_keeps_the_peace/"
        "4acbfae596591744334badb5e3aad7af4ce0a653/data/table_of_allegations_as_of_july_2024.xlsx"
    )
    assert registry.get("owid_peacekeeping").download_url.endswith(
        "/datasets/United%20Nations%20Peacekeeping/United%20Nations%20Peacekeeping.csv"
    )
    assert not registry.get("un_contributions_odp").pinned
    assert registry.get("un_contributions_odp").download_url.endswith(
        "/download/odp_contributionsbygender.csv"
    )
    with pytest.raises(UnknownDataset, match="no registry dataset 'un_alegations'"):
        registry.get("un_alegations")


def test_pinned_checksums_are_those_of_the_real_files():
    for e in registry.ENTRIES:
        if e.pinned:
            assert _sha(external_file(e.filename)) == e.sha256, e.name


def test_cache_folder_from_platformdirs_or_the_environment(monkeypatch, tmp_path):
    import platformdirs

    monkeypatch.delenv("PKORESEARCH_CACHE", raising=False)
    assert paths.cache_dir() == Path(platformdirs.user_cache_dir("pkoresearch", appauthor=False))
    monkeypatch.setenv("PKORESEARCH_CACHE", str(tmp_path / "c"))
    assert paths.cache_dir() == tmp_path / "c"


def test_download_base_overrides_every_url(monkeypatch):
    e = registry.get("owid_peacekeeping")
    monkeypatch.delenv(registry.DOWNLOAD_BASE_ENV, raising=False)
    assert e.url_from() == e.download_url
    monkeypatch.setenv(registry.DOWNLOAD_BASE_ENV, "http://127.0.0.1:9/m/")
    assert e.url_from() == "http://127.0.0.1:9/m/owid-datasets_United_Nations_Peacekeeping.csv"
    assert e.url_from("http://x") == "http://x/owid-datasets_United_Nations_Peacekeeping.csv"


# ------------------------------------------------------------------------------------------ fetch


def test_fetch_checks_the_pinned_checksum_and_records_the_source(server, cache):
    before = datetime.now(UTC) - timedelta(seconds=2)
    got = registry.fetch_one("un_allegations", base_url=f"{server.base}/good")
    assert got.path == cache / "un_allegations" / "UN_conduct_table_of_allegations_2024-07.xlsx"
    assert _sha(got.path) == got.sha256 == registry.get("un_allegations").sha256
    assert got.method == "download"
    assert got.source == f"{server.base}/good/UN_conduct_table_of_allegations_2024-07.xlsx"
    assert before <= datetime.fromisoformat(got.retrieved) <= datetime.now(UTC)
    assert _files(cache) == [
        "un_allegations/UN_conduct_table_of_allegations_2024-07.xlsx",
        "un_allegations/record.json",
    ]
    from pkoresearch.data.readers.un_conduct import read_table_of_allegations

    assert len(read_table_of_allegations(got.path).allegations) == 753
    # cached: a second fetch does not download again, unless the cached file was changed
    n = len(server.requests)
    assert registry.fetch_one("un_allegations", base_url=f"{server.base}/good") == got
    assert len(server.requests) == n
    got.path.write_bytes(b"changed")
    again = registry.fetch_one("un_allegations", base_url=f"{server.base}/good")
    assert len(server.requests) == n + 1 and _sha(again.path) == got.sha256


def test_a_wrong_checksum_names_both_and_caches_nothing(server, cache, tmp_path):
    found = _sha(server.folders["corrupt"] / "UN_conduct_table_of_allegations_2024-07.xlsx")
    with pytest.raises(registry.ChecksumMismatch) as info:
        registry.fetch_one("un_allegations", base_url=f"{server.base}/corrupt", retries=2)
    msg = str(info.value)
    assert registry.get("un_allegations").sha256 in msg and found in msg
    assert "Nothing was cached" in msg
    assert len(server.requests) == 1  # a wrong checksum is not retried
    assert _files(cache) == []
    assert registry.cached("un_allegations") is None


def test_a_failed_fetch_keeps_the_good_copy(server, cache):
    good = registry.fetch_one("un_allegations", base_url=f"{server.base}/good")
    with pytest.raises(registry.ChecksumMismatch):
        registry.fetch_one("un_allegations", base_url=f"{server.base}/corrupt", force=True)
    assert registry.cached("un_allegations") == good
    assert _sha(good.path) == registry.get("un_allegations").sha256
    assert _files(cache) == [
        "un_allegations/UN_conduct_table_of_allegations_2024-07.xlsx",
        "un_allegations/record.json",
    ]


def test_an_interrupted_transfer_is_retried_and_leaves_no_partial_file(server, cache):
    name = "IPIDataLab_TCC-DataScraper_Gender.Full.csv"
    server.cut[name] = 1  # the first response stops half-way and the connection closes
    got = registry.fetch_one("un_gender_ipi", base_url=f"{server.base}/good", retries=1)
    assert [r for r in server.requests if r.endswith(name)] == [f"/good/{name}"] * 2
    assert _sha(got.path) == registry.get("un_gender_ipi").sha256
    assert _files(cache) == [f"un_gender_ipi/{name}", "un_gender_ipi/record.json"]


def test_an_interrupted_transfer_without_retries_fails_cleanly(server, cache):
    server.cut["IPIDataLab_TCC-DataScraper_Gender.Full.csv"] = 1
    with pytest.raises(registry.DownloadError, match="interrupted") as info:
        registry.fetch_one("un_gender_ipi", base_url=f"{server.base}/good", retries=0)
    assert "pkoresearch data import" in str(info.value)
    assert _files(cache) == []


def test_no_network_names_data_import(cache, monkeypatch, capsys):
    base = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(registry.DownloadError) as info:
        registry.fetch_one("owid_peacekeeping", base_url=base, retries=0)
    msg = str(info.value)
    assert "no connection" in msg and "`pkoresearch data import DIR`" in msg
    assert "owid-datasets_United_Nations_Peacekeeping.csv" in msg
    # the command, with the URL overridden through the environment
    monkeypatch.setenv(registry.DOWNLOAD_BASE_ENV, base)
    assert cli.main(["data", "fetch", "owid_peacekeeping", "--retries", "0"]) == 1
    err = capsys.readouterr().err
    assert "FAILED owid_peacekeeping" in err and "pkoresearch data import" in err
    assert _files(cache) == []


def test_a_missing_file_on_the_server(server, cache):
    with pytest.raises(registry.DownloadError, match="HTTP 404"):
        registry.fetch_one("un_allegations", base_url=f"{server.base}/nowhere", retries=0)
    assert _files(cache) == []


def test_unpinned_file_records_its_checksum_and_date(server, cache, odp_file):
    got = registry.fetch_one("un_contributions_odp", base_url=f"{server.base}/good")
    assert got.sha256 == _sha(odp_file) and not got.pinned
    record = json.loads((cache / "un_contributions_odp" / "record.json").read_text())
    assert record["sha256"] == _sha(odp_file) and record["expected_sha256"] is None
    assert datetime.fromisoformat(record["retrieved"]).date() == datetime.now(UTC).date()


def test_fetch_command_with_the_url_from_the_environment(server, cache, monkeypatch, capsys):
    monkeypatch.setenv(registry.DOWNLOAD_BASE_ENV, f"{server.base}/good")
    assert cli.main(["data", "fetch", "--all"]) == 0
    out = capsys.readouterr().out
    for e in registry.ENTRIES:
        assert f"{e.name}: {e.filename}" in out
    assert out.count("pinned sha256 verified") == 5 and "unpinned: sha256 recorded" in out
    assert cli.main(["data", "fetch"]) == 2  # neither names nor --all
    assert "un_allegations" in capsys.readouterr().err


# ----------------------------------------------------------------------------------------- import


def test_import_from_a_folder(cache, tmp_path, capsys):
    external_file("UN_conduct_table_of_allegations_2024-07.xlsx")
    assert cli.main(["data", "import", str(EXTERNAL)]) == 0
    out = capsys.readouterr().out
    pinned = [e for e in registry.ENTRIES if e.pinned]
    for e in pinned:
        c = registry.cached(e.name)
        assert c is not None and c.method == "import" and _sha(c.path) == e.sha256
        assert c.source == str(EXTERNAL / e.filename)
        assert f"imported {e.name}" in out
    assert "not in" in out and "un_contributions_odp" in out
    # again: nothing to do
    assert cli.main(["data", "import", str(EXTERNAL)]) == 0
    assert capsys.readouterr().out.count("already cached") == len(pinned)


def test_import_recognises_a_pinned_file_by_checksum_under_another_name(cache, tmp_path):
    folder = tmp_path / "colleague"
    folder.mkdir()
    shutil.copyfile(
        external_file("UN_conduct_table_of_allegations_2024-07.xlsx"), folder / "download (3).xlsx"
    )
    report = registry.import_dir(folder)
    assert [c.name for c in report.imported] == ["un_allegations"]
    assert report.rejected == []


def test_import_rejects_a_wrong_file_and_caches_nothing(cache, tmp_path, capsys):
    table = external_file("UN_conduct_table_of_allegations_2024-07.xlsx")
    folder = tmp_path / "bad"
    folder.mkdir()
    data = bytearray(table.read_bytes())
    data[100] ^= 0xFF
    (folder / table.name).write_bytes(bytes(data))
    found = _sha(folder / table.name)
    assert cli.main(["data", "import", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "REJECTED un_allegations" in err
    assert registry.get("un_allegations").sha256 in err and found in err
    assert not cache.exists() or _files(cache) == []


def test_import_checks_the_columns_of_an_unpinned_file(cache, tmp_path, odp_file):
    good = registry.import_dir(odp_file.parent, ["un_contributions_odp"])
    assert [c.name for c in good.imported] == ["un_contributions_odp"]
    assert registry.cached("un_contributions_odp").sha256 == _sha(odp_file)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "odp_contributionsbygender.csv").write_text("Country,Mission,Women\nGhana,UNIFIL,3\n")
    report = registry.import_dir(bad, ["un_contributions_odp"])
    assert report.imported == [] and "lacks column(s)" in report.rejected[0]
    assert registry.cached("un_contributions_odp").sha256 == _sha(odp_file)  # kept


def test_import_of_a_folder_that_does_not_exist(cache, tmp_path):
    with pytest.raises(registry.RegistryError, match="not a folder"):
        registry.import_dir(tmp_path / "nope")


# ----------------------------------------------------------------------------------------- status


def test_status_says_what_is_cached_from_where_when_and_its_checksum(cache, tmp_path, capsys):
    table = external_file("UN_conduct_table_of_allegations_2024-07.xlsx")
    registry.import_dir(EXTERNAL, ["un_allegations"])
    assert cli.main(["data", "status"]) == 0
    out = capsys.readouterr().out
    assert f"cache: {cache}" in out
    assert "un_allegations: verified (pinned sha256)" in out
    assert f"sha256 {registry.get('un_allegations').sha256}" in out
    assert "imported 20" in out and str(table) in out
    assert "un_gender_ipi: not cached" in out
    path = registry.cached_path("un_allegations")
    path.write_bytes(path.read_bytes() + b"x")
    rows = {r["name"]: r for r in registry.status()}
    assert rows["un_allegations"]["state"].startswith("MODIFIED")


# ------------------------------------------------------------------- resolving a data parameter


def test_auto_uses_the_cache_else_bundled(cache):
    assert notebook.dataset_input("allegations_table", "auto", "un_allegations") is None
    assert notebook.inputs()["allegations_table"]["how"] == "auto-missing"
    text = notebook.data_used("allegations_table", "all sections", "curated only")
    assert "un_allegations is not fetched" in text and text.endswith("curated only")
    registry.import_dir(EXTERNAL, ["un_allegations"])
    if registry.cached("un_allegations") is None:
        pytest.skip("needs the UN table of allegations in ../shared/external")
    got = notebook.dataset_input("allegations_table", "auto", "un_allegations")
    assert got == registry.cached_path("un_allegations")
    text = notebook.data_used("allegations_table", "all sections", "curated only")
    assert text.startswith("allegations_table: UN table of allegations") and "all sections" in text
    assert str(cache) not in text  # no path in what a notebook shows
    used = notebook.inputs()["allegations_table"]
    assert used["sha256"] == registry.get("un_allegations").sha256 and used["method"] == "import"


def test_bundled_registry_names_and_paths(cache, tmp_path, odp_file):
    for value in ("bundled", "", None):
        assert notebook.dataset_input("t", value, "un_allegations") is None
    assert '("bundled")' in notebook.data_used("t", "x", "curated")
    with pytest.raises(
        ParameterError, match="un_allegations' is not in the cache.*data fetch un_allegations"
    ):
        notebook.dataset_input("t", "un_allegations", "un_allegations")
    with pytest.raises(
        ParameterError,
        match="un_gender_ipi' \\(un_gender_statistics\\); expected "
        "one in the layout un_table_of_allegations",
    ):
        notebook.dataset_input("t", "un_gender_ipi", "un_allegations")
    with pytest.raises(ParameterError, match="neither a file"):
        notebook.dataset_input("t", "no_such_file.xlsx", "un_allegations")
    with pytest.raises(ParameterError, match="expected a path"):
        notebook.dataset_input("t", 3, "un_allegations")
    assert notebook.dataset_input("t", str(odp_file), "un_contributions_odp") == odp_file
    assert notebook.inputs()["t"]["sha256"] == _sha(odp_file)
    assert "the file odp_contributionsbygender.csv" in notebook.data_used("t", "x", "y")
    registry.import_dir(odp_file.parent, ["un_contributions_odp"])
    got = notebook.dataset_input("t", "un_contributions_odp", "un_contributions_odp")
    assert got == registry.cached_path("un_contributions_odp")
    # the monthly contributions parameter reads the mission x month aggregate or the UN's own file
    got = notebook.dataset_input("m", "un_contributions_odp", "un_contributions_mission_month")
    assert got == registry.cached_path("un_contributions_odp")
    with pytest.raises(ParameterError, match="expected one in the layout"):
        notebook.dataset_input(
            "m", "un_contributions_country_year", "un_contributions_mission_month"
        )


def test_a_cached_file_changed_on_disk_is_refused(cache, odp_file):
    registry.import_dir(odp_file.parent, ["un_contributions_odp"])
    path = registry.cached_path("un_contributions_odp")
    path.write_text(path.read_text() + "Ghana,GHA,UNIFIL,Troops,1,1,31-Dec-20\n")
    with pytest.raises(ParameterError, match="fetch --force un_contributions_odp"):
        notebook.dataset_input("c", "auto", "un_contributions_odp")


def test_data_command_lists_bundled_tables_then_real_files(cache, capsys):
    registry.import_dir(EXTERNAL, ["owid_peacekeeping"])
    assert cli.main(["data"]) == 0
    out = capsys.readouterr().out
    assert "allegations_by_mission" in out  # the bundled tables, as before
    lines = {
        ln.split()[0]: ln
        for ln in out.splitlines()[
            out.splitlines().index(
                "Real data files (pkoresearch data fetch NAME | import DIR | status):"
            )
            + 1 :
        ]
        if ln[:3].strip()
    }  # not the wrapped titles' continuation lines
    assert list(lines) == registry.names()
    assert "not cached" in lines["un_allegations"]
    if registry.cached("owid_peacekeeping"):
        assert " cached " in lines["owid_peacekeeping"]


def test_import_refuses_an_unpinned_file_its_reader_cannot_read(cache, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "odp_contributionsbygender.csv").write_text(
        ODP_HEADER + "Ghana,GHA,UNIFIL,Troops,x,808,30-Nov-20\n"
    )
    report = registry.import_dir(bad, ["un_contributions_odp"])
    assert not report.imported and registry.cached("un_contributions_odp") is None
    assert (
        "cannot be read by pkoresearch.data.readers.un_contributions.read_contributions_by_gender"
        in report.rejected[0]
    )
    assert "row 2, column 'Female_Personnel': found x" in report.rejected[0]
