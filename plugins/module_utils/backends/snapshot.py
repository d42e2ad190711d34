"""A read-only backend over a snapshot of the live state (no password hash in it).

Every apply, drift and emergency run writes a snapshot of the server it ran on
(``apply/snapshot.py``): the accounts as ``read_state`` gives them, the emergency holds, the
state digest and the live generation. A merge request's plan is computed from it, on the
runner, through this backend, so it never connects to the mail host; the apply re-plans
against the live server and its stale-plan gate (HYR003) catches a snapshot that went stale.
Anything that would write, lock or read mail is refused (HYR017).
"""

from __future__ import annotations

import contextlib
import json

from ..plan.accounts import Account
from .base import LOCK_TIMEOUT, AfterCommit, BackendError, Credentials, MailBackend

SNAPSHOT_KIND = "hungyen.mail/snapshot"
SNAPSHOT_VERSION = 1
# The keys of a snapshot document, and of each account in it (Account.to_dict's).
KEYS = ("kind", "version", "domain", "taken_at", "generation", "state_digest", "accounts",
        "holds")
ACCOUNT_KEYS = frozenset(Account.__dataclass_fields__)


def document(domain: str, accounts: dict[str, Account], holds: dict[str, dict], digest: str,
             generation: str | None, taken_at: str) -> dict:
    """The snapshot: only Account's fields, which hold no secret, keyed by local part."""
    return {
        "kind": SNAPSHOT_KIND, "version": SNAPSHOT_VERSION, "domain": domain,
        "taken_at": taken_at, "generation": generation, "state_digest": digest,
        "accounts": [account.to_dict() for _address, account in sorted(accounts.items())],
        "holds": {address: dict(holds[address]) for address in sorted(holds)},
    }


def check_document(data: object, domain: str, where: str) -> dict:
    """``data`` if it is a snapshot of ``domain`` (HYR018 otherwise)."""
    if not isinstance(data, dict) or data.get("kind") != SNAPSHOT_KIND:
        raise BackendError("HYR018", path=where, why="không phải ảnh chụp trạng thái máy chủ")
    if data.get("version") != SNAPSHOT_VERSION or set(data) != set(KEYS):
        raise BackendError("HYR018", path=where, why=f"phiên bản {data.get('version')!r} "
                           f"hoặc các mục {sorted(data)} không đúng")
    if data["domain"] != domain:
        raise BackendError("HYR018", path=where, why=f"của miền {data['domain']}, không phải "
                           f"{domain}")
    accounts, holds = data["accounts"], data["holds"]
    if not isinstance(accounts, list) or not isinstance(holds, dict) or not all(
            isinstance(item, dict) and set(item) <= ACCOUNT_KEYS for item in accounts):
        raise BackendError("HYR018", path=where, why="danh sách tài khoản hoặc tạm giữ sai")
    return data


def read_document(path: str, domain: str) -> dict:
    """The snapshot document at ``path``, checked (HYR018)."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as error:
        raise BackendError("HYR018", path=path, why=f"không đọc được ({error})") from error
    return check_document(data, domain, path)


class SnapshotBackend(MailBackend):
    """The live state as a snapshot recorded it: reads only."""

    read_only = True

    def __init__(self, path: str, domain: str):
        self.path, self.domain = path, domain.lower()
        self.snapshot = read_document(path, self.domain)
        self.state_dir = self.data_dir = self.mail_dir = ""
        self._accounts = {item["address"]: Account.from_dict(item)
                          for item in self.snapshot["accounts"]}

    def describe(self) -> dict:
        return {"backend": "snapshot", "snapshot_file": self.path, "domain": self.domain,
                "taken_at": self.snapshot["taken_at"],
                "generation": self.snapshot["generation"]}

    def read_state(self) -> dict[str, Account]:
        return dict(self._accounts)

    def emergency_holds(self) -> dict[str, dict]:
        return {address: dict(item) for address, item in self.snapshot["holds"].items()}

    def recorded_digest(self) -> str:
        return self.snapshot["state_digest"]

    def hand_edits(self) -> list[dict]:
        return []

    def live_dir(self) -> str | None:
        return None

    def modes_to_fix(self, modes: dict[str, dict]) -> list[str]:
        return []

    # --- everything below would touch a server: a snapshot has none ------------------

    def apply(self, changes: list, credentials: Credentials, record: dict | None = None,
              lock_timeout: float = LOCK_TIMEOUT, *, after: AfterCommit) -> dict:
        raise self._refused("áp dụng")

    def locked(self, timeout: float = LOCK_TIMEOUT) -> contextlib.AbstractContextManager:
        raise self._refused("áp dụng")

    def recover(self, after: AfterCommit) -> dict:
        raise self._refused("hoàn tất lần áp dụng dở")

    def ensure_layout(self, modes: dict[str, dict] | None = None) -> bool:
        raise self._refused("tạo tệp dữ liệu")

    def home(self, local: str) -> str:
        raise self._refused("đọc thư")

    def fix_modes(self, modes: dict[str, dict]) -> list[str]:
        raise self._refused("sửa quyền tệp")

    def _refused(self, what: str) -> BackendError:
        return BackendError("HYR017", what=what, path=self.path)
