"""A new user's first ``engraft serve --demo`` with no IPD-IMGT/HLA release configured.

Fresh ``ENGRAFT_HOME`` and cache, no ``ENGRAFT_IMGT_DIR``; the release is served by a real HTTP server
on 127.0.0.1 (``ENGRAFT_IMGT_MIRROR``, the official repository's layout). With it, the start downloads
and checks the release, builds the demo donor registry and ``POST /api/donor-search`` answers; with
nothing answering (no network), the demo still starts, says what to do, and donor search answers 503.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from engraft.access import Role
from tests.auth_clients import http_client_signed_in
from tests.cli.test_serve_demo import _free_port, _wait_for_health
from tests.io.release_server import closed_port_url, serve_release

PATIENT = "HLA-A*01:01+HLA-A*02:01^HLA-B*08:01+HLA-B*44:02^HLA-C*07:01+HLA-C*05:01"


def _start(home: Path, mirror: str, port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ENGRAFT_IMGT_DIR", "ENGRAFT_DATABASE_URL")}
    env |= {"ENGRAFT_HOME": str(home), "XDG_CACHE_HOME": str(home / "cache"), "ENGRAFT_IMGT_MIRROR": mirror}
    command = [sys.executable, "-m", "engraft", "serve", "--demo", "--port", str(port), "--demo-transplants", "4"]
    command += ["--demo-donors", "3000", "--mllp-port", "0", "--no-ward-feed"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    _, stderr = process.communicate(timeout=60)
    return " ".join(stderr.split())


def test_first_demo_start_downloads_the_release_and_serves_donor_search(imgt_dir: Path, tmp_path: Path) -> None:
    home, port = tmp_path / "home", _free_port()
    with serve_release(imgt_dir, tmp_path / "site") as server:
        process = _start(home, server.base_url, port)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_for_health(f"{base}/api/health", process)
            assert httpx.get(f"{base}/api/health").json()["hla_release"] == "3.58.0"
            with http_client_signed_in(base, f"sqlite:///{home / 'demo.db'}", Role.SEARCH_COORDINATOR) as searcher:
                found = searcher.post(
                    "/api/donor-search",
                    json={"patient": PATIENT, "max_mismatches": 2, "loci": ["A", "B", "C"]},
                    timeout=60,
                )
            assert found.status_code == 200, found.text
            assert found.json()["donors_in_registry"] == 3000 and found.json()["donors"]
            assert found.json()["release"] == "3.58.0"
            with http_client_signed_in(
                base, f"sqlite:///{home / 'demo.db'}", Role.SEARCH_COORDINATOR, "c2"
            ) as coordinator:
                saved = coordinator.post(
                    "/api/donor-search/saved",
                    json={"patient": PATIENT, "loci": ["A", "B", "C"], "max_mismatches": 2, "limit": 5},
                    timeout=60,
                )
                assert saved.status_code == 201, saved.text
                report = coordinator.get(f"/api/donor-search/saved/{saved.json()['id']}/report", timeout=120)
            assert report.status_code == 200 and report.content.startswith(b"%PDF-")
        finally:
            said = _stop(process)
    cache = home / "cache" / "engraft" / "imgt-hla" / "3.58.0"
    assert (cache / "wmda" / "hla_nom.txt").read_bytes() == (imgt_dir / "wmda" / "hla_nom.txt").read_bytes()
    assert "no IPD-IMGT/HLA release is configured: downloading the pinned release 3.58.0" in said
    assert "downloading IPD-IMGT/HLA 3.58.0: 8/8 wmda/md5checksum.txt" in said
    assert "checked against the release's wmda/md5checksum.txt: 5 files, MD5 equal" in said
    assert "creating a synthetic donor registry of 3,000 donors" in said
    assert "without HLA typings" not in said


def test_first_demo_start_without_network_says_what_to_do_and_still_serves(tmp_path: Path) -> None:
    home, port = tmp_path / "home", _free_port()
    process = _start(home, closed_port_url(), port)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for_health(f"{base}/api/health", process)
        with http_client_signed_in(base, f"sqlite:///{home / 'demo.db'}", Role.SEARCH_COORDINATOR) as searcher:
            refused = searcher.post("/api/donor-search", json={"patient": PATIENT}, timeout=60)
        assert refused.status_code == 503
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "engraft hla install" in refused.json()["detail"]
    finally:
        said = _stop(process)
    assert "no network: cannot reach 127.0.0.1:" in said
    assert "engraft hla install --from DIR" in said and "ENGRAFT_IMGT_DIR" in said
    assert "the demo starts without HLA typings and without a donor registry" in said
    assert not (home / "cache" / "engraft" / "imgt-hla" / "3.58.0" / "wmda" / "hla_nom.txt").exists()
