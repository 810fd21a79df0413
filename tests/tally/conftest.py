from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    # The real data sits beside the project (../shared/data), in every checkout and in CI.
    assert DATA.is_dir(), f"shared data not found at {DATA}"
    return DATA
