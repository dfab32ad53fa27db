"""JupyterLab for real: a server on 127.0.0.1 with a free port and a token lists the notebooks, a
kernel started through it imports pkoresearch and runs a notebook's first cells. An optional
check takes a screenshot of a notebook in headless Chromium where Debian's `chromium` is installed.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(base: str, token: str, path: str, method: str = "GET", body: dict | None = None):
    req = urllib.request.Request(
        f"{base}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        raw = resp.read()
        ctype = resp.headers.get("Content-Type", "")
        return resp.status, (json.loads(raw) if "json" in ctype and raw else raw.decode())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    runtime = tmp_path_factory.mktemp("jupyter-runtime")
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={ROOT}",
        # opening a notebook makes a checkpoint copy: keep it out of the checkout
        f"--FileCheckpoints.checkpoint_dir={runtime / 'checkpoints'}",
    ]
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime)}
    log = open(runtime / "server.log", "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if _call(base, token, "/api/status")[0] == 200:
                break
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(
                "jupyter lab did not start:\n" + (runtime / "server.log").read_text()[-3000:]
            )
        time.sleep(0.5)
    yield {"base": base, "token": token, "runtime": runtime, "port": port}
    try:
        _call(base, token, "/api/shutdown", "POST")
        proc.wait(timeout=30)
    except Exception:  # noqa: BLE001 - make sure the server goes away whatever happened
        proc.kill()
        proc.wait(timeout=10)
    log.close()
    assert proc.poll() is not None


def test_server_needs_the_token(server):
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(f"{server['base']}/api/contents/notebooks", timeout=10)
    assert info.value.code == 403


def test_notebooks_are_listed_and_lab_is_served(server):
    status, listing = _call(server["base"], server["token"], "/api/contents/notebooks")
    assert status == 200
    names = {c["name"] for c in listing["content"]}
    assert {p.name for p in (ROOT / "notebooks").glob("*.ipynb")} <= names
    status, page = _call(server["base"], server["token"], "/lab")
    assert status == 200 and "JupyterLab" in page


def test_kernel_started_through_the_server_runs_the_first_cells(server, tmp_path):
    from jupyter_client import BlockingKernelClient

    status, kernel = _call(
        server["base"], server["token"], "/api/kernels", "POST", {"name": "python3"}
    )
    assert status == 201
    conn = server["runtime"] / f"kernel-{kernel['id']}.json"
    for _ in range(60):
        if conn.is_file():
            break
        time.sleep(0.5)
    client = BlockingKernelClient(connection_file=str(conn))
    client.load_connection_file()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        nb = nbformat.read(ROOT / "notebooks" / "00_overview.ipynb", as_version=4)
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        outputs = []
        for src in [
            code[0],
            f"output_dir = {str(tmp_path)!r}",
            code[1],
            "print(pko.__version__, len(names), out.name)",
        ]:
            reply = client.execute_interactive(src, timeout=120, output_hook=outputs.append)
            assert reply["content"]["status"] == "ok", reply["content"]
        printed = "".join(
            m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream"
        )
        import pkoresearch

        assert f"{pkoresearch.__version__} 10 {tmp_path.name}" in printed
    finally:
        client.stop_channels()
        _call(server["base"], server["token"], f"/api/kernels/{kernel['id']}", "DELETE")


@pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="optional: needs Debian's chromium (apt-get install chromium)",
)
def test_screenshot_of_a_notebook_in_headless_chromium(server, tmp_path):
    shot = tmp_path / "lab.png"
    url = f"{server['base']}/lab/tree/notebooks/00_overview.ipynb?token={server['token']}"
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1280,900",
            "--virtual-time-budget=20000",
            f"--screenshot={shot}",
            url,
        ],
        check=True,
        timeout=120,
        capture_output=True,
    )
    assert shot.is_file() and shot.stat().st_size > 20_000
    keep = os.environ.get("PKORESEARCH_SCREENSHOT")
    if keep:
        Path(keep).write_bytes(shot.read_bytes())
