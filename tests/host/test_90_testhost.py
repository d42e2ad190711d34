"""The test host itself (tools/testhost.py), on a second host of its own name.

SSH only with the pinned host key, the test CA's certificate for mail1.hungyen.gov.vn, traffic
only to the mirror and the nameserver, a reboot, a fresh copy at each `up`, and
`make testhost-destroy` leaving nothing behind (ip_forward as it was).
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import re
import socket
import ssl
import subprocess
import time

import pytest
import testhost as tool

pytestmark = pytest.mark.testhost

CHECKOUT = pathlib.Path(__file__).resolve().parents[2]
# Reachable from this machine (checked), never from the test host.
FORBIDDEN = [("1.1.1.1", 443), ("1.1.1.1", 80), ("8.8.8.8", 443)]
TLS_PORT = 8443


def second_name() -> str:
    """Derived from the session host's name, so parallel checkouts and helpers never clash."""
    primary = tool.TestHost(CHECKOUT).name
    return "t" + hashlib.sha256(primary.encode()).hexdigest()[:8]


@pytest.fixture(scope="module")
def host():
    lease = tool.ForwardingLease()
    before = {"ip_forward": tool.IP_FORWARD.read_text().strip(),
              "saved": lease.saved.read_text() if lease.saved.exists() else None}
    second = tool.TestHost(CHECKOUT, second_name())
    try:
        second.up()
    except tool.TestHostError as exc:
        second.destroy()
        pytest.fail(f"the second test host {second.name} did not boot: {exc}", pytrace=False)
    second.before = before
    yield second
    second.down()


def tcp_open(address: str, port: int, timeout: float = 3) -> bool:
    try:
        with socket.create_connection((address, port), timeout):
            return True
    except OSError:
        return False


def inside_connects(host, address: str, port: int) -> bool:
    done = host.run(f"timeout 3 bash -c '</dev/tcp/{address}/{port}'", check=False, timeout=30)
    return done.returncode == 0


def test_ssh_needs_the_pinned_host_key(host, tmp_path):
    assert host.run("id -un").stdout.strip() == "root"
    assert oct(host.key_file.stat().st_mode & 0o777) == "0o600"
    scanned = subprocess.run(["ssh-keyscan", "-t", "ed25519", host.address],
                             capture_output=True, text=True, timeout=30, check=True).stdout
    served = scanned.split()[1:3]
    pinned = [line.split()[1:3] for line in host.known_hosts.read_text().splitlines()]
    assert served in pinned, "the host serves a key other than the pinned one"
    assert not list((tool.ensure_base(tool.debian_mirror(tool.apt_sources())) / "etc/ssh")
                    .glob("ssh_host_*")), "the cached base holds host keys every copy would share"

    other = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    wrong = tmp_path / "known_hosts"
    key_type, key = other.with_suffix(".pub").read_text().split()[:2]
    wrong.write_text(f"{host.address} {key_type} {key}\n")
    marker = "/tmp/ran-with-a-wrong-host-key"
    refused = subprocess.run([*host.ssh_command(known_hosts=wrong), f"touch {marker}"],
                             capture_output=True, text=True, timeout=60, check=False)
    assert refused.returncode == 255, refused
    assert "Host key verification failed" in refused.stderr
    assert host.run(f"test -e {marker}", check=False).returncode == 1


def test_certificate_verifies_against_the_test_ca(host):
    example = CHECKOUT / "inventory" / "production.example"
    cert = tool.example_value(example, "mailserver_ssl_cert", tool.DEFAULT_CERT)
    key = tool.example_value(example, "mailserver_ssl_key", tool.DEFAULT_KEY)
    assert host.run(f"stat -c '%a %U' {key}").stdout.split() == ["600", "root"]
    host.run(f"systemd-run --unit=tls-probe timeout 60 openssl s_server -quiet -www "
             f"-accept {host.address}:{TLS_PORT} -cert {cert} -key {key}")
    try:
        deadline = time.monotonic() + 20
        while not tcp_open(host.address, TLS_PORT, 1):
            assert time.monotonic() < deadline, "openssl s_server did not start inside the host"
            time.sleep(0.2)
        context = ssl.create_default_context(cafile=str(host.ca_file))
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
        with socket.create_connection((host.address, TLS_PORT), 10) as raw, \
                context.wrap_socket(raw, server_hostname=host.hostname) as tls:
            names = [value for kind, value in tls.getpeercert()["subjectAltName"]
                     if kind == "DNS"]
        assert names == ["mail1.hungyen.gov.vn"]
        for hostname, ctx in (("mail2.hungyen.gov.vn", context),
                              (host.hostname, ssl.create_default_context())):
            with pytest.raises(ssl.SSLCertVerificationError), \
                    socket.create_connection((host.address, TLS_PORT), 10) as raw:
                ctx.wrap_socket(raw, server_hostname=hostname)
    finally:
        host.run("systemctl stop tls-probe", check=False)


def test_traffic_only_to_the_mirror_and_the_nameserver(host):
    host.run("apt-get update -q")
    mirror = tool.resolve_v4("deb.debian.org")[0]
    assert not inside_connects(host, mirror, 22), "the mirror's address beyond HTTP(S)"
    # the first address this machine reaches: only the NAT table can stop the host
    address, port = next((target for target in FORBIDDEN if tcp_open(*target)), FORBIDDEN[0])
    assert not inside_connects(host, address, port), f"{address}:{port} from the host"


def test_reboot_is_a_new_boot_of_the_same_directory(host):
    host.run("touch /var/tmp/survives-a-reboot")
    first = host.run("cat /proc/sys/kernel/random/boot_id").stdout.strip()
    host.reboot()
    assert host.run("cat /proc/sys/kernel/random/boot_id").stdout.strip() != first
    assert host.run("systemctl is-active ssh").stdout.strip() == "active"
    assert host.run("test -e /var/tmp/survives-a-reboot", check=False).returncode == 0
    assert first.replace("-", "") in host.run("journalctl --list-boots --no-pager").stdout


def test_up_starts_from_a_fresh_copy_with_new_host_keys(host):
    old_keys = host.known_hosts.read_text()
    host.run("touch /var/tmp/left-by-the-previous-host")
    host.kill()
    assert not host.running() and not tool.pids_rooted_in(host.root)
    host.up()
    assert host.known_hosts.read_text() != old_keys
    assert host.run("test -e /var/tmp/left-by-the-previous-host", check=False).returncode == 1
    tables = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True,
                            check=True).stdout
    assert tables.count(f"table ip {host.table}\n") == 1


def test_forwarding_is_restored_by_the_last_host_to_leave(tmp_path):
    sysctl = tmp_path / "ip_forward"
    sysctl.write_text("0\n")
    lease = tool.ForwardingLease(tmp_path / "run", sysctl)
    lease.acquire("one", {})
    lease.acquire("two", {})
    lease.acquire("one", {})  # a second `up` of the same name
    assert sysctl.read_text() == "1\n"
    lease.release("one")
    assert sysctl.read_text() == "1\n", "restored while another host still needs it"
    lease.release("two")
    assert sysctl.read_text() == "0\n"
    lease.release("two")
    assert sysctl.read_text() == "0\n" and not lease.saved.exists()
    lease.acquire("gone", {"machine_dir": str(tmp_path / "deleted-by-hand")})
    lease.acquire("three", {"machine_dir": str(tmp_path)})
    lease.release("three")
    assert sysctl.read_text() == "0\n", "a host whose machine directory is gone kept it on"


def test_testhost_destroy_leaves_nothing_behind(host):
    pid = host.nspawn_pid()
    assert pid and tool.link_exists(host.interface) and tool.nft_has_table(host.table)
    processes = {*tool.descendants([pid]), *tool.pids_rooted_in(host.root)}
    assert len(processes) > 2, processes
    env = dict(os.environ, HYMAIL_TESTHOST_NAME=host.name)
    done = subprocess.run(["make", "-s", "testhost-destroy"], cwd=CHECKOUT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert not [alive for alive in processes if tool.alive(alive)]
    assert not tool.nspawn_pids(host.name)
    assert not host.machine_dir.exists() and not host.out_dir.exists()
    assert not tool.link_exists(host.interface)
    assert not re.search(rf"\b{host.table}\b", subprocess.run(
        ["nft", "list", "tables"], capture_output=True, text=True, check=True).stdout)
    lease = tool.ForwardingLease()
    assert host.name not in lease.hosts()
    forward = tool.IP_FORWARD.read_text().strip()
    if lease.hosts():  # the session's host (or another checkout's) still needs forwarding
        assert forward == "1"
        assert lease.saved.exists()
        if host.before["saved"] is not None:
            assert lease.saved.read_text() == host.before["saved"]
    else:  # the value found by the first host up (before this one, or this one)
        assert forward == (host.before["saved"] or host.before["ip_forward"]).strip()
        assert not lease.saved.exists()
