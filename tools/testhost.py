#!/usr/bin/env python3
"""A bare Debian 12 host with systemd for the suite, booted with systemd-nspawn (docs/testhost.md).

    python3 tools/testhost.py up|down|status|reboot|poweroff|boot|ssh [command...]

Each ``up`` boots a fresh copy of a base system cached by its inputs under
/var/cache/hymail-testhost/, on a veth pair and a /30 subnet of its own, with new SSH host keys,
a ``deploy`` account with sudo, a test CA's certificate for mail1.hungyen.gov.vn and NAT only to
the Debian mirror and nameserver this machine uses. It writes its inventory (made from
inventory/production.example), key, known_hosts and CA under build/testhost[-<name>]/.
Environment: HYMAIL_TESTHOST_NAME picks another host. Needs root. Standard library only.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import inspect
import ipaddress
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

SUITE = "bookworm"
VARIANT = "minbase"
PACKAGES = ("systemd", "systemd-sysv", "dbus", "openssh-server", "python3", "sudo", "iproute2",
            "ca-certificates")
CACHE_ROOT = Path("/var/cache/hymail-testhost")
MACHINES_ROOT = Path("/var/lib/hymail-testhost")
RUN_DIR = Path("/run/hymail-testhost")
IP_FORWARD = Path("/proc/sys/net/ipv4/ip_forward")
SUBNETS = ipaddress.ip_network("10.247.0.0/16")
HOSTNAME = "mail1.hungyen.gov.vn"
DEPLOY_USER = "deploy"
NAME_ENV = "HYMAIL_TESTHOST_NAME"
# "ve-" + name must fit an interface name (15 characters) without nspawn shortening it.
NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,11}$")
DEFAULT_CERT = f"/etc/letsencrypt/live/{HOSTNAME}/fullchain.pem"
DEFAULT_KEY = f"/etc/letsencrypt/live/{HOSTNAME}/privkey.pem"
TOOLS = {"systemd-nspawn": "systemd-container", "debootstrap": "debootstrap", "nft": "nftables",
         "openssl": "openssl", "ssh-keygen": "openssh-client", "ssh": "openssh-client",
         "nsenter": "util-linux", "ip": "iproute2"}
BOOT_TIMEOUT = 120
STOP_TIMEOUT = 60


def known_hosts_option(path: Path) -> str:
    """ssh's UserKnownHostsFile option for one file: quoted, since ssh reads a path with a
    space (a checkout in "~/my work") as two files."""
    return f'UserKnownHostsFile="{path}"'


class TestHostError(RuntimeError):
    """The test host could not be booted, reached or removed; the message says why."""

    __test__ = False  # not a pytest test class


class CommandFailed(subprocess.CalledProcessError):
    """A command inside the host failed; str() shows its output, unlike CalledProcessError."""

    def __str__(self) -> str:
        tail = "\n".join(f"{label}: {(text or '').strip()[-2000:]}"
                         for label, text in (("stdout", self.stdout), ("stderr", self.stderr)))
        return f"{super().__str__()}\n{tail}"


# --- what this machine uses: mirror, nameserver -------------------------------------------

def apt_sources(root: Path = Path("/")) -> list[tuple[str, list[str]]]:
    """(URI, suites) of every enabled APT source of this machine (deb822 and one-line)."""
    found = []
    for path in sorted((root / "etc/apt/sources.list.d").glob("*.sources")):
        for stanza in re.split(r"\n\s*\n", path.read_text()):
            fields = dict(re.findall(r"^([A-Za-z-]+):\s*(.*)$", stanza, re.M))
            if fields.get("Enabled", "yes").lower() == "no" or "deb" not in fields.get("Types", ""):
                continue
            for uri in fields.get("URIs", "").split():
                found.append((uri, fields.get("Suites", "").split()))
    lists = sorted((root / "etc/apt/sources.list.d").glob("*.list"))
    for path in [root / "etc/apt/sources.list", *lists]:
        for line in path.read_text().splitlines() if path.exists() else []:
            words = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
            if len(words) >= 3 and words[0] == "deb":
                found.append((words[1], [words[2]]))
    return found


def debian_mirror(sources: list[tuple[str, list[str]]]) -> str:
    """The mirror this machine takes SUITE from (debootstrap's mirror argument)."""
    for uri, suites in sources:
        if SUITE in suites:
            return uri.rstrip("/")
    raise TestHostError(f"no APT source of this machine offers {SUITE} (/etc/apt/sources*)")


def mirror_hosts(sources: list[tuple[str, list[str]]]) -> list[str]:
    return sorted({urllib.parse.urlsplit(uri).hostname for uri, _ in sources} - {None})


def resolve_v4(host: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, 80, socket.AF_INET, socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise TestHostError(f"cannot resolve the mirror {host}: {exc}") from exc
    return sorted({info[4][0] for info in infos})


def nameserver(resolv: Path = Path("/etc/resolv.conf")) -> str | None:
    """This machine's first IPv4 nameserver that a container can reach (not loopback)."""
    for line in resolv.read_text().splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == "nameserver":
            with contextlib.suppress(ValueError):
                address = ipaddress.ip_address(words[1])
                if address.version == 4 and not address.is_loopback:
                    return str(address)
    return None


# --- the base system, cached by its inputs --------------------------------------------------

def build_base(target: Path, mirror: str, log: Path) -> None:
    """debootstrap a bare Debian into target; its source is part of the cache key."""
    command = ["debootstrap", f"--variant={VARIANT}", f"--include={','.join(PACKAGES)}",
               SUITE, str(target), mirror]
    with log.open("w") as out:
        done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        raise TestHostError(f"debootstrap failed ({done.returncode}); see {log}:\n"
                            + tail(log))
    # Each copy gets its own host keys and machine id at boot time.
    for key in (target / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    (target / "etc/machine-id").write_text("")


def base_key(mirror: str) -> str:
    text = "\n".join([SUITE, VARIANT, ",".join(PACKAGES), mirror, inspect.getsource(build_base)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def ensure_base(mirror: str) -> Path:
    """The cached base for these inputs, built once (atomic rename, one builder at a time)."""
    base = CACHE_ROOT / f"base-{base_key(mirror)}"
    if base.is_dir():
        return base
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    with locked(CACHE_ROOT / ".build.lock"):
        if base.is_dir():
            return base
        for stale in CACHE_ROOT.glob(f".tmp-{base.name}-*"):
            remove_tree(stale)
        tmp = CACHE_ROOT / f".tmp-{base.name}-{os.getpid()}"
        say(f"building the base system {base} (about a minute, once)")
        started = time.monotonic()
        try:
            build_base(tmp, mirror, CACHE_ROOT / f"{base.name}.log")
        except BaseException:
            remove_tree(tmp)
            raise
        os.rename(tmp, base)
        say(f"base system built in {time.monotonic() - started:.0f} s")
    return base


# --- small helpers --------------------------------------------------------------------------

def say(text: str) -> None:
    print(f"testhost: {text}", file=sys.stderr, flush=True)


def tail(path: Path, lines: int = 40) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return f"({path} unreadable)"


@contextlib.contextmanager
def locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def sh(*command: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    if check and done.returncode != 0:
        raise CommandFailed(done.returncode, command, done.stdout, done.stderr)
    return done


def mounts_under(path: Path) -> list[str]:
    prefix = str(path).rstrip("/") + "/"
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].encode().decode("unicode_escape")
        if point == str(path) or point.startswith(prefix):
            points.append(point)
    return sorted(points, key=len, reverse=True)


def remove_tree(path: Path) -> None:
    """rm -rf that never crosses into a mounted file system left below path."""
    for point in mounts_under(path):
        sh("umount", "-l", point, check=False)
    if path.exists() or path.is_symlink():
        sh("rm", "-rf", "--one-file-system", "--", str(path))


def write_inside(root: Path, relative: str, content: str | bytes, mode: int = 0o644) -> Path:
    """Write a file below root without following a link out of it (e.g. /etc/resolv.conf)."""
    target = root / relative.lstrip("/")
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    if not str(parent.resolve()).startswith(str(root.resolve())):
        raise TestHostError(f"{parent} leads outside {root}")
    with contextlib.suppress(FileNotFoundError):
        target.unlink()
    data = content.encode() if isinstance(content, str) else content
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(target, mode)
    return target


# --- processes ------------------------------------------------------------------------------

def proc_stat(pid: int) -> tuple[str, str, int] | None:
    """(comm, state, ppid) of a live process, None when gone or a zombie."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = text[text.index("(") + 1:text.rindex(")")]
    state, ppid = text[text.rindex(")") + 2:].split()[:2]
    return None if state in "ZX" else (comm, state, int(ppid))


def all_pids() -> list[int]:
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]


def reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def alive(pid: int) -> bool:
    reap(pid)
    return proc_stat(pid) is not None


def nspawn_pids(name: str) -> list[int]:
    """systemd-nspawn processes of machine name (found by their command line)."""
    found = []
    for pid in all_pids():
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"systemd-nspawn") and b"-M" in argv:
            index = argv.index(b"-M")
            if index + 1 < len(argv) and argv[index + 1].decode(errors="replace") == name:
                found.append(pid)
    return found


def pids_rooted_in(root: Path) -> list[int]:
    """Processes whose root directory is root: the container's, wherever they were reparented."""
    try:
        wanted = os.stat(root)
    except OSError:
        return []
    found = []
    for pid in all_pids():  # readlink says "/" across mount namespaces: compare the inodes
        with contextlib.suppress(OSError):
            seen = os.stat(f"/proc/{pid}/root")
            if (seen.st_dev, seen.st_ino) == (wanted.st_dev, wanted.st_ino) and proc_stat(pid):
                found.append(pid)
    return found


def descendants(pids: list[int]) -> list[int]:
    parents = {}
    for pid in all_pids():
        stat = proc_stat(pid)
        if stat:
            parents[pid] = stat[2]
    tree, todo = set(pids), list(pids)
    while todo:
        current = todo.pop()
        for child, parent in parents.items():
            if parent == current and child not in tree:
                tree.add(child)
                todo.append(child)
    return sorted(tree)


def wait_gone(pids: list[int], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while any(alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


# --- addresses, forwarding, NAT -------------------------------------------------------------

def subnet_for(name: str) -> ipaddress.IPv4Network:
    """A /30 of 10.247.0.0/16 derived from the name (host side .1, container .2)."""
    index = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % (SUBNETS.num_addresses // 4)
    return ipaddress.ip_network(f"{SUBNETS.network_address + 4 * index}/30")


class ForwardingLease:
    """ip_forward on while any test host exists; the last one out restores what the first found.

    Registry: <run_dir>/hosts/<name>.json per host; <run_dir>/ip_forward.saved the value found.
    A registered host whose machine directory is gone (deleted by hand, or a /run that
    outlived a reboot of this machine) no longer counts.
    """

    def __init__(self, run_dir: Path = RUN_DIR, sysctl: Path = IP_FORWARD):
        self.run_dir, self.sysctl = run_dir, sysctl
        self.saved = run_dir / "ip_forward.saved"

    def hosts(self) -> list[str]:
        names = sorted(path.stem for path in (self.run_dir / "hosts").glob("*.json"))
        return [name for name in names
                if Path((self.record(name) or {}).get("machine_dir") or "/").exists()]

    def record(self, name: str) -> dict | None:
        with contextlib.suppress(OSError, ValueError):
            return json.loads((self.run_dir / "hosts" / f"{name}.json").read_text())
        return None

    def acquire(self, name: str, record: dict) -> None:
        with locked(self.run_dir / "lock"):
            (self.run_dir / "hosts").mkdir(parents=True, exist_ok=True)
            if not self.saved.exists():
                self.saved.write_text(self.sysctl.read_text().strip() + "\n")
            (self.run_dir / "hosts" / f"{name}.json").write_text(json.dumps(record, indent=2))
            self.sysctl.write_text("1\n")

    def release(self, name: str) -> None:
        with locked(self.run_dir / "lock"):
            with contextlib.suppress(FileNotFoundError):
                (self.run_dir / "hosts" / f"{name}.json").unlink()
            if not self.hosts() and self.saved.exists():
                self.sysctl.write_text(self.saved.read_text().strip() + "\n")
                self.saved.unlink()


def nft_table(name: str) -> str:
    return "hymail_testhost_" + name.replace("-", "_")


def nft_ruleset(table: str, address: str, mirrors: list[str], dns: str | None) -> str:
    """Masquerade and forward only the host's own traffic to the mirrors (HTTP/S) and DNS."""
    allow = [f"ip saddr {address} ip daddr {{ {', '.join(mirrors)} }} tcp dport {{ 80, 443 }}"]
    if dns:
        allow.append(f"ip saddr {address} ip daddr {dns} meta l4proto {{ tcp, udp }} th dport 53")
    lines = [f"table ip {table} {{}}", f"delete table ip {table}", f"table ip {table} {{",
             "  chain postrouting {",
             "    type nat hook postrouting priority srcnat; policy accept;",
             *(f"    {rule} masquerade" for rule in allow), "  }",
             "  chain forward {", "    type filter hook forward priority filter; policy accept;",
             *(f"    {rule} accept" for rule in allow),
             f"    ip daddr {address} ct state established,related accept",
             f"    ip saddr {address} drop", f"    ip daddr {address} drop", "  }", "}"]
    return "\n".join(lines) + "\n"


def nft_has_table(table: str) -> bool:
    return sh("nft", "list", "table", "ip", table, check=False).returncode == 0


def link_exists(interface: str) -> bool:
    return Path(f"/sys/class/net/{interface}").exists()


# --- the inventory, made from the example ----------------------------------------------------

def replace_value(text: str, key: str, value: str, after: str | None = None) -> str:
    """Set key's value in YAML text; a missing key goes after the line of `after`, same indent."""
    pattern = re.compile(rf"^(\s*){re.escape(key)}:.*$", re.M)
    if pattern.search(text):
        return pattern.sub(lambda m: f"{m.group(1)}{key}: {value}", text, count=1)
    anchor = re.compile(rf"^(\s*){re.escape(after)}:.*$", re.M) if after else None
    found = anchor.search(text) if anchor else None
    if not found:
        raise TestHostError(f"the example inventory has no {after or key}: line")
    line = f"\n{found.group(1)}{key}: {value}"
    return text[:found.end()] + line + text[found.end():]


def yaml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def example_value(example: Path, key: str, default: str) -> str:
    for path in sorted(example.rglob("*.yml")):
        found = re.search(rf"^\s*{re.escape(key)}:\s*(\S+)\s*$", path.read_text(), re.M)
        if found:
            return found.group(1).strip("'\"")
    return default


# --- the host -------------------------------------------------------------------------------

class TestHost:
    """One test host: its machine directory, veth, nft table and build output."""

    __test__ = False  # not a pytest test class

    def __init__(self, checkout_dir: str | os.PathLike, name: str | None = None):
        self.checkout = Path(checkout_dir).resolve()
        default = "hy-" + hashlib.sha256(str(self.checkout).encode()).hexdigest()[:8]
        self.name = name or os.environ.get(NAME_ENV) or default
        if not NAME_RE.match(self.name):
            raise TestHostError(f"test host name {self.name!r}: 1-12 of a-z, 0-9, '-', "
                                "starting with a letter (ve-<name> is an interface name)")
        suffix = "" if self.name == default else f"-{self.name}"
        self.out_dir = self.checkout / "build" / f"testhost{suffix}"
        self.machine_dir = MACHINES_ROOT / self.name
        self.root = self.machine_dir / "root"
        self.subnet = subnet_for(self.name)
        self.controller_address = str(self.subnet.network_address + 1)
        self.address = str(self.subnet.network_address + 2)
        self.interface = f"ve-{self.name}"
        self.table = nft_table(self.name)
        self.hostname = HOSTNAME
        self.inventory_dir = self.out_dir / "inventory"
        self.ca_file = self.out_dir / "ca.pem"
        self.key_file = self.out_dir / "id_ed25519"
        self.known_hosts = self.out_dir / "known_hosts"
        self.console_log = self.out_dir / "console.log"
        self.lease = ForwardingLease()
        self._process: subprocess.Popen | None = None
        self.pid: int | None = None

    # -- public API --

    def up(self) -> TestHost:
        """Destroy a leftover of this name, then boot a fresh copy of the base system."""
        started = time.monotonic()
        check_tools()
        self.destroy()
        sources = apt_sources()
        mirror = debian_mirror(sources)
        pins = {host: resolve_v4(host) for host in mirror_hosts(sources)}
        dns = nameserver()
        self.check_subnet_free()
        base = ensure_base(mirror)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.machine_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        sh("cp", "-a", "--reflink=auto", str(base), str(self.root))
        self.prepare_root(pins, dns)
        self.write_inventory()
        self.lease.acquire(self.name, self.record())
        mirror_addresses = sorted({a for addresses in pins.values() for a in addresses})
        sh("nft", "-f", "-", input=nft_ruleset(self.table, self.address, mirror_addresses, dns))
        self.boot()
        say(f"{self.name} up in {time.monotonic() - started:.0f} s at {self.address}")
        return self

    def down(self) -> None:
        """Remove the container, its directory, interface, nft table and build output."""
        self.destroy()
        remove_tree(self.out_dir)

    def boot(self, address_delay: float = 0) -> None:
        """Boot the existing machine directory; the container's address after address_delay s."""
        if not self.root.is_dir():
            raise TestHostError(f"{self.root} does not exist: run `up` first")
        if self.running():
            raise TestHostError(f"{self.name} is already running (pid {self.nspawn_pid()})")
        self.out_dir.mkdir(parents=True, exist_ok=True)
        with self.console_log.open("ab") as log:
            log.write(b"\n=== boot\n")
            log.flush()
            self._process = subprocess.Popen(
                ["systemd-nspawn", "-D", str(self.root), "-M", self.name, "--boot",
                 "--network-veth", "--register=no", "--keep-unit"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        self.pid = self._process.pid
        init = self.wait_for_init()
        self.add_controller_address()
        if address_delay:
            time.sleep(address_delay)
        self.add_container_address(init)
        self.wait_for_ssh()
        self.write_record(init)

    def poweroff(self) -> None:
        """A clean `systemctl poweroff` inside; returns when the container has ended."""
        pids = nspawn_pids(self.name)
        if not pids:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):  # the session may just hang up
            self.run("systemctl poweroff", check=False, timeout=30)
        if not wait_gone(pids, STOP_TIMEOUT):
            raise self.error(f"{self.name} did not power off within {STOP_TIMEOUT} s")

    def reboot(self, address_delay: float = 0) -> None:
        """Clean poweroff inside, then a new boot of the same directory."""
        self.poweroff()
        self.boot(address_delay=address_delay)

    def kill(self) -> None:
        """Hard stop: SIGKILL the nspawn process and everything in the container."""
        pids = descendants(nspawn_pids(self.name)) + pids_rooted_in(self.root)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if not wait_gone(pids, 30):
            raise TestHostError(f"{self.name}: processes {pids} survived SIGKILL")

    def link_down(self) -> None:
        sh("ip", "link", "set", self.interface, "down")

    def link_up(self) -> None:
        sh("ip", "link", "set", self.interface, "up")

    def run(self, cmd: str, check: bool = True, timeout: float = 300,
            input: str | None = None) -> subprocess.CompletedProcess:  # noqa: A002
        """A shell command as root inside the host (ssh as deploy, then sudo).

        Raises CommandFailed (a CalledProcessError) when check and the exit status is not 0
        (255: ssh itself failed), subprocess.TimeoutExpired after timeout seconds."""
        remote = f"sudo -n sh -c {shlex.quote(cmd)}"
        command = [*self.ssh_command(), remote]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                  input=input, check=False)
        except subprocess.TimeoutExpired as exc:
            raise subprocess.TimeoutExpired(cmd, timeout, exc.output, exc.stderr) from None
        if check and done.returncode != 0:
            raise CommandFailed(done.returncode, cmd, done.stdout, done.stderr)
        return done

    def ssh_command(self, known_hosts: Path | None = None) -> list[str]:
        return ["ssh", "-i", str(self.key_file), "-o", "IdentitiesOnly=yes",
                "-o", known_hosts_option(known_hosts or self.known_hosts),
                "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes",
                "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
                f"{DEPLOY_USER}@{self.address}"]

    def ansible_env(self) -> dict[str, str]:
        """Environment for ansible-playbook against this host (its inventory, pinned key);
        PATH starts with this Python's bin directory when it holds ansible-playbook (.venv)."""
        env = dict(os.environ, ANSIBLE_CONFIG=str(self.checkout / "ansible.cfg"),
                   ANSIBLE_INVENTORY=str(self.inventory_dir), ANSIBLE_HOST_KEY_CHECKING="True")
        bin_dir = Path(sys.executable).parent
        if (bin_dir / "ansible-playbook").exists():
            env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
        return env

    def running(self) -> bool:
        return bool(nspawn_pids(self.name))

    def nspawn_pid(self) -> int | None:
        pids = nspawn_pids(self.name)
        return pids[0] if pids else None

    def status(self) -> dict:
        return {**self.record(), "running": self.running(),
                "machine_dir_exists": self.machine_dir.exists(),
                "interface_exists": link_exists(self.interface),
                "nft_table_exists": nft_has_table(self.table),
                "registered": self.name in self.lease.hosts(),
                "ip_forward": IP_FORWARD.read_text().strip()}

    # -- destroying --

    def destroy(self) -> None:
        """Container, machine directory, interface, nft table, registry entry; idempotent."""
        self.stop_container()
        remove_tree(self.machine_dir)
        if link_exists(self.interface):
            sh("ip", "link", "delete", self.interface, check=False)
        if nft_has_table(self.table):
            sh("nft", "delete", "table", "ip", self.table)
        self.lease.release(self.name)

    def stop_container(self) -> None:
        """SIGTERM to nspawn (the container shuts down cleanly), SIGKILL after 20 s."""
        pids = nspawn_pids(self.name)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        if not wait_gone(pids, 20) or pids_rooted_in(self.root):
            self.kill()

    # -- preparing the copy --

    def prepare_root(self, pins: dict[str, list[str]], dns: str | None) -> None:
        root = self.root
        for key in (root / "etc/ssh").glob("ssh_host_*"):
            key.unlink()
        sh("ssh-keygen", "-A", "-f", str(root))
        write_inside(root, "etc/machine-id", uuid.uuid4().hex + "\n", 0o444)
        dbus_id = root / "var/lib/dbus/machine-id"  # the base's own id otherwise
        if dbus_id.parent.is_dir():
            with contextlib.suppress(FileNotFoundError):
                dbus_id.unlink()
            dbus_id.symlink_to("/etc/machine-id")
        write_inside(root, "etc/hostname", HOSTNAME.split(".")[0] + "\n")
        hosts = ["127.0.0.1\tlocalhost", f"{self.address}\t{HOSTNAME} {HOSTNAME.split('.')[0]}",
                 "::1\tlocalhost ip6-localhost ip6-loopback",
                 *(f"{address}\t{host}" for host, addresses in pins.items()
                   for address in addresses)]
        write_inside(root, "etc/hosts", "\n".join(hosts) + "\n")
        write_inside(root, "etc/resolv.conf", f"nameserver {dns}\n" if dns else "")
        (root / "var/log/journal").mkdir(parents=True, exist_ok=True)
        self.add_deploy_user()
        self.install_certificate()
        self.known_hosts.write_text("".join(
            f"{self.address} {' '.join(pub.read_text().split()[:2])}\n"
            for pub in sorted((root / "etc/ssh").glob("ssh_host_*_key.pub"))))

    def add_deploy_user(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.key_file.unlink()
            Path(f"{self.key_file}.pub").unlink()
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"testhost-{self.name}",
           "-f", str(self.key_file))
        os.chmod(self.key_file, 0o600)
        sh("chroot", str(self.root), "useradd", "-m", "-s", "/bin/bash", "-p", "*", DEPLOY_USER)
        write_inside(self.root, f"etc/sudoers.d/{DEPLOY_USER}",
                     f"{DEPLOY_USER} ALL=(ALL) NOPASSWD:ALL\n", 0o440)
        home = self.root / "home" / DEPLOY_USER
        keys = write_inside(self.root, f"home/{DEPLOY_USER}/.ssh/authorized_keys",
                            Path(f"{self.key_file}.pub").read_text(), 0o600)
        uid = int(sh("chroot", str(self.root), "id", "-u", DEPLOY_USER).stdout)
        gid = int(sh("chroot", str(self.root), "id", "-g", DEPLOY_USER).stdout)
        os.chmod(home / ".ssh", 0o700)
        for path in (home / ".ssh", keys):
            os.chown(path, uid, gid)

    def install_certificate(self) -> None:
        """A test CA (out_dir/ca.pem) and its certificate for HOSTNAME at the inventory's paths."""
        example = self.checkout / "inventory" / "production.example"
        cert_path = example_value(example, "mailserver_ssl_cert", DEFAULT_CERT)
        key_path = example_value(example, "mailserver_ssl_key", DEFAULT_KEY)
        ca_key = self.out_dir / "ca-key.pem"
        with tempfile.TemporaryDirectory() as work:
            tmp = Path(work)
            sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "365",
               "-keyout", str(ca_key), "-out", str(self.ca_file),
               "-subj", f"/O=hymail test host {self.name}/CN=hymail test CA {self.name}",
               "-addext", "basicConstraints=critical,CA:TRUE",
               "-addext", "keyUsage=critical,keyCertSign,cRLSign")
            os.chmod(ca_key, 0o600)
            (tmp / "ext.cnf").write_text(
                f"subjectAltName=DNS:{HOSTNAME}\nbasicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n")
            sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(tmp / "key.pem"),
               "-out", str(tmp / "req.pem"), "-subj", f"/CN={HOSTNAME}")
            sh("openssl", "x509", "-req", "-in", str(tmp / "req.pem"), "-CA", str(self.ca_file),
               "-CAkey", str(ca_key), "-set_serial", str(uuid.uuid4().int >> 2), "-days", "90",
               "-extfile", str(tmp / "ext.cnf"), "-out", str(tmp / "cert.pem"))
            write_inside(self.root, cert_path, (tmp / "cert.pem").read_text(), 0o644)
            write_inside(self.root, key_path, (tmp / "key.pem").read_text(), 0o600)

    def write_inventory(self) -> None:
        """inventory/production.example with only the address, user, key and host key changed."""
        example = self.checkout / "inventory" / "production.example"
        remove_tree(self.inventory_dir)
        shutil.copytree(example, self.inventory_dir)
        ssh_args = (f"-o {shlex.quote(known_hosts_option(self.known_hosts))} "
                    "-o StrictHostKeyChecking=yes -o IdentitiesOnly=yes")
        # (key, value, the line a key missing from the example goes after)
        host_values = [("ansible_host", self.address, None),
                       ("ansible_user", DEPLOY_USER, "ansible_host"),
                       ("ansible_ssh_private_key_file", yaml_string(str(self.key_file)),
                        "ansible_user"),
                       ("ansible_ssh_common_args", yaml_string(ssh_args),
                        "ansible_ssh_private_key_file")]
        changed = False
        for path in sorted(self.inventory_dir.rglob("*.yml")):
            text = original = path.read_text()
            if re.search(r"^\s*ansible_host:", text, re.M):
                for key, value, after in host_values:
                    text = replace_value(text, key, value, after=after)
            if re.search(r"^\s*listen_address:", text, re.M):
                text = replace_value(text, "listen_address", self.address)
            if text != original:
                path.write_text(text)
                changed = True
        if not changed:
            raise TestHostError(f"{example} names no ansible_host or listen_address")

    # -- booting --

    def wait_for_init(self) -> int:
        """The pid of the container's systemd (nspawn's child named systemd)."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if not alive(self.pid):
                raise self.error(f"systemd-nspawn of {self.name} exited at start")
            for pid in all_pids():
                stat = proc_stat(pid)
                if stat and stat[2] == self.pid and stat[0] == "systemd":
                    return pid
            time.sleep(0.1)
        raise self.error(f"no systemd started in {self.name} within 30 s")

    def add_controller_address(self) -> None:
        deadline = time.monotonic() + 10
        while not link_exists(self.interface):
            if time.monotonic() > deadline:
                raise self.error(f"interface {self.interface} did not appear")
            time.sleep(0.1)
        sh("ip", "addr", "replace", f"{self.controller_address}/30", "dev", self.interface)
        sh("ip", "link", "set", self.interface, "up")

    def add_container_address(self, init: int) -> None:
        inside = ["nsenter", "-t", str(init), "-n", "ip"]
        sh(*inside, "addr", "replace", f"{self.address}/30", "dev", "host0")
        sh(*inside, "link", "set", "host0", "up")
        sh(*inside, "route", "replace", "default", "via", self.controller_address)

    def wait_for_ssh(self) -> None:
        deadline = time.monotonic() + BOOT_TIMEOUT
        last = "no answer on port 22"
        while time.monotonic() < deadline:
            if not alive(self.pid):
                raise self.error(f"{self.name} stopped while booting")
            with contextlib.suppress(OSError, subprocess.TimeoutExpired), \
                    socket.create_connection((self.address, 22), 2):
                last = "ssh did not answer within 30 s"
                done = self.run("true", check=False, timeout=30)
                if done.returncode == 0:
                    return
                last = done.stderr.strip() or f"exit {done.returncode}"
            time.sleep(0.5)
        raise self.error(f"ssh {DEPLOY_USER}@{self.address} sudo true: not working within "
                         f"{BOOT_TIMEOUT} s ({last})")

    def error(self, text: str) -> TestHostError:
        return TestHostError(f"{text}\n--- {self.console_log} (last lines):\n"
                             + tail(self.console_log))

    # -- records --

    def check_subnet_free(self) -> None:
        for other in self.lease.hosts():
            record = self.lease.record(other) or {}
            if other != self.name and record.get("address") == self.address:
                raise TestHostError(f"test host {other} already uses {self.subnet}: pick another "
                                    f"{NAME_ENV}")
        used = sh("ip", "-o", "-4", "addr", "show").stdout
        if re.search(rf"inet {re.escape(self.controller_address)}/", used):
            raise TestHostError(f"{self.controller_address} is already on an interface of this "
                                f"machine: pick another {NAME_ENV}")

    def record(self) -> dict:
        return {"name": self.name, "address": self.address,
                "controller_address": self.controller_address, "subnet": str(self.subnet),
                "interface": self.interface, "nft_table": self.table, "hostname": HOSTNAME,
                "machine_dir": str(self.machine_dir), "out_dir": str(self.out_dir),
                "inventory": str(self.inventory_dir), "nspawn_pid": self.nspawn_pid(),
                "ssh_command": shlex.join(self.ssh_command())}

    def write_record(self, init: int) -> None:
        record = {**self.record(), "container_init_pid": init}
        (self.out_dir / "testhost.json").write_text(json.dumps(record, indent=2) + "\n")
        if self.name in self.lease.hosts():
            self.lease.acquire(self.name, record)


def check_tools() -> None:
    if os.geteuid() != 0:
        raise TestHostError("the test host needs root (systemd-nspawn, nft, ip)")
    missing = sorted({package for tool, package in TOOLS.items() if not shutil.which(tool)})
    if missing:
        raise TestHostError(f"missing tools; install: apt-get install {' '.join(missing)} "
                            "(make test-deps)")


def main(argv: list[str]) -> int:
    actions = ("up", "down", "status", "reboot", "poweroff", "boot", "ssh")
    if not argv or argv[0] not in actions:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    host = TestHost(Path(__file__).resolve().parent.parent)
    try:
        action = argv[0]
        if action == "ssh":
            os.execvp("ssh", [*host.ssh_command(), *argv[1:]])
        if action == "status":
            print(json.dumps(host.status(), indent=2))
            return 0 if host.running() else 1
        getattr(host, action)()
    except (TestHostError, subprocess.CalledProcessError) as exc:
        print(f"testhost {argv[0]}: {exc}", file=sys.stderr)
        if argv[0] == "up":
            print(f"testhost: what is left of {host.name}: `tools/testhost.py down` "
                  "(make testhost-destroy) removes it", file=sys.stderr)
        return 1
    if action in ("up", "boot", "reboot"):
        print(f"Test host {host.name} ({HOSTNAME}) at {host.address}; inventory "
              f"{host.inventory_dir}\n  {shlex.join(host.ssh_command())}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
