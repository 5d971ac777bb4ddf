"""``engraft serve --demo`` as a new user runs it: demo database created, API answering."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from engraft.access import Role
from tests.auth_clients import http_client_signed_in
from tests.demo_cohort import CAR_T_COURSES


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_health(url: str, process: subprocess.Popen[bytes], limit_s: float = 300.0) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError("server did not become healthy")  # pragma: no cover


def test_serve_demo_creates_cohort_and_serves_api(tmp_path: Path, hla_release: str) -> None:
    port = _free_port()
    env = {**os.environ, "ENGRAFT_HOME": str(tmp_path)}
    env.pop("ENGRAFT_DATABASE_URL", None)
    command = [sys.executable, "-m", "engraft", "serve", "--demo", "--port", str(port), "--demo-transplants", "12"]
    command += ["--mllp-port", "0", "--no-ward-feed"]  # the cohort alone (the ward: test_serve_demo_ward.py)
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for_health(f"{base}/api/health", process)
        assert (tmp_path / "demo.db").exists()
        assert httpx.get(f"{base}/api/patients").status_code == 401  # nobody signed in
        with http_client_signed_in(base, f"sqlite:///{tmp_path / 'demo.db'}", Role.DATA_MANAGER) as client:
            episodes = client.get("/api/episodes", params={"limit": 100}).json()
            assert episodes["total"] == 12 + len(CAR_T_COURSES)  # the transplants and the demo's CAR-T infusions
            therapies = [e["cell_therapy"] for e in episodes["items"]]
            assert therapies.count("immune effector cell therapy") == len(CAR_T_COURSES)
            assert client.get("/api/patients").json()["total"] >= 10
            assert client.get("/api/observations", params={"limit": 1}).json()["total"] > 1000
        assert httpx.get(f"{base}/openapi.json").json()["info"]["title"] == "Engraft"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_serve_demo_includes_a_searchable_donor_registry(tmp_path: Path, imgt_dir: Path) -> None:
    port = _free_port()
    env = {**os.environ, "ENGRAFT_HOME": str(tmp_path), "ENGRAFT_IMGT_DIR": str(imgt_dir)}
    env.pop("ENGRAFT_DATABASE_URL", None)
    command = [
        sys.executable,
        "-m",
        "engraft",
        "serve",
        "--demo",
        "--port",
        str(port),
        "--demo-transplants",
        "5",
        "--demo-donors",
        "5000",
        "--mllp-port",
        "0",
        "--no-ward-feed",
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for_health(f"{base}/api/health", process)
        assert httpx.get(f"{base}/api/health").json()["hla_release"] == "3.58.0"
        patient = "HLA-A*01:01+HLA-A*02:01^HLA-B*08:01+HLA-B*44:02^HLA-C*07:01+HLA-C*05:01"
        with http_client_signed_in(base, f"sqlite:///{tmp_path / 'demo.db'}", Role.SEARCH_COORDINATOR) as searcher:
            found = searcher.post(
                "/api/donor-search",
                json={"patient": patient, "max_mismatches": 2, "loci": ["A", "B", "C"]},
                timeout=60,
            )
        assert found.status_code == 200, found.text
        assert found.json()["donors_in_registry"] == 5000
        assert found.json()["donors"]
    finally:
        process.terminate()
        process.wait(timeout=30)
