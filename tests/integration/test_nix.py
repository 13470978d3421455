"""Packaging tests, offline: every .nix file parses, flake.lock is the given
pin, `nix flake check` passes against the stand-in nixpkgs (and fails on a
broken module), the NixOS module renders the units we mean (checked with
systemd-analyze verify and security), bad options get clear errors, the D-Bus
policy loads in a real dbus-daemon, the polkit rule decides as intended (run
by node), and cursor-proxy-launch starts Cursor with the right flags."""
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import tempfile

import pytest

from nix_support import BUILD, ROOT, IsolatedNix, copy_flake_source, fake_package, require, write_units

PIN = {
    "lastModified": 1767313136,
    "narHash": "sha256-16KkgfdYqjaeRGBaYsNrhPRRENs0qzkQVUooNHtoy2w=",
    "owner": "NixOS",
    "repo": "nixpkgs",
    "rev": "ac62194c3917d5f474c1a844b6fd6da2db95077d",
    "type": "github",
}


@pytest.fixture
def workdir():
    with tempfile.TemporaryDirectory(prefix="cursor-proxy-nix-") as d:
        yield pathlib.Path(d)


@pytest.fixture(scope="module")
def evaluated():
    """The module evaluated once with default settings: (nix, package dir, result)."""
    require("nix-instantiate")
    with tempfile.TemporaryDirectory(prefix="cursor-proxy-nix-") as d:
        base = pathlib.Path(d)
        nix = IsolatedNix(base / "nix")
        package = fake_package(base / "pkg")
        yield nix, package, nix.eval_module_ok(package)


def unit_lines(text):
    return text.splitlines()


# --- parsing and the lock ---------------------------------------------------

def test_every_nix_file_parses():
    require("nix-instantiate")
    files = sorted(p for p in ROOT.rglob("*.nix") if not any(part.startswith("build") or part == "node_modules"
                                                             for part in p.relative_to(ROOT).parts))
    assert ROOT / "flake.nix" in files and ROOT / "nixos-module/default.nix" in files
    for f in files:
        r = subprocess.run(["nix-instantiate", "--parse", str(f)], capture_output=True, text=True,
                           env=dict(os.environ, NIX_CONFIG="build-users-group ="))
        assert r.returncode == 0, f"{f}: {r.stderr}"


def test_nix_parse_rejects_a_broken_file(workdir):
    broken = workdir / "broken.nix"
    broken.write_text("{ a = 1; \n")
    r = subprocess.run(["nix-instantiate", "--parse", str(broken)], capture_output=True, text=True)
    assert r.returncode != 0 and "syntax error" in r.stderr


def test_flake_lock_is_exactly_the_given_pin():
    lock = json.loads((ROOT / "flake.lock").read_text())
    assert lock["version"] == 7 and lock["root"] == "root"
    assert set(lock["nodes"]) == {"root", "nixpkgs"}
    assert lock["nodes"]["root"] == {"inputs": {"nixpkgs": "nixpkgs"}}
    assert lock["nodes"]["nixpkgs"]["locked"] == PIN
    assert lock["nodes"]["nixpkgs"]["original"] == {"owner": "NixOS", "ref": "nixos-25.05", "repo": "nixpkgs", "type": "github"}


# --- the flake, offline against the stand-in nixpkgs -------------------------

def test_flake_check_passes_offline(workdir):
    require("nix")
    src = copy_flake_source(workdir / "src")
    nix = IsolatedNix(workdir / "nix")
    r = nix.flake(src, "flake", "check", "--no-build", f"path:{src}")
    assert r.returncode == 0, r.stderr
    assert "evaluating flake" in r.stderr


def test_flake_outputs_have_the_expected_shape(workdir):
    src = copy_flake_source(workdir / "src")
    nix = IsolatedNix(workdir / "nix")
    for system in ("x86_64-linux", "aarch64-linux"):
        r = nix.flake(src, "eval", "--json", f"path:{src}#packages.{system}.default.mesonFlags")
        assert r.returncode == 0, r.stderr
        flags = json.loads(r.stdout)
        assert any(re.fullmatch(r"-Dboringssl_includedir=.*-boringssl-dev/include", f) for f in flags), flags
        assert any(re.fullmatch(r"-Dboringssl_libdir=.*-boringssl/lib", f) for f in flags), flags
        assert "-Dtests=enabled" in flags
    r = nix.flake(src, "eval", "--json", f"path:{src}#packages.x86_64-linux.default.mesonCheckFlags")
    assert json.loads(r.stdout) == ["--suite", "unit"]
    for attr in ("checks.x86_64-linux.module.drvPath", "checks.x86_64-linux.package.drvPath",
                 "devShells.x86_64-linux.default.drvPath"):
        r = nix.flake(src, "eval", "--raw", f"path:{src}#{attr}")
        assert r.returncode == 0 and r.stdout.endswith(".drv"), f"{attr}: {r.stderr}"


def test_flake_check_fails_on_a_misnamed_option(workdir):
    src = copy_flake_source(workdir / "src")
    units = src / "nixos-module/units.nix"
    units.write_text(units.read_text().replace("NetworkNamespacePath = ", "serviceConfg.NetworkNamespacePath = ", 1))
    default = src / "nixos-module/default.nix"
    default.write_text(default.read_text().replace("users.users.${cfg.user} = {", "users.user.${cfg.user} = {", 1))
    nix = IsolatedNix(workdir / "nix")
    r = nix.flake(src, "flake", "check", "--no-build", f"path:{src}")
    assert r.returncode != 0
    assert "does not exist" in r.stderr or "is not of type" in r.stderr, r.stderr


# --- the module's output -----------------------------------------------------

def test_proxy_unit_key_lines(evaluated):
    _, package, out = evaluated
    lines = unit_lines(out["units"]["cursor-proxy.service"])
    for expected in [
        "Type=notify", "User=cursor-proxy", "Group=cursor-proxy",
        "StateDirectory=cursor-proxy", "StateDirectoryMode=0700", "RuntimeDirectory=cursor-proxy",
        "NoNewPrivileges=true", "ProtectSystem=strict", "ProtectHome=true", "PrivateTmp=true",
        "CapabilityBoundingSet=", "SystemCallFilter=@system-service", "LimitNOFILE=65536",
        "RestrictAddressFamilies=AF_INET", "RestrictAddressFamilies=AF_INET6", "RestrictAddressFamilies=AF_UNIX",
        f"ExecStart={package}/bin/cursor-proxy run --listen 10.200.1.1:8443 --data-dir /var/lib/cursor-proxy"
        " --upstream-ca /etc/ssl/certs/ca-certificates.crt --no-capture-telemetry",
    ]:
        assert expected in lines, f"{expected!r} not in cursor-proxy.service"
    assert out["wantedBy"]["cursor-proxy.service"] == ["multi-user.target"]
    pre = [l for l in lines if l.startswith("ExecStartPre=")]
    assert len(pre) == 1
    script = pathlib.Path(pre[0].split("=", 1)[1]).read_text()
    assert f"{package}/bin/cursor-proxy ca init --dir /var/lib/cursor-proxy" in script
    assert "if [ ! -e /var/lib/cursor-proxy/ca.crt ]" in script
    assert "install -m 0644 -t /run/cursor-proxy /var/lib/cursor-proxy/ca.crt /var/lib/cursor-proxy/leaf.pub" in script


def test_helper_unit_and_config(evaluated):
    _, package, out = evaluated
    lines = unit_lines(out["units"]["cursor-proxy-helper.service"])
    assert "Type=dbus" in lines and "BusName=org.cursorproxy.Helper1" in lines
    assert not any(l.startswith("User=") for l in lines), "the helper runs as root"
    exec_start = [l for l in lines if l.startswith("ExecStart=")]
    assert exec_start == [f"ExecStart={package}/libexec/cursor-proxy-helper --config {out['helperConfigFile']}"]
    config = pathlib.Path(out["helperConfigFile"]).read_text()
    settings = dict(l.split(" = ", 1) for l in config.splitlines() if l and not l.startswith("#"))
    assert settings == {"namespace": "cursor-proxy", "subnet": "10.200.1.0/24", "proxy_port": "8443", "uplink": "auto",
                        "dns": "auto", "fail_closed": "false", "allowed_group": "users"}


def test_helper_unit_has_no_private_mount_namespace(evaluated):
    """The helper's bind mount of /run/netns/NAME must be visible to everyone:
    any option that gives the unit its own mount namespace would hide it."""
    _, _, out = evaluated
    keys = {l.split("=", 1)[0] for l in unit_lines(out["units"]["cursor-proxy-helper.service"]) if "=" in l}
    mount_namespacing = {"ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices", "PrivateMounts",
                         "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups",
                         "ProtectHostname", "ProtectProc", "ProcSubset", "ReadWritePaths", "ReadOnlyPaths",
                         "InaccessiblePaths", "TemporaryFileSystem", "BindPaths", "BindReadOnlyPaths", "MountAPIVFS",
                         "PrivateUsers", "DynamicUser"}
    assert not keys & mount_namespacing


def test_launcher_template_unit(evaluated):
    _, package, out = evaluated
    lines = unit_lines(out["units"]["cursor-proxy-cursor@.service"])
    for expected in ["User=%i", "NetworkNamespacePath=/run/netns/cursor-proxy",
                     "BindReadOnlyPaths=/etc/netns/cursor-proxy/resolv.conf:/etc/resolv.conf",
                     f"ExecStart={package}/bin/cursor-proxy-launch --inside",
                     'Environment="CURSOR_PROXY_RUNTIME_DIR=/run/cursor-proxy"']:
        assert expected in lines
    assert not any(l.startswith(("AmbientCapabilities=", "CapabilityBoundingSet=CAP")) for l in lines)


def test_users_packages_and_trust(evaluated):
    _, package, out = evaluated
    assert out["users"]["cursor-proxy"] == {"isSystemUser": True, "group": "cursor-proxy", "home": "/var/lib/cursor-proxy"}
    assert out["groups"] == ["cursor-proxy"]
    assert out["systemPackages"] == [str(package)]
    assert out["certificateFiles"] == []
    assert set(out["dbusFiles"]) == {"/share/dbus-1/system.d/org.cursorproxy.Helper1.conf",
                                     "/share/dbus-1/system-services/org.cursorproxy.Helper1.service"}


def test_options_reach_the_units(workdir):
    nix = IsolatedNix(workdir / "nix")
    package = fake_package(workdir / "pkg")
    out = nix.eval_module_ok(package, """{
        port = 9000; subnet = "10.50.0.4/30"; namespace = "cp-test"; allowedGroup = "cursor-users";
        failClosed = true; dns = [ "192.0.2.53" "198.51.100.53" ]; uplink = "eth1";
        capture = { enable = false; redact = false; maxBytes = "2G"; excludeTelemetry = false; };
        extraArgs = [ "--passthrough" "*.example.test" ]; upstreamCaFile = "/etc/ssl/test-roots.pem";
        caCertificateFile = /etc/hostname;
    }""")
    proxy = unit_lines(out["units"]["cursor-proxy.service"])
    assert (f"ExecStart={package}/bin/cursor-proxy run --listen 10.50.0.5:9000 --data-dir /var/lib/cursor-proxy"
            " --upstream-ca /etc/ssl/test-roots.pem --no-capture --no-redact --capture-max-bytes 2G"
            " --passthrough '*.example.test'") in proxy
    config = pathlib.Path(out["helperConfigFile"]).read_text()
    for line in ["namespace = cp-test", "subnet = 10.50.0.4/30", "proxy_port = 9000", "fail_closed = true",
                 "dns = 192.0.2.53,198.51.100.53", "uplink = eth1", "allowed_group = cursor-users"]:
        assert line in config.splitlines()
    assert "NetworkNamespacePath=/run/netns/cp-test" in out["units"]["cursor-proxy-cursor@.service"]
    assert '<policy group="cursor-users">' in out["dbusFiles"]["/share/dbus-1/system.d/org.cursorproxy.Helper1.conf"]
    assert 'subject.isInGroup("cursor-users")' in out["polkit"]["extraConfig"]
    assert sorted(out["groups"]) == ["cursor-proxy", "cursor-users"]
    assert out["certificateFiles"] == ["/etc/hostname"]


@pytest.mark.parametrize("settings, message", [
    ('{ subnet = "10.200.1.1/24"; }', 'subnet = "10.200.1.1/24" is not an IPv4 network'),
    ('{ subnet = "10.200.1.0/31"; }', 'subnet = "10.200.1.0/31" is not an IPv4 network'),
    ('{ subnet = "300.1.1.0/24"; }', 'subnet = "300.1.1.0/24" is not an IPv4 network'),
    ('{ subnet = "cursor"; }', 'subnet = "cursor" is not an IPv4 network'),
    ('{ namespace = "a/b"; }', 'namespace = "a/b" is not a valid namespace name'),
    ('{ namespace = ".."; }', 'namespace = ".." is not a valid namespace name'),
    ('{ port = 0; }', "port must be between 1 and 65535"),
    ('{ port = 70000; }', "The option `services.cursorProxy.port' is not of type `16 bit unsigned integer"),
    ('{ port = "8443"; }', "The option `services.cursorProxy.port' is not of type"),
    ('{ dataDir = "/tmp/cursor-proxy"; }', 'dataDir = "/tmp/cursor-proxy" must be a directory under /var/lib'),
    ('{ dataDir = "/var/lib/../etc"; }', "must be a directory under /var/lib"),
    ('{ dns = [ "::1" ]; }', "dns must list IPv4 addresses"),
    ('{ capture.maxBytes = "lots"; }', "The option `services.cursorProxy.capture.maxBytes' is not of type"),
    ('{ prot = 1; }', "The option `services.cursorProxy.prot' does not exist"),
])
def test_bad_options_fail_with_a_clear_message(workdir, settings, message):
    nix = IsolatedNix(workdir / "nix")
    r = nix.eval_module(fake_package(workdir / "pkg"), settings)
    assert r.returncode != 0
    assert message in r.stderr, r.stderr


def test_package_must_be_set_without_the_flake_wrapper(workdir):
    nix = IsolatedNix(workdir / "nix")
    r = nix.run(["nix-instantiate", "--eval", "--strict", "-E", f"""
        let lib = import {ROOT}/tests/nix/stub-nixpkgs/lib.nix;
            pkgs = import {ROOT}/tests/nix/stub-nixpkgs/pkgs.nix {{ inherit lib; system = "x86_64-linux"; }};
            nixos = import {ROOT}/tests/nix/stub-nixpkgs/nixos.nix {{ inherit lib; pkgsFor = _: pkgs; }} {{
              system = "x86_64-linux";
              modules = [ {ROOT}/nixos-module {{ services.cursorProxy.enable = true; }} ]; }};
        in map toString nixos.config.environment.systemPackages"""])
    assert r.returncode != 0
    assert "services.cursorProxy.package is not set" in r.stderr


def test_disabled_module_defines_nothing(workdir):
    nix = IsolatedNix(workdir / "nix")
    out = nix.eval_module_ok(fake_package(workdir / "pkg"), "{ enable = false; }")
    assert out["units"] == {} and out["dbusFiles"] == {} and out["users"] == {} and not out["polkit"]["enable"]


# --- the rendered units, checked by systemd --------------------------------

def test_units_pass_systemd_analyze_verify(evaluated, workdir):
    require("systemd-analyze")
    nix, _, out = evaluated
    names = write_units(out["units"], pathlib.Path(nix.env["NIX_STORE_DIR"]), workdir / "units")
    for name in names:
        # verify prints some errors and still exits 0: any output is a failure.
        r = subprocess.run(["systemd-analyze", "verify", "--man=no", str(workdir / "units" / name)],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0 and r.stdout == "" and r.stderr == "", f"{name}:\n{r.stdout}{r.stderr}"


def test_systemd_analyze_verify_catches_a_bad_unit(evaluated, workdir):
    nix, _, out = evaluated
    units = {"cursor-proxy.service": out["units"]["cursor-proxy.service"].replace("Type=notify", "Typ=notify")}
    write_units(units, pathlib.Path(nix.env["NIX_STORE_DIR"]), workdir / "units")
    r = subprocess.run(["systemd-analyze", "verify", "--man=no", str(workdir / "units/cursor-proxy.service")],
                       capture_output=True, text=True, timeout=30)
    assert "Unknown key 'Typ'" in r.stderr


@pytest.mark.parametrize("unit, threshold", [("cursor-proxy.service", 2.0), ("cursor-proxy-helper.service", 5.0)])
def test_units_exposure_score(evaluated, workdir, unit, threshold):
    """The proxy is confined tightly; the helper is root with CAP_NET_ADMIN
    and CAP_SYS_ADMIN and no mount namespace (see above), so it scores higher."""
    nix, _, out = evaluated
    write_units({unit: out["units"][unit]}, pathlib.Path(nix.env["NIX_STORE_DIR"]), workdir / "units")
    r = subprocess.run(["systemd-analyze", "security", "--offline=yes", f"--threshold={int(threshold * 10)}",
                        "--no-pager", str(workdir / "units" / unit)], capture_output=True, text=True, timeout=30)
    score = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout)
    assert score, r.stdout + r.stderr
    assert float(score.group(1)) <= threshold, r.stdout
    assert r.returncode == 0, r.stdout + r.stderr


# --- the polkit rule, run by node with polkit's rule API -------------------

POLKIT_HARNESS = r"""
const rules = [];
const polkit = { Result: { YES: "yes", NO: "no" }, addRule: (f) => rules.push(f) };
eval(require("fs").readFileSync(process.argv[1], "utf8"));
const cases = JSON.parse(process.argv[2]);
const decide = (c) => {
  const action = { id: c.action, lookup: (k) => c.details[k] };
  const subject = { user: c.user, isInGroup: (g) => c.groups.includes(g) };
  for (const r of rules) { const v = r(action, subject); if (v !== undefined) return v; }
  return "not decided";
};
console.log(JSON.stringify(cases.map(decide)));
"""


def test_polkit_rule_allows_only_your_own_cursor_unit(evaluated, workdir):
    node = require("node")
    _, _, out = evaluated
    rule = workdir / "rule.js"
    rule.write_text(out["polkit"]["extraConfig"])
    manage = "org.freedesktop.systemd1.manage-units"

    def case(user, groups, unit, verb="start", action=manage):
        return {"user": user, "groups": groups, "action": action, "details": {"unit": unit, "verb": verb}}

    cases = [
        (case("alice", ["users"], "cursor-proxy-cursor@alice.service"), "yes"),
        (case("alice", ["users"], "cursor-proxy-cursor@alice.service", "stop"), "yes"),
        (case("alice", ["users"], "cursor-proxy-cursor@bob.service"), "not decided"),
        (case("alice", ["users"], "cursor-proxy-cursor@root.service"), "not decided"),
        (case("alice", ["users"], "cursor-proxy.service", "stop"), "not decided"),
        (case("alice", ["users"], "cursor-proxy-cursor@alice.service", "enable"), "not decided"),
        (case("mallory", ["wheel"], "cursor-proxy-cursor@mallory.service"), "not decided"),
        (case("alice", ["users"], "cursor-proxy-cursor@alice.service", action="org.freedesktop.login1.reboot"),
         "not decided"),
    ]
    r = subprocess.run([node, "-e", POLKIT_HARNESS, str(rule), json.dumps([c for c, _ in cases])],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == [want for _, want in cases]


# --- the generated helper config, read by the real helper ----------------

def helper_check(config_path):
    helper = BUILD / "helper" / "cursor-proxy-helper"
    assert helper.exists(), f"{helper} missing: run scripts/build first"
    return subprocess.run([str(helper), "--check", "--config", str(config_path)], capture_output=True, text=True,
                          timeout=30)


def test_real_helper_accepts_the_generated_config(workdir):
    nix = IsolatedNix(workdir / "nix")
    out = nix.eval_module_ok(fake_package(workdir / "pkg"), """{
        namespace = "cp-nix-check"; subnet = "10.231.77.0/30"; port = 9443; failClosed = true;
        dns = [ "192.0.2.53" ]; allowedGroup = "cursor-users"; }""")
    r = helper_check(out["helperConfigFile"])
    text = r.stdout + r.stderr
    # --check may report a host check (e.g. no uplink here), never a config error.
    assert "BadConfig" not in text and "unknown key" not in text, text
    # The helper expects the proxy exactly where the module's unit makes it listen.
    listen = re.search(r"--listen (\S+)", out["units"]["cursor-proxy.service"]).group(1)
    assert listen == "10.231.77.1:9443"
    assert f"proxy        expected on {listen}" in text, text
    assert "pinned at /run/netns/cp-nix-check" in text and "/etc/netns/cp-nix-check/resolv.conf" in text, text
    assert "Up/Down: root and group cursor-users" in text, text


def test_real_helper_rejects_a_mangled_generated_config(workdir):
    nix = IsolatedNix(workdir / "nix")
    out = nix.eval_module_ok(fake_package(workdir / "pkg"))
    mangled = workdir / "helper.conf"
    mangled.write_text(pathlib.Path(out["helperConfigFile"]).read_text().replace("proxy_port", "proxy_prot"))
    r = helper_check(mangled)
    assert r.returncode != 0
    assert "unknown key 'proxy_prot'" in r.stdout + r.stderr
