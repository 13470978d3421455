"""A sealed world for the trust-path tests: one network namespace holding only
loopback, in which the HTTPS upstream, `cursor-proxy run` and the client
(Chromium, node, curl) all run. Host names like api2.cursor.sh resolve to
127.0.0.1 through /etc/netns/<ns>/hosts (which `ip netns exec` mounts over
/etc/hosts); resolv.conf there names 127.0.0.1, so a stray lookup or a
background fetch cannot leave the machine: the namespace has no route out."""
import json
import os
import pathlib
import shutil
import signal
import subprocess
import uuid
from dataclasses import dataclass, field

from nix_support import require

SUPPORT = pathlib.Path(__file__).with_name("proxy_support.py")
HOSTS = ("api2.cursor.sh", "metrics.cursor.sh", "api3.cursor.sh")
# The page text every upstream answers with starts with this (see proxy_support._Handler).
GREETING = "hello from trust-upstream"


def sh(*argv, check=True, **kw):
    return subprocess.run([str(a) for a in argv], check=check, capture_output=True, text=True, **kw)


@dataclass
class CaFiles:
    dir: pathlib.Path
    cert: pathlib.Path
    pin: str   # base64 SHA-256 of the shared leaf key's SPKI, from `cursor-proxy ca show`
    flag: str  # the Chromium/Electron flag `ca show` prints


def make_ca(proxy_binary, directory, *init_args):
    r = sh(proxy_binary, "ca", "init", "--dir", directory, *init_args, check=False)
    assert r.returncode == 0, r.stderr
    r = sh(proxy_binary, "ca", "show", "--dir", directory, "--json", check=False)
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)
    return CaFiles(pathlib.Path(directory), pathlib.Path(shown["certificate"]), shown["leaf_spki_sha256"],
                   shown["chromium_flag"])


@dataclass
class World:
    netns: str
    processes: list = field(default_factory=list)

    def exec_argv(self, *argv):
        return ["ip", "netns", "exec", self.netns, *map(str, argv)]

    def serve(self, cert, key, port):
        """An HTTPS/1.1 upstream on 127.0.0.1:port inside the namespace."""
        proc = subprocess.Popen(self.exec_argv("/usr/bin/python3", SUPPORT, "serve", cert, key, "127.0.0.1", port,
                                               "trust-upstream"),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.processes.append(proc)
        line = proc.stdout.readline()
        assert line.startswith("serving on"), f"upstream did not start: {line}{proc.stdout.read()}"


def open_world():
    netns = f"cptrust-{uuid.uuid4().hex[:6]}"
    world = World(netns)
    etc = pathlib.Path("/etc/netns") / netns
    etc.mkdir(parents=True)
    (etc / "hosts").write_text("127.0.0.1 localhost\n" + "".join(f"127.0.0.1 {h}\n" for h in HOSTS))
    (etc / "resolv.conf").write_text("nameserver 127.0.0.1\n")
    sh("ip", "netns", "add", netns)
    sh("ip", "-n", netns, "link", "set", "lo", "up")
    return world


def close_world(world):
    for proc in world.processes:
        proc.kill()
        proc.wait()
    # Anything still inside (a Chromium helper that outlived its parent) was started by these tests.
    for pid in sh("ip", "netns", "pids", world.netns, check=False).stdout.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass
    sh("ip", "netns", "del", world.netns, check=False)
    shutil.rmtree(pathlib.Path("/etc/netns") / world.netns, ignore_errors=True)
    try:
        os.rmdir("/etc/netns")  # only if no one else uses it
    except OSError:
        pass
    assert world.netns not in sh("ip", "netns", "list").stdout


@dataclass
class PageLoad:
    dom: str      # what --dump-dom printed (empty when the load failed)
    log: str      # Chromium's stderr (--enable-logging=stderr)

    def loaded(self, path):
        return f"{GREETING} path={path}" in self.dom

    def failed_with(self, net_error):
        return f"Page load failed: net::{net_error}" in self.log and GREETING not in self.dom


CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--enable-logging=stderr", "--v=0")


def chromium(world, proxy_port, url, *extra, home, user_data_dir, timeout=45):
    """Headless Chromium in the world, through the CONNECT proxy, with HOME
    (and so ~/.pki/nssdb) and the profile given; --no-sandbox because we are root."""
    browser = require("chromium")
    argv = world.exec_argv(browser, *CHROMIUM_FLAGS, f"--user-data-dir={user_data_dir}",
                           f"--proxy-server=http://127.0.0.1:{proxy_port}",
                           "--host-resolver-rules=" + ", ".join(f"MAP {h} 127.0.0.1" for h in HOSTS),
                           *extra, "--dump-dom", url)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
           "XDG_CONFIG_HOME": str(home / ".config"), "XDG_CACHE_HOME": str(home / ".cache")}
    # Its own process group, so the browser's helpers are stopped with it.
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    return PageLoad(out, err)


def nss_home(base, ca_cert=None):
    """A HOME whose ~/.pki/nssdb exists; it trusts ca_cert for TLS servers ("C,,") if given."""
    certutil = require("certutil")
    db = base / ".pki" / "nssdb"
    db.mkdir(parents=True)
    sh(certutil, "-d", f"sql:{db}", "-N", "--empty-password")
    if ca_cert is not None:
        sh(certutil, "-d", f"sql:{db}", "-A", "-t", "C,,", "-n", "cursor-proxy", "-i", ca_cert)
    listed = sh(certutil, "-d", f"sql:{db}", "-L").stdout
    assert ("cursor-proxy" in listed) == (ca_cert is not None), listed
    return base


# An HTTP CONNECT tunnel made by hand (node has no proxy agent built in), then
# TLS over it with node's own verification. Prints the body, or "ERROR <code> <message>".
NODE_CLIENT = r"""
const http = require('http'), tls = require('tls');
const [proxyPort, host, port, path] = process.argv.slice(1);
const fail = (e) => { console.log(`ERROR ${e.code || ''} ${e.message}`); process.exit(1); };
const req = http.request({host: '127.0.0.1', port: Number(proxyPort), method: 'CONNECT', path: `${host}:${port}`});
req.on('error', fail);
req.on('connect', (res, socket) => {
  if (res.statusCode !== 200) fail(new Error(`CONNECT answered ${res.statusCode}`));
  const secure = tls.connect({socket, servername: host, ALPNProtocols: ['http/1.1']}, () => {
    secure.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  });
  let data = '';
  secure.on('data', (d) => { data += d; });
  secure.on('end', () => { process.stdout.write(data.split('\r\n\r\n').slice(1).join('\r\n\r\n')); process.exit(0); });
  secure.on('error', fail);
});
req.end();
"""


def node_get(world, proxy_port, host, port, path, extra_ca=None, timeout=30):
    env = {k: v for k, v in os.environ.items() if k != "NODE_EXTRA_CA_CERTS"}
    if extra_ca is not None:
        env["NODE_EXTRA_CA_CERTS"] = str(extra_ca)
    return subprocess.run(world.exec_argv(require("node"), "-e", NODE_CLIENT, proxy_port, host, port, path),
                          capture_output=True, text=True, env=env, timeout=timeout)


def curl_get(world, proxy_port, url, *extra, timeout=20):
    return subprocess.run(world.exec_argv(require("curl"), "-sS", "--max-time", timeout, "--proxy",
                                          f"http://127.0.0.1:{proxy_port}", *extra, url),
                          capture_output=True, text=True, timeout=timeout + 10)

