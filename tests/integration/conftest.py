"""Shared fixtures for the integration tests.

These tests use real kernel objects (network namespaces, veth, nftables) and
real peers (curl, nghttp, node...). They need root; without it they fail
loudly instead of skipping, because a skipped test must never look like a pass.
"""
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("BUILDDIR", ROOT / "build"))


def pytest_configure(config):
    if os.geteuid() != 0:
        raise pytest.UsageError("integration tests need root (namespaces, nftables); run: sudo scripts/test")


@pytest.fixture(scope="session")
def proxy_binary():
    path = BUILD / "src" / "cursor-proxy"
    assert path.exists(), f"{path} missing: run scripts/build first"
    return path
