"""``engraft monitor listen --mllp PORT``: the command serves MLLP until interrupted, storing what it ACKs."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from engraft.io.mllp import MllpClient
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.migrate import upgrade
from engraft.registry.models import AuditEntry, Observation
from engraft.registry.service import RegistryService
from tests.io.feeds import obx, oru, register_patient


def test_the_listener_acknowledges_after_storing_and_audits_as_its_actor(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'engraft.db'}"
    engine = make_engine(url)
    upgrade(engine)
    service = RegistryService(make_session_factory(engine), actor="test")
    register_patient(service, mrn="MRN-100", centre="C1")
    env = {**os.environ, "ENGRAFT_HOME": str(tmp_path)}
    command = [
        sys.executable, "-m", "engraft", "monitor", "listen", "--mllp", "0", "--centre", "C1",
        "--actor", "lab-feed-test", "--database", url,
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"on 127\.0\.0\.1:(\d+)", line)
        assert found, f"no address in {line!r}; stderr: {process.stderr.read() if process.poll() is not None else ''}"
        port = int(found.group(1))

        async def send() -> str:
            client = await MllpClient.connect("127.0.0.1", port)
            try:
                return await client.exchange(oru("CLI-1", obx(1, "777-3", "22", "x10E9/L")))
            finally:
                await client.close()

        ack = asyncio.run(send())
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    assert "MSA|AA|CLI-1" in ack
    with service.read_snapshot() as session:
        assert session.scalar(select(func.count()).select_from(Observation)) == 1
        actors = session.scalars(select(AuditEntry.actor).where(AuditEntry.entity == "inbound message")).all()
    assert actors == ["lab-feed-test"]
    engine.dispose()
