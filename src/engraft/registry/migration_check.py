"""CI check: migrations from empty reach a schema identical to the ORM models.

Run as ``python -m engraft.registry.migration_check [URL ...]``; with no URL it checks a
temporary SQLite file. Exits non-zero and lists the differences when a migration is missing.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from engraft.registry.database import make_engine
from engraft.registry.migrate import pending_model_changes, upgrade


def check(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        upgrade(engine)
        return pending_model_changes(engine)
    finally:
        engine.dispose()


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        urls = argv or [f"sqlite:///{Path(tmp) / 'migration-check.db'}"]
        failed = False
        for url in urls:
            diffs = check(url)
            shown = url.split("@")[-1]
            if diffs:
                failed = True
                sys.stderr.write(f"migrations do not match the models on {shown}:\n")
                for diff in diffs:
                    sys.stderr.write(f"  {diff}\n")
            else:
                sys.stdout.write(f"migrations match the models on {shown}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
