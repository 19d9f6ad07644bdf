"""Fixtures for the Hub download tests: a mock Hugging Face Hub on loopback (mock_hub.py)
serving the tiny test models, and a fresh cache and environment per test with HF_ENDPOINT
pointed at it. Needs: pip install pytest huggingface_hub."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hub_support import add_fixture_repos, base_env  # noqa: E402
from mock_hub import MockHub  # noqa: E402


@pytest.fixture(scope="session")
def hub():
    h = MockHub()
    add_fixture_repos(h)
    yield h
    h.close()


@pytest.fixture(autouse=True)
def fresh_hub_state(request):
    if "hub" in request.fixturenames:
        request.getfixturevalue("hub").reset()
    yield


@pytest.fixture
def env(tmp_path, hub):
    e = base_env(str(tmp_path))
    e["HF_ENDPOINT"] = hub.endpoint
    return e
