"""Child-process helpers shared by the integration support modules: a free
loopback port, waiting for a listener, a process's memory from /proc,
stopping a process (a signal, then SIGKILL) and Process, a child whose stdout
lines are collected while its stderr goes to a file."""
import os
import pathlib
import signal
import socket
import subprocess
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, host="127.0.0.1", proc=None, timeout=10):
    """Waits until host:port accepts a connection; fails early if proc exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process exited with {proc.returncode} before listening on {port}")
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listening on {host}:{port} after {timeout}s")


def status_kib(pid, field="VmRSS"):
    """A kB field of /proc/PID/status: VmRSS (resident now), VmHWM (peak resident)."""
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} line in /proc/{pid}/status")


def stop(proc, sig=signal.SIGTERM, timeout=10):
    """Sends sig unless proc already exited, SIGKILL after timeout; returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


class ServedInThread:
    """Base for test servers built on http.server: serve(server) runs it on a
    daemon thread, close() stops and closes it."""

    def serve(self, server):
        server.daemon_threads = True
        self.server = server
        self.port = server.server_address[1]
        self.thread = threading.Thread(target=server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Process:
    """A child process whose stdout lines are collected; stderr goes to a file."""

    def __init__(self, argv, tmp_path, name, cwd=None, ready=None, env=None):
        self.stderr_path = tmp_path / f"{name}.stderr"
        self.stderr_file = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.stderr_file, cwd=cwd,
                                     env={**os.environ, **(env or {})})
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if ready is not None:
            self.wait_for(ready, timeout=20)

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.decode(errors="replace").rstrip("\n"))

    def wait_for(self, predicate, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [x for x in list(self.lines) if predicate(x)]
            if found:
                return found
            if self.proc.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.02)
        raise AssertionError(f"{self.proc.args[0]}: nothing matching within {timeout}s; "
                             f"stdout tail {self.lines[-5:]}, stderr {self.stderr()[-800:]}")

    def stderr(self):
        self.stderr_file.flush()
        return self.stderr_path.read_text(errors="replace")

    def status_kib(self, field):
        return status_kib(self.proc.pid, field)

    def close(self):
        stop(self.proc)
        self.reader.join(5)
        self.stderr_file.close()
