import os
from pathlib import Path

import pytest

DATA = Path(os.environ.get("GOVERN_SHARED_DATA") or Path(__file__).resolve().parents[2].parent / "shared" / "data")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    # The real data sits beside the project (../shared/data) in the workplace and in CI; a
    # clone elsewhere (a newcomer's) does not have it, and only these data tests skip then.
    if not DATA.is_dir():
        pytest.skip(f"the shared real data is not beside this checkout ({DATA}); set GOVERN_SHARED_DATA")
    return DATA
