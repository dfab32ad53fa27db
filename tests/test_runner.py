"""The batch runner and the `pkoresearch` command: run matrix, parameter checks before execution,
real papermill batches, safe failure, Dask, and hostile names and values."""

from __future__ import annotations

import html
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from conftest import ROOT, tiny_notebook
from pkoresearch import cli, results
from pkoresearch.batch import runner
from pkoresearch.batch.runner import Run, RunConfigError
from pkoresearch.data import registry


@pytest.fixture
def tiny(tmp_path, monkeypatch) -> Path:
    """A folder with one small parameterized notebook (``tiny.ipynb``, conftest.tiny_notebook,
    with a ``data_file`` parameter), used as the notebooks folder."""
    return tiny_notebook(
        tmp_path / "nbs",
        "tiny",
        monkeypatch,
        parameters='data_file: str = ""  # path to an input file\n',
    )


def test_runs_yaml_expands_sweeps(tmp_path):
    p = tmp_path / "runs.yaml"
    p.write_text(
        "runs:\n"
        "  - {name: a, notebook: x.ipynb}\n"
        "  - name: t-{m}-{y}\n    notebook: x.ipynb\n    parameters: {k: 1}\n"
        "    sweep: {m: [[A], [B, C]], y: [1, 2]}\n"
    )
    runs = runner.load_runs(p)
    assert [r.name for r in runs] == ["a", "t-A-1", "t-A-2", "t-B+C-1", "t-B+C-2"]
    assert runs[3].parameters == {"k": 1, "m": ["B", "C"], "y": 1}


def test_committed_runs_yaml_is_valid():
    runs = runner.load_runs(ROOT / "notebooks" / "runs.yaml")
    assert {r.notebook for r in runs} == {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert [r.parameters.get("missions") for r in runs if "missions" in r.parameters] == [
        ["MINUSCA"],
        ["MONUSCO"],
        ["UNMISS"],
    ]
    # the sweep reads the UN table when it is cached (curated per-mission figures otherwise)
    assert {r.parameters.get("allegations_table") for r in runs if "missions" in r.parameters} == {
        "auto"
    }
    runner.check_runs(runs, ROOT / "notebooks")  # every parameter declared, right type


def test_yaml_is_read_safely(tmp_path):
    p = tmp_path / "runs.yaml"
    p.write_text(
        "runs:\n  - name: a\n    notebook: x.ipynb\n"
        "    parameters: {x: !!python/object/apply:os.system [echo hacked]}\n"
    )
    with pytest.raises(RunConfigError, match="not valid YAML"):
        runner.load_runs(p)
    p.write_text("runs:\n  - {name: a, notebook: x.ipynb, colour: red}\n")
    with pytest.raises(RunConfigError, match=r"found key\(s\) \['colour'\]"):
        runner.load_runs(p)


def test_unknown_parameter_fails_before_execution(tiny, tmp_path, capsys):
    out = tmp_path / "reports"
    code = cli.main(["run", "tiny.ipynb", "-p", "lable", "oops", "-o", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert "run 'tiny': unknown parameter 'lable'" in err and "nothing was run" in err
    assert not out.exists()  # nothing executed, nothing written


def test_wrong_type_and_missing_file_fail_before_execution(tiny):
    problems = runner.check_run(
        Run("r1", "tiny.ipynb", {"value": "three", "data_file": "no.csv", "fail": 1}), tiny
    )
    assert problems == [
        "run 'r1': parameter 'value' = 'three' is a str; tiny.ipynb declares int",
        "run 'r1': parameter 'data_file': input file 'no.csv' not found",
        "run 'r1': parameter 'fail' = 1 is a int; tiny.ipynb declares bool",
    ]
    assert runner.check_run(Run("r2", "nope.ipynb", {}), tiny)[0].startswith(
        "run 'r2': notebook 'nope.ipynb' not found"
    )


def test_failed_run_keeps_the_last_good_report(tiny, tmp_path, capsys):
    out = tmp_path / "reports"
    base = ["run", "tiny.ipynb", "--replace", "-o", str(out), "--no-html"]
    assert cli.main([*base, "-p", "label", "good"]) == 0
    good = out / "runs" / "tiny" / "results.json"
    assert results.read(good) == {"label": "good", "double": 2}
    code = cli.main([*base, "-p", "label", "bad", "-p", "fail", "true"])
    assert code == 1
    assert results.read(good) == {"label": "good", "double": 2}  # untouched
    failed_nb = nbformat.read(out / "failed" / "tiny" / "notebook.ipynb", as_version=4)
    assert any(
        o.get("ename") == "RuntimeError" for c in failed_nb.cells for o in c.get("outputs", [])
    )
    manifest = json.loads((out / "manifest.json").read_text())
    err = manifest["runs"][0]["error"]
    # execution count in the executed notebook: parameters, papermill's injected cell, then ours
    assert manifest["failed"] == 1 and err["ename"] == "RuntimeError" and err["exec_count"] == 3
    said = capsys.readouterr().err
    assert "made to fail" in said and f"last good report kept in {out / 'runs' / 'tiny'}" in said
    assert not [p for p in out.iterdir() if p.name.startswith((".tmp-", ".old-"))]
    fresh = tmp_path / "fresh"
    assert cli.main(["run", "tiny.ipynb", "-p", "fail", "true", "-o", str(fresh), "--no-html"]) == 1
    assert "; no earlier report;" in capsys.readouterr().err


def test_escaping_names_and_values(tiny, tmp_path):
    out = tmp_path / "reports"
    before = sorted(p.name for p in tmp_path.iterdir())
    runs = [
        Run("../escape", "tiny.ipynb", {"label": "<script>alert(1)</script>"}),
        Run("/abs/x", "tiny.ipynb", {"label": "a&b"}),
    ]
    manifest = runner.run_batch(
        runs,
        output=out,
        jobs=2,
        html_report=False,
        notebooks=tiny,
        progress=runner.Progress(2, io.StringIO()),
    )
    assert manifest["failed"] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(before + ["reports"])
    for f in out.rglob("*"):
        assert f.resolve().is_relative_to(out.resolve())
    folders = sorted(p.name for p in (out / "runs").iterdir())
    assert all(not f.startswith(".") and "/" not in f for f in folders) and len(folders) == 2
    page = (out / "index.html").read_text()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert html_escaped_name_present(page, "../escape")
    r = results.read(out / "runs" / runner.safe_folder_name("../escape"))
    assert r["label"] == "<script>alert(1)</script>"  # reached the notebook as data


def html_escaped_name_present(page: str, name: str) -> bool:
    import html

    return f">{html.escape(name)}</a></td>" in page  # the summary table's link to the run


def test_safe_folder_names():
    assert runner.safe_folder_name("overview") == "overview"
    for hostile in ["../x", "/abs", "..", "a/../../b", "~root", "x\x00y", "   "]:
        f = runner.safe_folder_name(hostile)
        assert "/" not in f and not f.startswith(".") and f
    assert runner.safe_folder_name("a b") != runner.safe_folder_name("a_b")


def test_progress_plain_lines_when_not_a_terminal():
    stream = io.StringIO()
    p = runner.Progress(2, stream)
    p.start()
    p.finished({"name": "a", "status": "ok", "duration_s": 1.0})
    p.finished(
        {
            "name": "b",
            "status": "failed",
            "duration_s": 2.0,
            "error": {"exec_count": 3, "message": "ValueError: x"},
        }
    )
    assert stream.getvalue().splitlines() == [
        "running 2 notebook run(s)",
        "    ok  a  (1.0 s)",
        "failed  b  (2.0 s) - cell 3: ValueError: x",
    ]


def test_dask_local_cluster(tiny, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        runs = [Run(f"d{i}", "tiny.ipynb", {"value": i}) for i in range(3)]
        manifest = runner.run_batch(
            runs,
            output=tmp_path / "out",
            html_report=False,
            executor=client.get_executor(),
            notebooks=tiny,
            progress=runner.Progress(3, io.StringIO()),
        )
    assert manifest["failed"] == 0
    assert [results.read(tmp_path / "out" / "runs" / f"d{i}")["double"] for i in range(3)] == [
        0,
        2,
        4,
    ]


def test_data_check_command(tmp_path, capsys):
    assert cli.main(["data", "check", str(ROOT / "data" / "followups.csv")]) == 0
    assert "OK as followups: 42 rows" in capsys.readouterr().out
    bad = tmp_path / "followups.csv"
    text = (ROOT / "data" / "followups.csv").read_text().splitlines()
    text[1] = text[1].replace(",319,", ",-319,")
    text[2] = text[2].replace(",144,", ",lots,")
    bad.write_text("\n".join(text) + "\n")
    assert cli.main(["data", "check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "1 problem(s)" in out and "row 3, column 'value': found 'lots'" in out
    fixture = ROOT / "tests" / "fixtures" / "table_of_allegations_small.csv"
    assert cli.main(["data", "check", str(fixture)]) == 0
    out = capsys.readouterr().out
    assert "OK as un_table_of_allegations: 5 allegations" in out and "9 cell value(s)" in out
    gender = ROOT / "tests" / "fixtures" / "gender_statistics_small.csv"
    assert cli.main(["data", "check", str(gender)]) == 0
    assert "4 total(s) disagree" in capsys.readouterr().out
    odp = ROOT / "tests" / "fixtures" / "odp_contributionsbygender_small.csv"
    assert cli.main(["data", "check", str(odp)]) == 0
    assert "OK as un_contributions_odp:" in capsys.readouterr().out
    broken = tmp_path / "odp.csv"
    broken.write_text(odp.read_text().replace("30-Nov-20", "someday", 1))
    assert cli.main(["data", "check", str(broken)]) == 1
    assert "row 2, column 'Last_Reporting_Date': found 'someday'" in capsys.readouterr().out
    assert cli.main(["data", "check", str(odp), "--dataset", "nonsense"]) == 1
    assert "is not a format this command checks" in capsys.readouterr().err


def test_data_check_reads_the_real_contributions_files(capsys):
    from conftest import external_file

    dta = external_file("UN_contributions_by_gender_mission_month_2010-2022.dta")
    assert cli.main(["data", "check", str(dta)]) == 0
    assert "OK as un_contributions_mission_month: 2653 mission-months" in capsys.readouterr().out
    cy = external_file("UN_contributions_by_gender_country_mission_year_2010-2021.csv")
    assert cli.main(["data", "check", str(cy)]) == 0
    assert "OK as un_contributions_country_year: 57425 rows" in capsys.readouterr().out


def test_list_and_run_with_a_notebooks_folder(tiny, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("PKORESEARCH_NOTEBOOKS")
    assert cli.main(["list", "--notebooks", str(tiny)]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0] == "tiny.ipynb" and listed[1].startswith("  label: str = ")
    out = tmp_path / "reports"
    assert (
        cli.main(
            [
                "run",
                "tiny.ipynb",
                "--replace",
                "--notebooks",
                str(tiny),
                "-p",
                "value",
                "4",
                "-o",
                str(out),
                "--no-html",
            ]
        )
        == 0
    )
    assert results.read(out / "runs" / "tiny")["double"] == 8


def test_list_command_shows_types_defaults_and_help(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "01_allegation_trends.ipynb" in out
    assert "  missions: Optional[list] = None" in out
    assert "      mission acronyms such as" in out


def _batch(out: Path, cwd: Path, *extra: str) -> subprocess.CompletedProcess:
    # an empty cache: "auto" falls back to the bundled data (the real-data batch is tested from a
    # wheel in test_packaging.py)
    return subprocess.run(
        [sys.executable, "-m", "pkoresearch.cli", "run", "--jobs", "2", "-o", str(out), *extra],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "PKORESEARCH_NOTEBOOKS": str(ROOT / "notebooks"),
            "PKORESEARCH_CACHE": str(cwd / "empty-cache"),
        },
    )


@pytest.mark.slow
def test_real_batch_every_notebook_and_a_mission_sweep_on_bundled_data(tmp_path):
    """The committed runs.yaml, --jobs 2, through the command, nothing fetched; run twice, the same
    results and the same figure files."""
    out = tmp_path / "reports"
    proc = _batch(out, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    manifest = json.loads((out / "manifest.json").read_text())
    names = [r["name"] for r in manifest["runs"]]
    assert names == [r.name for r in runner.load_runs(ROOT / "notebooks" / "runs.yaml")]
    assert len(names) == 9 and manifest["failed"] == 0
    page = (out / "index.html").read_text()
    for n in names:
        assert html_escaped_name_present(page, n)
        assert (out / "runs" / runner.safe_folder_name(n) / "notebook.html").is_file()
    trends = results.read(out / "runs" / "allegation-trends")
    assert (
        trends["allegations_by_year"]["2015"] == 69 and trends["allegations_by_year"]["2016"] == 104
    )
    minusca = results.read(out / "runs" / "allegation-trends-MINUSCA")
    assert minusca["allegations_by_year"]["2015"] == 22
    assert manifest["real_data"] == []  # nothing fetched: every notebook used the bundled data
    assert results.read(out / "runs" / "tcc-response-rates")["followups_answered"]["2010"][:2] == [
        29,
        74,
    ]
    assert manifest["data_checksums"]["data/allegations.csv"]
    assert manifest["packages"]["papermill"] and manifest["python"]

    again = tmp_path / "again"
    assert _batch(again, tmp_path, "--no-html").returncode == 0
    compared = 0
    for f in sorted((out / "runs").rglob("*")):
        if f.suffix in (".json", ".png"):
            twin = again / f.relative_to(out)
            assert twin.read_bytes() == f.read_bytes(), f"{f.relative_to(out)} differs"
            compared += 1
    assert compared >= 7 + 8  # every results.json and every figure of the default runs


DATA_NB = """import pkoresearch as pko
from pkoresearch import notebook as nb
path = nb.dataset_input("contributions", contributions, "un_contributions_odp")
out = nb.output_dir(output_dir, "uses_data")
pko.results.record("lines", 0 if path is None else len(path.read_text().splitlines()))
print(nb.data_used("contributions", "read", "bundled"))"""


@pytest.fixture
def data_notebook(tmp_path, monkeypatch) -> Path:
    """A notebook with one data parameter ("auto"), and a cache holding a small unpinned file."""
    folder = tmp_path / "nbs"
    folder.mkdir()
    nb = new_notebook(
        cells=[
            new_code_cell(
                'contributions: str = "auto"  # a path, a registry name, "auto" or "bundled"\n'
                'output_dir: str = ""  # output folder',
                metadata={"tags": ["parameters"]},
            ),
            new_code_cell(DATA_NB),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(nb, folder / "uses_data.ipynb")
    monkeypatch.setenv("PKORESEARCH_CACHE", str(tmp_path / "cache"))
    src = tmp_path / "download"
    src.mkdir()
    (src / "odp_contributionsbygender.csv").write_text(
        "Contributing_Country,ISOCode3,Mission_Acronym,Personnel_Type,Female_Personnel,"
        "Male_Personnel,Last_Reporting_Date\nGhana,GHA,UNIFIL,Troops,61,808,30-Nov-20\n"
    )
    return folder


@pytest.mark.slow
def test_manifest_records_the_real_data_files_used(data_notebook, tmp_path):
    runs = [Run("before", "uses_data.ipynb", {})]
    # checked before anything runs: a registry name that is not cached
    assert runner.check_run(
        Run("x", "uses_data.ipynb", {"contributions": "un_contributions_odp"}), data_notebook
    ) == [
        "run 'x': parameter 'contributions': registry dataset 'un_contributions_odp' is not in the "
        "cache; run `pkoresearch data fetch un_contributions_odp` (or offline `pkoresearch data "
        "import DIR`)"
    ]
    assert (
        runner.check_run(Run("y", "uses_data.ipynb", {"contributions": "auto"}), data_notebook)
        == []
    )
    quiet = runner.Progress(1, io.StringIO())
    m0 = runner.run_batch(
        runs, output=tmp_path / "r0", html_report=False, notebooks=data_notebook, progress=quiet
    )
    assert m0["failed"] == 0 and m0["real_data"] == []
    assert results.read(tmp_path / "r0" / "runs" / "before")["lines"] == 0

    registry.import_dir(tmp_path / "download")
    cachedfile = registry.cached("un_contributions_odp")
    runs = [
        Run("auto", "uses_data.ipynb", {}),
        Run("named", "uses_data.ipynb", {"contributions": "un_contributions_odp"}),
        Run("bundled", "uses_data.ipynb", {"contributions": "bundled"}),
    ]
    m = runner.run_batch(
        runs,
        output=tmp_path / "r1",
        html_report=False,
        notebooks=data_notebook,
        progress=runner.Progress(3, io.StringIO()),
    )
    assert m["failed"] == 0
    assert m["real_data"] == [
        {
            "dataset": "un_contributions_odp",
            "file": "odp_contributionsbygender.csv",
            "sha256": cachedfile.sha256,
            "pinned": False,
            "method": "import",
            "source": str(tmp_path / "download" / "odp_contributionsbygender.csv"),
            "retrieved": cachedfile.retrieved,
            "runs": ["auto", "named"],
            "parameters": ["contributions"],
        }
    ]
    assert (
        m["data_checksums"]["un_contributions_odp/odp_contributionsbygender.csv"]
        == cachedfile.sha256
    )
    assert results.read(tmp_path / "r1" / "runs" / "auto")["lines"] == 2
    assert results.read(tmp_path / "r1" / "runs" / "bundled")["lines"] == 0


def test_manifest_checksums_show_a_changed_data_file(tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    runs = [Run("overview", "00_overview.ipynb", {})]
    monkeypatch.setenv("PKORESEARCH_DATA", str(data))
    before = runner.data_checksums(runs, ROOT / "notebooks")
    text = (data / "followups.csv").read_text().replace(",74,", ",75,", 1)
    (data / "followups.csv").write_text(text)
    after = runner.data_checksums(runs, ROOT / "notebooks")
    changed = sorted(k for k in before if before[k] != after[k])
    assert changed == ["data/followups.csv"]


def test_kernel_install_and_run_with_it(tmp_path):
    assert cli.main(["kernel", "install", "--prefix", str(tmp_path)]) == 0
    spec = json.loads(
        (tmp_path / "share" / "jupyter" / "kernels" / "pkoresearch" / "kernel.json").read_text()
    )
    assert spec["display_name"] == "Python (pkoresearch)"
    import papermill as pm

    env_before = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(tmp_path / "share" / "jupyter")
    try:
        pm.execute_notebook(
            str(ROOT / "notebooks" / "00_overview.ipynb"),
            str(tmp_path / "o.ipynb"),
            kernel_name="pkoresearch",
            parameters={"output_dir": str(tmp_path / "o"), "dataset_names": ["followups"]},
            progress_bar=False,
        )
    finally:
        if env_before is None:
            os.environ.pop("JUPYTER_PATH")
        else:
            os.environ["JUPYTER_PATH"] = env_before
    assert results.read(tmp_path / "o")["datasets"] == 1


def test_command_line_values_are_data_and_a_date_stays_a_string():
    got = cli._parse_overrides(
        [
            ["as_of", "2024-07-31"],
            ["years", "[2019, 2020]"],
            ["missions", "[MINUSCA]"],
            ["alpha", "0.1"],
            ["name", "a: b: c"],
        ]
    )
    assert got == {
        "as_of": "2024-07-31",
        "years": [2019, 2020],
        "missions": ["MINUSCA"],
        "alpha": 0.1,
        "name": "a: b: c",
    }


def test_index_shows_long_values_whole_and_reports_name_their_final_folder(tiny, tmp_path):
    out = tmp_path / "reports"
    manifest = runner.run_batch(
        runner.runs_for(["tiny.ipynb"], {}), output=out, jobs=1, html_report=False, notebooks=tiny
    )
    r = manifest["runs"][0]
    r["results"] = {"quoted": ['"' * 150]}
    page = runner.write_index(out, manifest).read_text()
    assert '"' * 150 in html.unescape(page) and "\u2026" not in page
    executed = nbformat.read(out / "runs" / r["folder"] / "notebook.ipynb", as_version=4)
    injected = [
        c.source for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])
    ]
    assert json.dumps(str(out / "runs" / r["folder"])) in injected[0] and ".tmp-" not in injected[0]


def test_a_batch_stopped_by_its_checks_leaves_no_worker_and_no_output(tmp_path, monkeypatch):
    """The pool's workers start before the batch is checked (so that their fork servers import
    the stack meanwhile); a batch its checks refuse must not leave them running, nor their fork
    servers (which the workers' end leaves to init), nor write."""
    import time
    import uuid

    import psutil

    marker = uuid.uuid4().hex
    monkeypatch.setenv("PKORESEARCH_TEST_MARKER", marker)

    def marked() -> list[int]:
        found = []
        for proc in psutil.process_iter(["pid"]):
            try:
                env = (Path("/proc") / str(proc.pid) / "environ").read_bytes()
                cmd = " ".join(proc.cmdline())
            except (OSError, psutil.Error):
                continue
            if (
                proc.pid != os.getpid()
                and f"PKORESEARCH_TEST_MARKER={marker}".encode() in env
                and "resource_tracker" not in cmd
            ):
                found.append(proc.pid)
        return found

    def workers() -> set[int]:
        return {
            p.pid
            for p in psutil.Process().children(recursive=True)
            if p.is_running()
            and p.status() != psutil.STATUS_ZOMBIE
            and "resource_tracker" not in " ".join(p.cmdline())
        }

    before = workers()
    with pytest.raises(RunConfigError, match="no_such.ipynb"):
        runner.run_batch(
            [Run("x", "no_such.ipynb", {})],
            output=tmp_path / "out",
            jobs=2,
            html_report=False,
            notebooks=ROOT / "notebooks",
            progress=runner.Progress(1, io.StringIO()),
        )
    assert workers() - before == set()
    assert not (tmp_path / "out").exists()
    # a fork server that had started exits at its next import once its worker is gone (well
    # before the 5-10 s its preload and warm-up take)
    deadline = time.monotonic() + 4.0
    while marked() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marked() == []


def test_notebook_readers_import_jsonschema_without_building_the_iri_grammars():
    """The runner's processes import jsonschema (for nbformat) with its optional IRI syntax
    checker hidden; the module stays importable afterwards."""
    code = (
        "import sys\n"
        "from pkoresearch.batch._imports import notebook_readers\n"
        "notebook_readers()\n"
        "import nbformat, papermill\n"
        "print('rfc3987_syntax' in sys.modules)\n"
        "try:\n"
        "    import rfc3987_syntax\n"
        "    print('importable')\n"
        "except ImportError:\n"
        "    print('not installed')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.split()
    assert out[0] == "False"
    assert out[1] in ("importable", "not installed")


class _Ended:
    """An executor whose every run ends with ``exc`` (as a worker's future would)."""

    def __init__(self, exc: BaseException):
        self.exc = exc

    def submit(self, fn, *args, **kwargs):
        import concurrent.futures as cf

        fut = cf.Future()
        fut.set_exception(self.exc)
        return fut


class _OutsideTheRun(BaseException):
    """Stands for what the runner's own process receives (pytest-timeout's failure, say)."""


def test_a_runs_own_end_fails_that_run_and_what_stops_the_runner_stops_the_batch(tiny, tmp_path):
    """A future that ends in an error or a worker's SystemExit is that run's failure, recorded
    like any other; a BaseException that is not (a test's time limit, raised in the runner's
    process) stops the batch instead of being taken for a failed run."""
    kw = dict(html_report=False, notebooks=tiny, progress=runner.Progress(1, io.StringIO()))
    for i, exc in enumerate([RuntimeError("worker lost"), SystemExit(3)]):
        m = runner.run_batch(
            [Run("t", "tiny.ipynb", {})], output=tmp_path / f"out{i}", executor=_Ended(exc), **kw
        )
        assert [r["status"] for r in m["runs"]] == ["failed"], exc
    with pytest.raises(_OutsideTheRun):
        runner.run_batch(
            [Run("t", "tiny.ipynb", {})],
            output=tmp_path / "out-stopped",
            executor=_Ended(_OutsideTheRun()),
            **kw,
        )


@pytest.mark.parametrize("taken_sets", [1, 3])
def test_a_kernel_that_ends_before_it_starts_is_started_again(
    tiny, tmp_path, monkeypatch, taken_port, taken_sets
):
    """A cold kernel whose shell port another process took (between jupyter_client choosing it
    and the kernel binding it) ends before it starts; the run starts a new kernel, on new ports,
    and kernel-stderr.log says so. After three such kernels the run fails with the error."""
    from jupyter_client.provisioning.local_provisioner import LocalPortCache

    from pkoresearch.batch import execute

    assert execute.KERNEL_START_ATTEMPTS == 3
    find = LocalPortCache.find_available_port
    calls = []

    def find_taken(self, ip):  # the first port of each set of five (shell) is the taken one
        calls.append(ip)
        n = len(calls)
        return taken_port if n % 5 == 1 and n <= 5 * taken_sets else find(self, ip)

    monkeypatch.setattr(LocalPortCache, "find_available_port", find_taken)
    out = tmp_path / "out"
    s = execute.execute_run(
        {"name": "t", "notebook": "tiny.ipynb", "parameters": {}}, str(tiny), str(out), False, None
    )
    assert len(calls) == 5 * min(taken_sets + 1, 3)  # five ports per kernel started
    if taken_sets < 3:
        assert s["status"] == "ok", s.get("error")
        log = (out / "runs" / "t" / "kernel-stderr.log").read_text()
        assert results.read(out / "runs" / "t")["label"] == "x"
    else:
        assert s["status"] == "failed"
        assert s["error"]["message"] == "Kernel died before replying to kernel_info"
        log = (out / "failed" / "t" / "kernel-stderr.log").read_text()
    assert log.count("Address already in use") == taken_sets
    notes = [line for line in log.splitlines() if line.startswith("pkoresearch: ")]
    assert notes == [
        "pkoresearch: the kernel ended before it started (Kernel died before replying to "
        f"kernel_info); starting a new kernel ({i} of 3)"
        for i in range(2, min(taken_sets + 1, 3) + 1)
    ]
