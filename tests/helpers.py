"""Shared test helpers: paths of the repository and the loading of YAML case tables."""

from __future__ import annotations

import pathlib

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schemas" / "agency.schema.json"


def case_table(name: str) -> list:
    """Rows of a YAML case table beside the tests, as pytest params with their ids."""
    rows = yaml.safe_load((pathlib.Path(__file__).parent / "unit" / name).read_text("utf-8"))
    return [pytest.param(row, id=row["id"]) for row in rows]
