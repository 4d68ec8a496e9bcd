"""Fixtures for the reporter tests; the synthetic data lives in reporting_data.py."""

from __future__ import annotations

import pytest
from reporting_data import make_result

from conformance.model import RunResult


@pytest.fixture
def result() -> RunResult:
    result: RunResult = make_result()
    return result
