"""Shared test helpers: paths of the repository and the loading of YAML case tables."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schemas" / "agency.schema.json"


def case_table(name: str) -> list:
    """Rows of a YAML case table beside the tests, as pytest params with their ids."""
    rows = yaml.safe_load((pathlib.Path(__file__).parent / "unit" / name).read_text("utf-8"))
    return [pytest.param(row, id=row["id"]) for row in rows]


def stop_server(state_dir: str) -> None:
    """Stop a test mail server and remove its state (kept with HYMAIL_E2E_KEEP=1)."""
    ctl = pathlib.Path(state_dir, "bin", "mailserverctl")
    if ctl.exists():
        subprocess.run([str(ctl), "stop"], capture_output=True, timeout=180, check=False)
    if not os.environ.get("HYMAIL_E2E_KEEP"):
        shutil.rmtree(state_dir, ignore_errors=True)
