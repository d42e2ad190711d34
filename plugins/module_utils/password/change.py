"""A password changed by its user (issue 14; Điều 8, 9.3, 12.1), through the backend.

``change_password`` is the one privileged step behind the web page and the API: the
helper daemon (helper.py) runs it as root, and tests run it in-process. In order:

1. the address must be one of the domain's, its account active, and the current password
   must verify against the live hash. An unknown address, a locked or revoked account and
   a wrong password get the same answer (401, HYM021), after the same Argon2 work (a dummy
   hash is verified when there is no hash), so the page tells no one which addresses exist;
2. the new password must meet every rule of Điều 8 (policy.py): 400, HYM022, with each
   problem's own code. The rules run only for someone who knows the current password, so
   a refusal tells nothing of an account to a stranger;
3. the new Argon2id hash is written through the backend (``MailBackend.change_password``)
   as a new generation under the apply lock, waiting ``lock_timeout`` seconds at most: past
   that, 503 and HYM023 ("thử lại sau một phút"), nothing written. The journal gets a
   ``password_changed`` entry (staged with the generation, so a run killed after the switch
   is finished by the next apply), Dovecot's cache is flushed for the login and the second
   after the switch is waited for: on return the old password is refused, and the new one
   works. Open sessions are left alone. The issued-password record is not touched, so the
   account no longer must change its password;
4. the replaced hash goes to the account's password history
   (``<state_dir>/private/password-history.json``, root only, outside the generations, the
   backups and the snapshots), RECENT hashes an account.

A result is ``{"status", "code", "message", "problems"}`` and never holds a password or a
hash.
"""

from __future__ import annotations

import functools
import hmac
import json
import os
import sys
import warnings

from ..apply import journal
from ..apply.after_commit import PENDING, JournalAndNotices
from ..apply.passwords import SCHEME, HashSettings, hash_password
from ..apply.passwords import verify as verify_argon2
from ..backends.base import BackendError, Batch, MailBackend
from ..common.files import replace_atomically
from . import policy
from .messages import render

LOCK_TIMEOUT = 20.0  # seconds a change waits for an apply, then answers 503
PRIVATE_DIR = "private"
PRIVATE_DIR_MODE = 0o700
HISTORY_FILE = "password-history.json"
HISTORY_MODE = 0o600
ACTION = "password_changed"
DEFAULT_HASH = HashSettings()


def change_password(backend: MailBackend, address: str, current: str, new: str, *,
                    now: str, min_length: int = policy.MIN_LENGTH,
                    hash_settings: HashSettings = DEFAULT_HASH,
                    lock_timeout: float = LOCK_TIMEOUT, client: str = "") -> dict:
    """Change the password of ``address`` (full address or local part) from ``current`` to
    ``new``; ``now`` is the moment recorded (ISO 8601). See the module's docstring."""
    malformed = _malformed(address, current, new)
    if malformed:
        return answer(400, "HYM025", detail=malformed)
    local = local_part(address, backend.domain)
    live_hash = backend.password_hash(local) if local else None
    if not verify_hash(live_hash or _dummy_hash(hash_settings), current) or live_hash is None:
        return answer(401, "HYM021")
    account = backend.read_state()[local]
    context = policy.Context(min_length=min_length, current=current,
                             recent_hashes=tuple(recent_hashes(backend.state_dir, local)),
                             verify=verify_hash, local_part=local, name=account.name)
    problems = policy.check(new, context)
    if problems:
        return answer(400, "HYM022", problems=problems, count=len(problems))
    new_hash = hash_password(new, hash_settings)
    entry = {"v": journal.JOURNAL_VERSION, "at": now, "action": ACTION, "address": local,
             "agency": account.agency, "kind": account.kind, "client": client or None}
    after = PasswordChanged(backend.state_dir, backend.domain, entry)
    try:
        with backend.locked(lock_timeout):
            done = backend.change_password(local, new_hash, expected_hash=live_hash, now=now,
                                           lock_timeout=lock_timeout, after=after)
            if done["changed"]:
                remember(backend.state_dir, local, live_hash)
    except BackendError as error:
        if error.code == "HYR014":
            return answer(503, "HYM023")
        log(f"password change for {local} failed: {error}")
        return answer(503, "HYM024")
    if not done["changed"]:  # reset, locked or changed by another request meanwhile
        return answer(401, "HYM021")
    flushed = done.get("flushed") or {}
    if flushed.get("error"):
        log(f"password change for {local}: {flushed['error']}")
    return answer(200, "HYM020", address=f"{local}@{backend.domain}")


def answer(status: int, code: str, problems: list[policy.Problem] = (), **fields) -> dict:
    """The result: HTTP-like status, the code and its message, each policy problem."""
    return {"status": status, "code": code, "message": render(code, **fields),
            "problems": [problem.to_dict() for problem in problems]}


def _malformed(address: object, current: object, new: object) -> str:
    """What is wrong with the request's form (empty: nothing); no value is quoted."""
    named = {"địa chỉ thư": address, "mật khẩu hiện tại": current, "mật khẩu mới": new}
    missing = [name for name, value in named.items() if not isinstance(value, str) or not value]
    if missing:
        return "thiếu " + ", ".join(missing)
    if len(address) > 320 or any(len(value) > 4 * policy.MAX_LENGTH
                                 for value in (current, new)):
        return "quá dài"
    return ""


def local_part(address: str, domain: str) -> str | None:
    """The local part of an address of ``domain`` (a bare local part is taken as one), or
    None for another domain or a malformed address."""
    local, at, host = address.strip().lower().rpartition("@")
    if not at:
        local, host = host, domain
    if host != domain.lower() or not local or any(c in local for c in ":/\\ \t\r\n@"):
        return None
    return local


def verify_hash(hashed: str, password: str) -> bool:
    """Whether ``password`` matches a Dovecot hash: Argon2id (what the tool writes), or a
    crypt(3) hash (``{SHA512-CRYPT}``, ``{CRYPT}``) an earlier server may have left."""
    if hashed.startswith(SCHEME):
        try:
            return verify_argon2(hashed, password)
        except Exception:  # noqa: BLE001 (a damaged hash verifies nothing)
            return False
    for prefix in ("{SHA512-CRYPT}", "{SHA256-CRYPT}", "{CRYPT}", "{BLF-CRYPT}"):
        if hashed.startswith(prefix):
            return _verify_crypt(hashed[len(prefix):], password)
    return False


def _verify_crypt(hashed: str, password: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt  # Debian 12's Python 3.11 has it; 3.13 will not
    except ImportError:
        return False
    made = crypt.crypt(password, hashed)
    return made is not None and hmac.compare_digest(made, hashed)


@functools.lru_cache(maxsize=4)
def _dummy_hash(settings: HashSettings) -> str:
    """A hash of nothing anyone knows, verified when an address has none: the answer for
    an unknown address costs the same Argon2 work as a wrong password."""
    return hash_password(os.urandom(24).hex(), settings)


class PasswordChanged(JournalAndNotices):
    """The work after a password change's commit: its journal entries, staged in the
    generation's ``pending.json`` like an apply's (so the next apply finishes them if the
    change was killed after the switch); no notice. Finishing, and recovering what a
    killed apply left, is JournalAndNotices'."""

    def __init__(self, state_dir: str, domain: str, *entries: dict):
        super().__init__(state_dir, domain)
        self.entries = [{key: value for key, value in entry.items() if value is not None}
                        for entry in entries]

    def stage(self, directory: str, batch: Batch) -> None:
        lines = [json.dumps(["journal", entry], ensure_ascii=False) + "\n"
                 for entry in self.entries]
        replace_atomically(os.path.join(directory, PENDING), lines, 0o600)


# --- the password history ----------------------------------------------------------------


def history_path(state_dir: str) -> str:
    return os.path.join(state_dir, PRIVATE_DIR, HISTORY_FILE)


def _read_history(state_dir: str) -> dict[str, list[str]]:
    try:
        with open(history_path(state_dir), encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return {}
    except ValueError:
        log(f"{history_path(state_dir)} is unreadable: the history starts again")
        return {}
    accounts = data.get("accounts") if isinstance(data, dict) else None
    return {local: [h for h in hashes if isinstance(h, str)]
            for local, hashes in (accounts or {}).items() if isinstance(hashes, list)}


def recent_hashes(state_dir: str, local: str) -> list[str]:
    """The hashes of the account's earlier passwords, oldest first (at most RECENT)."""
    return _read_history(state_dir).get(local, [])[-policy.RECENT:]


def remember(state_dir: str, local: str, hashed: str) -> None:
    """Add a replaced hash to the account's history, keeping the last RECENT (root only:
    the directory 0700, the file 0600)."""
    history = _read_history(state_dir)
    kept = [h for h in history.get(local, []) if h != hashed] + [hashed]
    history[local] = kept[-policy.RECENT:]
    directory = os.path.join(state_dir, PRIVATE_DIR)
    os.makedirs(directory, PRIVATE_DIR_MODE, exist_ok=True)
    os.chmod(directory, PRIVATE_DIR_MODE)
    text = json.dumps({"version": 1, "accounts": dict(sorted(history.items()))},
                      ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    replace_atomically(history_path(state_dir), text, HISTORY_MODE)


def log(text: str) -> None:
    """One line on stderr (the helper's journal); callers never pass a secret."""
    sys.stderr.write(f"hymail-password: {text}\n")
    sys.stderr.flush()
