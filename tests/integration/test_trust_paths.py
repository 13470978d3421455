"""The trust story of BRIEF section 5, end to end with real clients through the
real proxy: headless Chromium trusting our leaves by the SPKI pin that
`cursor-proxy ca show` prints, or by the CA in its NSS database; node by
NODE_EXTRA_CA_CERTS. Each path is shown to work, and to fail without it.
curl with and without --cacert is covered by test_proxy_loopback.py.

The CA is made as in production (name-constrained to cursor.sh and
cursorapi.com); the upstream is a test server named api2.cursor.sh and
metrics.cursor.sh. Everything runs in one namespace that has only loopback
(see trust_support.py)."""
import pytest

from trust_support import (GREETING, chromium, close_world, curl_get, make_ca, node_get, nss_home,
                           open_world)

CERT_ERROR = "ERR_CERT_AUTHORITY_INVALID"
REFUSED = r"the client refused our certificate.* host=api2\.cursor\.sh"


@pytest.fixture(scope="module")
def world(pki):
    """The namespace with the upstreams: api2/metrics.cursor.sh on :443, and on
    :8443 one whose certificate also names localhost (outside our CA's constraints)."""
    w = open_world()
    try:
        w.serve(*pki.issue("trust-upstream", ["api2.cursor.sh", "metrics.cursor.sh"]), 443)
        w.serve(*pki.issue("trust-upstream-localhost", ["api3.cursor.sh", "localhost"]), 8443)
        yield w
    finally:
        close_world(w)


@pytest.fixture(scope="module")
def ca(proxy_binary, tmp_path_factory):
    return make_ca(proxy_binary, tmp_path_factory.mktemp("trust") / "ca",
                   "--permit-domain", "cursor.sh", "--permit-domain", "cursorapi.com")


@pytest.fixture
def proxy(start_proxy, world, ca):
    # Auto-passthrough off: the refusals below must not turn api2 into passthrough.
    # -v: the "intercepting" lines are info.
    return start_proxy("--ca-dir", ca.dir, "--auto-passthrough-after", "0", "-v", netns=world.netns)


@pytest.fixture
def browse(world, proxy, tmp_path):
    """browse(url, *flags, home=None) → PageLoad; each load gets a fresh profile
    and (unless given) a fresh HOME without an NSS database."""
    count = [0]

    def load(url, *flags, home=None):
        count[0] += 1
        run_dir = tmp_path / f"chromium-{count[0]}"
        if home is None:
            home = run_dir / "home"
            home.mkdir(parents=True)
        return chromium(world, proxy.port, url, *flags, home=home, user_data_dir=run_dir / "profile")

    return load


def test_chromium_accepts_every_minted_leaf_by_the_pin_from_ca_show(browse, proxy, ca):
    assert ca.flag == f"--ignore-certificate-errors-spki-list={ca.pin}"
    page = browse("https://api2.cursor.sh/chromium-pin", ca.flag)
    assert page.loaded("/chromium-pin"), page.log[-3000:]
    # Another host gets another leaf; the shared leaf key makes the same pin cover it.
    other = browse("https://metrics.cursor.sh/chromium-pin-metrics", ca.flag)
    assert other.loaded("/chromium-pin-metrics"), other.log[-3000:]
    proxy.wait_log(r"intercepting .*host=api2\.cursor\.sh")
    proxy.wait_log(r"intercepting .*host=metrics\.cursor\.sh")


def test_chromium_without_the_pin_refuses_our_certificate(browse, proxy):
    page = browse("https://api2.cursor.sh/chromium-no-pin")
    assert page.failed_with(CERT_ERROR), page.dom + page.log[-3000:]
    proxy.wait_log(REFUSED)


def test_chromium_with_the_pin_of_another_key_refuses_our_certificate(browse, proxy, proxy_binary, tmp_path):
    other = make_ca(proxy_binary, tmp_path / "other-ca")
    page = browse("https://api2.cursor.sh/chromium-wrong-pin", other.flag)
    assert page.failed_with(CERT_ERROR), page.dom + page.log[-3000:]
    proxy.wait_log(REFUSED)


def test_chromium_trusts_the_ca_in_its_nss_database_and_not_without(browse, proxy, ca, tmp_path):
    trusting = nss_home(tmp_path / "home-with-ca", ca.cert)
    page = browse("https://api2.cursor.sh/chromium-nss", home=trusting)
    assert page.loaded("/chromium-nss"), page.log[-3000:]

    empty = nss_home(tmp_path / "home-empty-nssdb")
    page = browse("https://api2.cursor.sh/chromium-empty-nss", home=empty)
    assert page.failed_with(CERT_ERROR), page.dom + page.log[-3000:]
    proxy.wait_log(REFUSED)


def test_node_trusts_the_ca_through_node_extra_ca_certs_and_not_without(world, proxy, ca):
    ok = node_get(world, proxy.port, "api2.cursor.sh", 443, "/node-extra-ca", extra_ca=ca.cert)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout == f"{GREETING} path=/node-extra-ca\n"

    refused = node_get(world, proxy.port, "api2.cursor.sh", 443, "/node-bundled-roots")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert refused.stdout.startswith("ERROR UNABLE_TO_VERIFY_LEAF_SIGNATURE"), refused.stdout
    assert GREETING not in refused.stdout
    proxy.wait_log(REFUSED)


def test_a_mirrored_name_outside_the_constraints_does_not_break_the_leaf(world, proxy, ca):
    in_scope = curl_get(world, proxy.port, "https://api2.cursor.sh/constrained-ok", "--cacert", ca.cert)
    assert in_scope.returncode == 0, in_scope.stderr
    r = curl_get(world, proxy.port, "https://api3.cursor.sh:8443/constrained", "--cacert", ca.cert)
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"{GREETING} path=/constrained\n"
