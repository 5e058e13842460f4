import pytest

from tests.dashboards.data import build_brand_data


@pytest.fixture
def brand_data(org, brand):
    """``brand`` (glow) with posts, snapshots, facts, categories, follower figures and a competitor."""
    return build_brand_data(org, brand)
