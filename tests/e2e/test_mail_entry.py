"""Mail enters only through Postfix (issue 21 item 11, review M1 and L5).

Dovecot's only LMTP listener is a unix socket in Postfix's queue directory, owned by
postfix with mode 0600: no TCP listener, no socket in Dovecot's base_dir. A local user
(``nobody``) can neither talk LMTP nor submit through ``sendmail``; loopback may not relay to
another domain without authentication; mail through SMTP still arrives.
"""

from __future__ import annotations

import pathlib
import pwd
import re
import shutil
import smtplib
import socket
import stat
import subprocess
import sys

import pytest
from e2e_support import DOMAIN, PORTS, mailbox, tcp_listening_ports

pytestmark = pytest.mark.server
# As a local user with no rights: uid and gid of nobody, no supplementary groups.
AS_NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
             "--inh-caps=-all"]


def lmtp_socket(server) -> pathlib.Path:
    return server.state_dir / "spool" / "private" / "dovecot-lmtp"


def dovecot_config(server) -> str:
    """Dovecot's whole effective configuration (defaults included)."""
    conf = server.state_dir / "etc" / "dovecot" / "dovecot.conf"
    return subprocess.run(["doveconf", "-c", str(conf)], capture_output=True, text=True,
                          check=True).stdout


def lmtp_listeners(config: str) -> list[str]:
    """The listener lines of ``service lmtp`` (``unix_listener PATH`` / ``inet_listener``)."""
    block = re.search(r"^service lmtp \{\n(.*?)^\}", config, re.S | re.M)
    assert block, "no service lmtp in the Dovecot configuration"
    return re.findall(r"^  ((?:unix|inet|fifo)_listener\b.*?) \{", block.group(1), re.M)


def as_nobody(*command: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(AS_NOBODY + list(command), input=stdin, capture_output=True,
                          text=True, timeout=60, check=False)


def nobody_connects(path: pathlib.Path) -> int:
    """What nobody gets connecting to a unix socket: 0 connected, 13 refused (EACCES)."""
    probe = ("import socket, sys\n"
             "s = socket.socket(socket.AF_UNIX)\n"
             "try:\n    s.connect(sys.argv[1])\nexcept PermissionError:\n    sys.exit(13)\n")
    result = as_nobody(sys.executable, "-c", probe, str(path))
    assert result.returncode in (0, 13), (result.returncode, result.stderr)
    return result.returncode


def test_dovecot_listens_on_tcp_for_imap_only(server):
    pid = int((server.state_dir / "run" / "dovecot" / "master.pid").read_text().strip())
    # and its metrics endpoint (the stats service, issue 17), which serves no mail
    assert tcp_listening_ports(pid) == {PORTS["imap_port"], PORTS["imaps_port"],
                                        PORTS["dovecot_metrics_port"]}


def test_the_only_lmtp_listener_is_postfix_s_private_socket(server):
    assert lmtp_listeners(dovecot_config(server)) == [f"unix_listener {lmtp_socket(server)}"]
    info = lmtp_socket(server).stat()
    assert stat.S_ISSOCK(info.st_mode)
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert pwd.getpwuid(info.st_uid).pw_name == "postfix"
    assert not (server.state_dir / "run" / "dovecot" / "lmtp").exists()
    main_cf = server.state_dir / "etc" / "postfix"
    transport = subprocess.run(["postconf", "-c", str(main_cf), "-h", "virtual_transport"],
                               capture_output=True, text=True, check=True).stdout.strip()
    assert transport == "lmtp:unix:private/dovecot-lmtp"


def test_the_lmtp_socket_speaks_lmtp_to_root_only(server):
    # Root (Postfix's lmtp client runs as postfix) is greeted and LHLO is accepted.
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(30)
        sock.connect(str(lmtp_socket(server)))
        reader = sock.makefile("rb")
        assert reader.readline().startswith(b"220 ")
        sock.sendall(b"LHLO e2e.example.org\r\n")
        assert reader.readline().startswith(b"250")
        sock.sendall(b"QUIT\r\n")
    assert nobody_connects(lmtp_socket(server)) == 13


def test_account_lookups_are_the_mail_processes_only(server):
    # auth-userdb answers "does this address exist, where is its mail": Dovecot's default
    # socket is 0666. IMAP (vmail: a delegate's shared folders), LMTP and doveadm (root).
    socket_path = server.state_dir / "run" / "dovecot" / "auth-userdb"
    info = socket_path.stat()
    assert stat.S_ISSOCK(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600
    assert pwd.getpwuid(info.st_uid).pw_name == "vmail"
    assert nobody_connects(socket_path) == 13


def submit_as_nobody(server, local: str, subject: str,
                     authorized_dir: pathlib.Path | None = None) -> subprocess.CompletedProcess:
    """``sendmail -C <the instance>`` as nobody. With ``authorized_dir``, in a mount namespace
    of its own where /etc/postfix is a copy whose main.cf lists the instance in
    alternate_config_directories: the host a non-root user may point sendmail at it."""
    config = server.state_dir / "etc" / "postfix"
    message = f"From: nobody\nTo: {local}@{DOMAIN}\nSubject: {subject}\n\nx\n"
    command = AS_NOBODY + ["/usr/sbin/sendmail", "-C", str(config), "-f",
                           f"sotttt@{DOMAIN}", f"{local}@{DOMAIN}"]
    if authorized_dir is not None:
        shutil.copytree("/etc/postfix", authorized_dir, symlinks=True)
        (authorized_dir / "main.cf").write_text(
            f"compatibility_level = 3.6\nalternate_config_directories = {config}\n")
        command = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                   'mount --bind "$0" /etc/postfix && exec "$@"', str(authorized_dir),
                   *command]
    return subprocess.run(command, input=message, capture_output=True, text=True,
                          timeout=60, check=False)


def has_subject(server, local: str, subject: str) -> bool:
    return any(f"Subject: {subject}" in path.read_text(errors="replace").splitlines()
               for sub in ("new", "cur") for path in (server.maildir(local) / sub).glob("*"))


def test_nobody_cannot_submit_through_sendmail(server, province, tmp_path):
    province.declare(mailbox("tsendmail", "tentry"))
    province.run()
    plain = submit_as_nobody(server, "tsendmail", "qua sendmail")
    assert plain.returncode != 0, plain.stderr
    # Where the default configuration lets users reach the instance, authorized_submit_users
    # still refuses them.
    authorized = submit_as_nobody(server, "tsendmail", "qua sendmail duoc phep",
                                  tmp_path / "etc-postfix")
    assert authorized.returncode != 0, authorized.stderr
    assert "not allowed to submit mail" in authorized.stderr, authorized.stderr
    # Root still may (Postfix's own tools, an operator), and what it submits arrives.
    root = subprocess.run(["/usr/sbin/sendmail", "-C", str(server.state_dir / "etc" / "postfix"),
                           "-f", f"sotttt@{DOMAIN}", f"tsendmail@{DOMAIN}"],
                          input=f"To: tsendmail@{DOMAIN}\nSubject: qua sendmail cua root\n\nx\n",
                          capture_output=True, text=True, timeout=60, check=False)
    assert root.returncode == 0, root.stderr
    server.delivered("tsendmail", "qua sendmail cua root", timeout=60)
    assert not has_subject(server, "tsendmail", "qua sendmail")
    assert not has_subject(server, "tsendmail", "qua sendmail duoc phep")


def test_mail_through_smtp_arrives(server, province):
    province.declare(mailbox("tsmtp", "tentry"))
    province.run()
    server.send("tsmtp", "qua smtp")
    server.delivered("tsmtp", "qua smtp")


@pytest.mark.parametrize("recipient", ["victim@gmail.com", f"x@sub.{DOMAIN}"])
def test_the_internet_cannot_relay_without_authentication(server, recipient):
    """127.0.0.1 is the mail host itself (mynetworks, inventory/local); every other loopback
    address plays the Internet."""
    with smtplib.SMTP("127.0.0.1", PORTS["smtp_port"], timeout=30,
                      source_address=("127.0.0.2", 0)) as smtp:
        smtp.ehlo("e2e.example.org")
        smtp.mail("someone@example.org")  # not the province's: that is refused anyway
        code, text = smtp.rcpt(recipient)
    assert code == 554 and b"Relay access denied" in text, (code, text)
