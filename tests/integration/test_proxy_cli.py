"""`cursor-proxy run` options: help, and a clear error for each bad value."""
import socket
import subprocess

import pytest

import proxy_support


def run_proxy(binary, *args, timeout=15):
    data_dir = proxy_support.new_data_dir()
    try:
        return subprocess.run([str(binary), "run", "--data-dir", str(data_dir), *map(str, args)],
                              capture_output=True, text=True, timeout=timeout)
    finally:
        proxy_support.remove_data_dir(data_dir)


def test_run_help_documents_every_option(proxy_binary):
    r = subprocess.run([proxy_binary, "run", "--help"], capture_output=True, text=True, check=True)
    for option in ("--listen ", "--listen-connect", "--data-dir", "--ca-dir", "--upstream-ca ", "--upstream-ca-dir",
                   "--insecure-upstream", "--passthrough", "--auto-passthrough-after", "--keylog",
                   "--max-connections", "--handshake-timeout", "--idle-timeout", "--leaf-cache-size", "--verbose",
                   "--log-level", "--shutdown-grace", "EXAMPLES"):
        assert option in r.stdout, option


@pytest.mark.parametrize("args, code, message", [
    (["--listen-connect", "localhost:8080"], 2, "--listen-connect localhost:8080: not an IP address"),
    (["--listen", "127.0.0.1"], 2, "--listen 127.0.0.1: missing :PORT"),
    (["--handshake-timeout", "0"], 2, "--handshake-timeout: 0 is out of range"),
    (["--max-connections", "many"], 2, "--max-connections: 'many' is not a whole number"),
    (["--log-level", "loud"], 2, "--log-level loud: expected debug, info, warning or error"),
    (["--upstream-ca", "/nonexistent/ca.pem"], 1, "--upstream-ca /nonexistent/ca.pem: no such file"),
    (["--keylog", "/nonexistent/dir/keys"], 1, "cannot open key log /nonexistent/dir/keys"),
    (["stray"], 2, "unexpected argument 'stray'"),
])
def test_bad_option_values_are_clear_errors(proxy_binary, args, code, message):
    r = run_proxy(proxy_binary, "--listen-connect", "127.0.0.1:0", *args)
    assert r.returncode == code, r.stderr
    assert message in r.stderr


def test_port_in_use_is_a_clear_error(proxy_binary, pki):
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        r = run_proxy(proxy_binary, "--listen-connect", f"127.0.0.1:{port}", "--upstream-ca", pki.ca_cert)
    assert r.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}: bind failed" in r.stderr
    assert "pick another port" in r.stderr
