import pytest


@pytest.fixture
def wide_a(db, unit_a1):
    """District HS-A with five units (the small demo has two), so one unit's signatures stay under the threshold."""
    from .petitioning import widen_district

    return widen_district(unit_a1.parent)
