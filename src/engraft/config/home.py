"""The Engraft home directory: where the default SQLite database and the server key file live."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final

HOME_ENV: Final = "ENGRAFT_HOME"


def engraft_home(environ: Mapping[str, str] | None = None) -> Path:
    """``$ENGRAFT_HOME``, else ``~/.local/share/engraft``."""
    env = os.environ if environ is None else environ
    home = env.get(HOME_ENV)
    return Path(home) if home else Path.home() / ".local" / "share" / "engraft"


__all__ = ["HOME_ENV", "engraft_home"]
