"""cursor-proxy ca init/show/mint checked by OpenSSL's command-line tools.

OpenSSL is a peer nobody here wrote: it parses our CA certificate, computes
the leaf key's SPKI pin on its own, and verifies minted leaves (chain,
sslserver purpose, host name, name constraints).
"""
import datetime
import json
import os
import pathlib
import shutil
import stat
import subprocess
import tempfile

import pytest


def run(cmd, **kwargs):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)


def openssl(*args, input=None):
    r = run(["openssl", *args], input=input)
    assert r.returncode == 0, f"openssl {' '.join(map(str, args))} failed: {r.stderr}"
    return r.stdout


@pytest.fixture
def ca_dir(tmp_path, proxy_binary):
    d = tmp_path / "ca"
    r = run([proxy_binary, "ca", "init", "--dir", d, "--permit-domain", "cursor.sh", "--permit-domain", "cursorapi.com"])
    assert r.returncode == 0, r.stderr
    return d


def mint(proxy_binary, ca_dir, *names):
    r = run([proxy_binary, "ca", "mint", "--dir", ca_dir, *names])
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("-----BEGIN CERTIFICATE-----")
    return r.stdout


def verify(ca_dir, leaf_pem, *extra):
    return run(["openssl", "verify", "-CAfile", ca_dir / "ca.crt", "-purpose", "sslserver", *extra], input=leaf_pem)


def test_init_writes_a_ca_that_openssl_reads_as_a_constrained_leaf_only_ca(ca_dir):
    text = openssl("x509", "-in", ca_dir / "ca.crt", "-noout", "-text")
    assert "X509v3 Basic Constraints: critical" in text
    assert "CA:TRUE, pathlen:0" in text
    assert "X509v3 Key Usage: critical" in text
    assert "Certificate Sign, CRL Sign" in text
    assert "X509v3 Subject Key Identifier" in text
    assert "X509v3 Name Constraints: critical" in text
    permitted = text.split("Permitted:")[1].split("Excluded:")[0]
    assert "DNS:cursor.sh" in permitted and "DNS:cursorapi.com" in permitted
    assert "Signature Algorithm: ecdsa-with-SHA256" in text
    assert "NIST CURVE: P-256" in text
    # Self-signed and valid now.
    assert openssl("verify", "-CAfile", ca_dir / "ca.crt", ca_dir / "ca.crt").strip().endswith("OK")


def test_init_validity_is_backdated_and_ten_years(ca_dir):
    out = openssl("x509", "-in", ca_dir / "ca.crt", "-noout", "-startdate", "-enddate")
    fields = dict(line.split("=", 1) for line in out.strip().splitlines())
    fmt = "%b %d %H:%M:%S %Y %Z"
    start = datetime.datetime.strptime(" ".join(fields["notBefore"].split()), fmt)
    end = datetime.datetime.strptime(" ".join(fields["notAfter"].split()), fmt)
    now = datetime.datetime.utcnow()
    assert datetime.timedelta(hours=23) < now - start < datetime.timedelta(hours=25)
    assert end - start == datetime.timedelta(days=3651)


def test_key_files_are_owner_only_and_the_certificate_world_readable(ca_dir):
    modes = {name: stat.S_IMODE(os.stat(ca_dir / name).st_mode) for name in os.listdir(ca_dir)}
    assert modes == {"ca.crt": 0o644, "ca.key": 0o600, "leaf.key": 0o600, "leaf.pub": 0o644}
    assert stat.S_IMODE(os.stat(ca_dir).st_mode) == 0o700
    # openssl parses both keys.
    openssl("pkey", "-in", ca_dir / "ca.key", "-noout")
    openssl("pkey", "-in", ca_dir / "leaf.key", "-noout")


def test_show_prints_the_leaf_spki_pin_that_openssl_computes(ca_dir, proxy_binary):
    pub = openssl("pkey", "-in", ca_dir / "leaf.key", "-pubout")
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub.encode(), capture_output=True,
                         check=True).stdout
    digest = subprocess.run(["openssl", "dgst", "-sha256", "-binary"], input=der, capture_output=True, check=True).stdout
    expected = subprocess.run(["base64"], input=digest, capture_output=True, check=True).stdout.decode().strip()

    r = run([proxy_binary, "ca", "show", "--dir", ca_dir, "--json"])
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)
    assert shown["leaf_spki_sha256"] == expected
    assert shown["chromium_flag"] == f"--ignore-certificate-errors-spki-list={expected}"
    assert shown["permitted_domains"] == ["cursor.sh", "cursorapi.com"]
    fingerprint = openssl("x509", "-in", ca_dir / "ca.crt", "-noout", "-fingerprint", "-sha256").strip().split("=", 1)[1]
    assert shown["sha256_fingerprint"] == fingerprint
    assert shown["subject"] == "CN=cursor-proxy local CA, O=cursor-proxy"

    text = run([proxy_binary, "ca", "show", "--dir", ca_dir])
    assert text.returncode == 0, text.stderr
    assert f"--ignore-certificate-errors-spki-list={expected}\n" in text.stdout
    assert fingerprint in text.stdout


def test_show_needs_only_the_public_files(ca_dir, proxy_binary):
    os.chmod(ca_dir / "ca.key", 0)
    (ca_dir / "leaf.key").unlink()
    r = run([proxy_binary, "ca", "show", "--dir", ca_dir])
    assert r.returncode == 0, r.stderr


def test_minted_leaves_verify_for_permitted_names_and_fail_outside(ca_dir, proxy_binary):
    leaf = mint(proxy_binary, ca_dir, "api2.cursor.sh", "*.api5.cursor.sh")
    ok = verify(ca_dir, leaf, "-verify_hostname", "api2.cursor.sh")
    assert ok.returncode == 0, ok.stderr + ok.stdout
    wildcard = verify(ca_dir, leaf, "-verify_hostname", "agent.api5.cursor.sh")
    assert wildcard.returncode == 0, wildcard.stderr + wildcard.stdout
    wrong_host = verify(ca_dir, leaf, "-verify_hostname", "api3.cursor.sh")
    assert wrong_host.returncode != 0
    assert "hostname mismatch" in wrong_host.stdout + wrong_host.stderr

    outside = verify(ca_dir, mint(proxy_binary, ca_dir, "example.com"))
    assert outside.returncode != 0
    assert "permitted subtree violation" in outside.stdout + outside.stderr
    ip_only = verify(ca_dir, mint(proxy_binary, ca_dir, "--ip", "127.0.0.1"))
    assert ip_only.returncode != 0
    assert "excluded subtree violation" in ip_only.stdout + ip_only.stderr

    text = openssl("x509", "-noout", "-text", input=leaf)
    assert "TLS Web Server Authentication" in text
    assert "CA:FALSE" in text


def test_rsa_ca_and_ip_leaf_without_constraints(tmp_path, proxy_binary):
    d = tmp_path / "rsa"
    r = run([proxy_binary, "ca", "init", "--dir", d, "--key-type", "rsa2048"])
    assert r.returncode == 0, r.stderr
    text = openssl("x509", "-in", d / "ca.crt", "-noout", "-text")
    assert "rsaEncryption" in text and "Public-Key: (2048 bit)" in text
    assert "sha256WithRSAEncryption" in text
    assert "Name Constraints" not in text
    leaf = mint(proxy_binary, d, "--ip", "127.0.0.1")
    ok = verify(d, leaf, "-verify_ip", "127.0.0.1")
    assert ok.returncode == 0, ok.stderr + ok.stdout
    assert "Key Encipherment" in openssl("x509", "-noout", "-text", input=leaf)


def test_init_refuses_to_overwrite_without_force(ca_dir, proxy_binary):
    before = (ca_dir / "ca.crt").read_text()
    r = run([proxy_binary, "ca", "init", "--dir", ca_dir])
    assert r.returncode == 1
    assert "already exists" in r.stderr and "--force" in r.stderr
    assert (ca_dir / "ca.crt").read_text() == before
    r = run([proxy_binary, "ca", "init", "--dir", ca_dir, "--force"])
    assert r.returncode == 0, r.stderr
    assert (ca_dir / "ca.crt").read_text() != before


def test_mint_refuses_a_key_others_can_read(ca_dir, proxy_binary):
    os.chmod(ca_dir / "ca.key", 0o644)
    r = run([proxy_binary, "ca", "mint", "--dir", ca_dir, "api2.cursor.sh"])
    assert r.returncode == 1
    key = ca_dir / "ca.key"
    assert f"cannot use CA key {key}: mode 0644 is readable by others; run chmod 600 {key}" in r.stderr


@pytest.mark.parametrize("args, message", [
    (["init", "--key-type", "dsa"], "--key-type: 'dsa'"),
    (["init", "--permit-domain", "not a domain"], "--permit-domain"),
    (["init", "--common-name", "x" * 65], "--common-name"),
    (["mint", "--ip", "nope"], "--ip: 'nope'"),
    (["mint"], "at least one HOST"),
    (["frobnicate"], "unknown subcommand 'frobnicate'"),
])
def test_bad_usage_is_exit_2_with_a_clear_message(tmp_path, proxy_binary, args, message):
    r = run([proxy_binary, "ca", *args, "--dir", tmp_path / "d"] if args[0] != "frobnicate" else [proxy_binary, "ca", *args])
    assert r.returncode == 2, r.stderr
    assert message in r.stderr
    assert not (tmp_path / "d" / "ca.key").exists()


def test_default_dir_is_state_directory_else_cursor_proxy_data(tmp_path, proxy_binary):
    state = tmp_path / "state"
    env = {k: v for k, v in os.environ.items() if k != "STATE_DIRECTORY"}
    r = run([proxy_binary, "ca", "init"], env={**env, "STATE_DIRECTORY": str(state)}, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (state / "ca.crt").exists()
    # A working directory under /tmp is no place for a CA key: the per-user state dir is used.
    xdg = tmp_path / "xdg-state"
    r = run([proxy_binary, "ca", "init"], env={**env, "XDG_STATE_HOME": str(xdg)}, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (xdg / "cursor-proxy" / "ca.crt").exists()
    assert not (tmp_path / "cursor-proxy-data").exists()
    # Anywhere else: ./cursor-proxy-data.
    root = pathlib.Path("/var/lib/cursor-proxy-tests")
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    work = pathlib.Path(tempfile.mkdtemp(prefix="ca-default-", dir=root))
    try:
        r = run([proxy_binary, "ca", "init"], env=env, cwd=work)
        assert r.returncode == 0, r.stderr
        assert (work / "cursor-proxy-data" / "ca.crt").exists()
    finally:
        shutil.rmtree(work, ignore_errors=True)
