"""``engraft serve --demo`` runs the MLLP lab-feed listener with the simulated ward feeding it, and the monitoring
the served application runs raises alerts for the ward's patients, the CAR-T patient's possible CRS among them."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from engraft.io.mllp import MllpClient
from tests.cli.test_serve_demo import _free_port, _wait_for_health
from tests.io.release_server import closed_port_url


def _serve(tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "ENGRAFT_HOME": str(tmp_path)}
    env.pop("ENGRAFT_DATABASE_URL", None)
    env.pop("ENGRAFT_IMGT_DIR", None)
    env["ENGRAFT_IMGT_MIRROR"] = closed_port_url()  # no release and no download: the ward alone
    command = [sys.executable, "-m", "engraft", "serve", "--demo", "--demo-transplants", "3", *extra]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _scalar(database: Path, sql: str) -> object:
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        engine.dispose()


def test_serve_demo_listens_for_mllp_on_the_given_port_and_the_ward_feeds_it(tmp_path: Path) -> None:
    port, mllp_port = _free_port(), _free_port()
    process = _serve(tmp_path, "--port", str(port), "--mllp-port", str(mllp_port), "--ward-interval", "0.2")
    database = tmp_path / "demo.db"
    try:
        _wait_for_health(f"http://127.0.0.1:{port}/api/health", process)
        fed = "SELECT count(*) FROM observation WHERE source_system = 'hl7v2:DEMOLAB^DEMOWARD'"
        deadline = time.monotonic() + 120
        while _scalar(database, fed) == 0 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert isinstance(fed_count := _scalar(database, fed), int) and fed_count > 0
        mrn = _scalar(
            database,
            "SELECT i.mrn FROM patient_identity i JOIN centre c ON c.id = i.centre_id WHERE c.code = 'DEMO-WARD' "
            "ORDER BY i.mrn LIMIT 1",
        )
        now = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S+0000")
        message = "\r".join(
            (
                f"MSH|^~\\&|OTHERLAB|HOSP|ENGRAFT|TXU|{now}||ORU^R01^ORU_R01|CLI-WARD-1|P|2.5.1",
                f"PID|1||{mrn}^^^HOSP^MR||Test^Ann||19700517|F",
                f"OBR|1||CLI-WARD-F1|58410-2^CBC panel^LN|||{now}",
                f"OBX|1|NM|777-3^Platelets^LN||31|10*9/L|||||F|||{now}",
            )
        )

        async def send() -> str:
            client = await MllpClient.connect("127.0.0.1", mllp_port)
            try:
                return await client.exchange(message + "\r")
            finally:
                await client.close()

        assert "MSA|AA|CLI-WARD-1" in asyncio.run(send())
        ward_alerts = (
            "SELECT count(*) FROM monitoring_alert a JOIN patient_identity i ON i.patient_id = a.patient_id "
            "JOIN centre c ON c.id = i.centre_id WHERE c.code = 'DEMO-WARD'"
        )
        while _scalar(database, ward_alerts) == 0 and time.monotonic() < deadline + 60:
            time.sleep(0.5)
        assert isinstance(alerts := _scalar(database, ward_alerts), int) and alerts > 0
        crs = ward_alerts + " AND a.kind = 'possible CRS'"  # the CAR-T bed's fever, live from the first round
        while _scalar(database, crs) == 0 and time.monotonic() < deadline + 90:
            time.sleep(0.5)
        assert _scalar(database, crs) == 1
        open_beds = (  # a new user sees open alerts for several of the ward's patients, not one
            "SELECT count(DISTINCT a.patient_id) FROM monitoring_alert a JOIN patient_identity i "
            "ON i.patient_id = a.patient_id JOIN centre c ON c.id = i.centre_id "
            "WHERE c.code = 'DEMO-WARD' AND a.state = 'open'"
        )
        while (_scalar(database, open_beds) or 0) < 4 and time.monotonic() < deadline + 120:
            time.sleep(0.5)
        assert isinstance(beds := _scalar(database, open_beds), int) and beds >= 4
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert f"MLLP lab-feed listener on 127.0.0.1:{mllp_port}" in " ".join(stderr.split())
    assert "Traceback" not in stderr


def test_serve_demo_with_the_mllp_port_in_use_says_so_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        process = _serve(tmp_path, "--port", str(_free_port()), "--mllp-port", str(busy))
        _, stderr = process.communicate(timeout=300)
    assert process.returncode == 1
    assert f"cannot listen for MLLP on 127.0.0.1:{busy}" in " ".join(stderr.split())
    assert "Traceback" not in stderr
