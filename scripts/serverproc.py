"""Starting and watching one lfm-serve process for the scripts that attack or soak it
(scripts/attack.py, scripts/soak.py). Standard library only."""
import http.client
import socket
import subprocess
import time


def free_port():
    """A TCP port on 127.0.0.1 that is free now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start(binary, model, flags, log, timeout=300):
    """Starts `binary serve --model model` on a free loopback port with `flags`, output to the
    open file `log`; returns (process, port) once /health answers 200."""
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--model", model, "--host", "127.0.0.1", "--port", str(port), *flags],
                            stdout=log, stderr=subprocess.STDOUT)
    return wait_healthy(proc, port, log, timeout)


def wait_healthy(proc, port, log, timeout=300):
    """Waits until the server process `proc` answers 200 on /health at `port`; returns
    (proc, port). Exits with a message naming `log` if it dies or does not become healthy."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}; see its log {log.name}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/health")
            if c.getresponse().status == 200:
                c.close()
                return proc, port
            c.close()
        except OSError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"server did not become healthy in {timeout} s; see its log {log.name}")


def rss(pid):
    """Resident set size of process `pid` in bytes (Linux /proc)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0
