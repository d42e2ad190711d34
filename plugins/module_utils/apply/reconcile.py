"""The reconcile of mailbox_reconcile: read the server, plan, and apply in one batch.

The module only wires Ansible's arguments to ``reconcile``; everything here is plain Python.
"""

from __future__ import annotations

import hashlib
import json
import os

from ..backends.base import LOCK_TIMEOUT, BackendError, MailBackend
from ..backends.factory import backend_from_params
from ..common.operation_messages import render
from ..common.parallel import paused_gc
from ..declared.model import load_desired
from ..plan import privacy
from ..plan.planner import plan_changes
from ..plan.render import plan_document, render_markdown, summary_text
from ..plan.render import write_plan as write_plan_files
from ..plan.review import check_reviewed, load_reviewed
from . import after_commit
from .holds import Authority, HoldSet
from .passwords import HashSettings, issue

# What a result without ``full_result`` leaves out (plan_file holds all of it).
FULL_ONLY = ("changes", "drift", "plan", "plan_markdown")


class ReconcileError(Exception):
    """A problem the operator must fix; a stable code, then what to do (Vietnamese)."""


def reconcile(params: dict, check_mode: bool = False, diff_mode: bool = False) -> dict:
    """Plan, and unless in check mode apply; ``params`` as mailbox_reconcile documents them."""
    with paused_gc():  # 100,000 accounts are acyclic: the cyclic GC only costs time
        return _reconcile(params, check_mode, diff_mode)


def _reconcile(params: dict, check_mode: bool, diff_mode: bool) -> dict:
    backend = backend_from_params(params)
    if check_mode:  # reads only: the live generation is never half-written
        return _plan_and_apply(backend, params, check_mode, diff_mode)
    if backend.read_only:
        raise BackendError("HYR017", what="áp dụng", path=params["snapshot_file"])
    with backend.locked(params.get("lock_timeout") or LOCK_TIMEOUT):
        recovered = after_commit.recover(backend)  # what a killed apply left is finished first
        result = _plan_and_apply(backend, params, check_mode, diff_mode)
    if any(recovered[key] for key in ("removed", "notices", "bootstrap")):
        result["recovered"] = recovered
    warnings = after_commit.sessions_warnings(recovered, result.get("applied"))
    if warnings:
        result["warnings"] = warnings
    return result


def _plan_and_apply(backend: MailBackend, params: dict, check_mode: bool,
                    diff_mode: bool) -> dict:
    """Plan from the live state and, unless in check mode, apply (the caller holds the
    lock, so the state planned from is the state applied to)."""
    desired = load_desired(params["desired_file"], backend.domain, ReconcileError)
    actual, holds = backend.read_state(), load_holds(backend, params, desired)
    digest = state_digest(actual)
    check_recorded(backend, digest)
    check_not_stale(params["expected_state"], digest)
    changes = plan_changes(desired, actual, holds=holds.frozen(params["holds"]))
    del desired  # 100,000 declared mailboxes: the changes say all the apply needs
    key = privacy_key(backend, params, check_mode)
    if params["reviewed_plan"]:
        check_reviewed(changes, load_reviewed(params["reviewed_plan"], backend.domain), digest,
                       key)
    result = report(changes, backend.domain, digest, holds, key)
    if params["plan_file"]:
        write_plan(params["plan_file"], result)
    if diff_mode:
        result["diff"] = backend.diff(changes)
    if not params.get("full_result", True):  # plan_file has it: freed before the apply
        for name in FULL_ONLY:
            result.pop(name, None)
    if not check_mode and result["changed"]:
        holds.check_unchanged(params["state_dir"])
        result["applied"] = apply(backend, changes, params)
        holds.clear(params["state_dir"])
    return result


def authority(params: dict) -> Authority:
    """Who stands behind this apply, as the merge request says (none given: nobody)."""
    return Authority.of(params.get("change_author"), params.get("change_approvers"),
                        params.get("reviewers"))


def load_holds(backend: MailBackend, params: dict, desired: list) -> HoldSet:
    """The emergency holds, from the server's state directory or the snapshot."""
    return HoldSet.load(params["state_dir"], desired, authority(params),
                        recorded=backend.emergency_holds())


def check_recorded(backend: MailBackend, digest: str) -> None:
    """A snapshot's accounts must be the ones its digest was taken of (HYR018)."""
    recorded = backend.recorded_digest()
    if recorded is not None and recorded != digest:
        raise BackendError("HYR018", path=backend.describe().get("snapshot_file"),
                           why="mã băm SHA-256 của trạng thái không khớp các tài khoản trong đó")


def change_record(params: dict) -> dict:
    """What the journal records of the merge request applied: commit, author, approvers,
    merger (``approved_by``, the older field, falls back to the approvers)."""
    approvers = [name for name in params.get("change_approvers") or () if name]
    return {"commit": params["commit"],
            "approved_by": params["approved_by"] or ", ".join(approvers) or None,
            "author": params.get("change_author") or None, "approvers": approvers or None,
            "merger": params.get("change_merger") or None}


def check_not_stale(expected: str | None, digest: str) -> None:
    """Refuse to apply a reviewed plan when the live state moved since it was made."""
    if expected and expected != digest:
        raise ReconcileError(render("HYR003"))


def privacy_key(backend: MailBackend, params: dict, check_mode: bool) -> bytes | None:
    """The installation's privacy key (``<state_dir>/data/privacy.key``, made by the first
    apply: check mode writes nothing); from a snapshot, HYMAIL_PRIVACY_KEY. Without one the
    plan shows the data itself, and the reviewed-plan check compares it so."""
    data = os.path.join(params["state_dir"], "data")
    if check_mode or backend.read_only:
        return privacy.find_key(data)
    return privacy.load_key(data)


def report(changes: list, domain: str, digest: str, holds: HoldSet,
           key: bytes | None = None) -> dict:
    """The result every run returns, check mode or not (no secrets anywhere; with the
    privacy ``key``, unlisted people's title and phone are keyed digests)."""
    held = holds.describe()
    plan = plan_document(changes, domain, {"state_digest": digest, "holds": held}, key)
    return {
        "changed": any(change.applies for change in changes) or bool(holds.cleared),
        "changes": [c for c in plan["changes"] if c["action"] != "drift"],
        "summary": plan["summary"], "summary_text": summary_text(plan["summary"]),
        "drift": plan["drift"], "holds": held,
        "holds_cleared": [hold.address for hold in holds.cleared],
        "plan": plan, "plan_markdown": render_markdown(changes, domain, held),
    }


def apply(backend: MailBackend, changes: list, params: dict) -> dict:
    """Issue the new passwords (hashed on every CPU), then apply the batch."""
    addresses = sorted({c.address for c in changes if c.applies and c.needs_password})
    settings = HashSettings(params["hash_time_cost"], params["hash_memory_kib"],
                            params["hash_parallelism"])
    credentials = issue(addresses, params["password_length"], settings)
    record = change_record(params)
    return after_commit.apply_changes(
        backend, changes, credentials, record,
        lock_timeout=params.get("lock_timeout") or LOCK_TIMEOUT,
        operator=params["operator_mailbox"])


def state_digest(actual: dict) -> str:
    """A fingerprint of the live state the plan was made from (to spot a stale plan).

    The SHA-256 of ``json.dumps({address: view}, sort_keys=True)``, fed one account at a
    time: the same digest, without 100,000 views and their text in memory at once.
    """
    encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
    digest = hashlib.sha256(b"{")
    for index, (address, account) in enumerate(sorted(actual.items())):
        separator = ", " if index else ""
        digest.update(f"{separator}{encode(address)}: {encode(account.view())}".encode())
    digest.update(b"}")
    return digest.hexdigest()


def write_plan(path: str, result: dict) -> None:
    """The plan JSON at ``path`` and its Markdown beside it (``.md``), owner only."""
    write_plan_files(path, result["plan"], result["plan_markdown"])
