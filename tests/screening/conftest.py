"""Fixtures for the screening tests: the real list files in the shared data folder.

The folder is $RISKDESK_SHARED_DIR/data, by default ../shared/data beside the repository.
A missing folder is a failure, not a skip: these tests exist to read the real files.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from riskdesk.engine.screening.importers import parse_file
from riskdesk.engine.screening.matcher import Matcher

REPO_ROOT = Path(__file__).resolve().parents[2]
SDN_FILE = "ofac-sdn-2024-05-03.csv"
CSL_FILE = "csl-2019-12.csv"
OS_FILE = "opensanctions-simple-2025-05-23.csv"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    base = Path(os.environ.get("RISKDESK_SHARED_DIR", REPO_ROOT.parent / "shared"))
    data = base / "data"
    missing = [f for f in (SDN_FILE, CSL_FILE, OS_FILE) if not (data / f).is_file()]
    if missing:
        pytest.fail(
            f"shared list files not found in {data} (missing: {', '.join(missing)}); "
            "set RISKDESK_SHARED_DIR to the folder that holds data/",
            pytrace=False,
        )
    return data


@pytest.fixture(scope="session")
def sdn(data_dir):
    return parse_file(data_dir / SDN_FILE, "sdn")


@pytest.fixture(scope="session")
def csl(data_dir):
    return parse_file(data_dir / CSL_FILE, "csl")


@pytest.fixture(scope="session")
def opensanctions(data_dir):
    return parse_file(data_dir / OS_FILE, "opensanctions")


@pytest.fixture(scope="session")
def sdn_matcher(sdn):
    return Matcher(sdn.entries)
