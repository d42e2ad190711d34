"""Send the outbox's notices by SMTP through the province's own Postfix (Điều 6, 7.2.b, 12.1).

Each notice is rendered with the Jinja2 templates of ``playbooks/templates/notify/``
(``subject.txt.j2``, ``body.txt.j2``) into a UTF-8 plain-text message from the operator
mailbox to the agency mailbox. The words of the notice come from the glossary (labels,
citations in full) and the inventory (the operator and the regulation, ``SmtpSettings``):
nothing here names either. A notice leaves the outbox only once the SMTP server has
accepted it; one that fails stays for the next run. Messages start with a stable code
(HYN0xx) and say in Vietnamese what to do.
"""

from __future__ import annotations

import contextlib
import datetime
import email.utils
import os
import smtplib
from dataclasses import dataclass
from email.header import Header
from email.message import Message
from email.mime.text import MIMEText

from ..backends.generations import LOCK_FILE
from ..common.clock import VIETNAM, local_day, vietnam_time
from ..common.files import held_lock
from ..common.glossary import Operator, Regulation, capitalised, cite, day, label, with_citation
from ..common.lifecycle import LABELS, LOCK_REASON_LABELS
from ..declared.model import Request
from . import outbox
from .messages import render as coded

SUBJECT_TEMPLATE = "subject.txt.j2"
BODY_TEMPLATE = "body.txt.j2"
KIND_LABELS = {"agency": label("agency_mailbox"), "division": label("division_mailbox"),
               "person": label("personal_mailbox")}
# The heading of each kind of new password (Điều 7.2, 8, 9.2, 12.1): what the password is.
# A reinstated mailbox is not "khôi phục" (the glossary keeps that word for Điều 7.2).
PASSWORD_HEADINGS = {action: label(concept).upper() for action, concept in (
    ("create", "password_initial"), ("reset_password", "password_reset"),
    ("unlock", "password_unlock"), ("reinstate", "password_reinstate"))}
PERSONAL_HEADING = f"CỦA {label('personal_mailbox').upper()}"
UNIT_HEADING = f"CỦA {label('agency_mailbox').upper()} VÀ {label('division_mailbox').upper()}"
# The gloss a notice gives "bị chiếm dụng" at its first mention (glossary: compromised).
REASON_GLOSS = {"compromised": "tức là người khác đã chiếm quyền sử dụng hộp thư"}
EMERGENCY = {"lock": "emergency_lock", "revoke": "emergency_revoke"}
EMERGENCY_ARTICLE = "10.1.g"


class NotifyError(Exception):
    """Nothing was sent: the operator must fix something first (code, then what to do)."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and from whom the notices are sent; the operator and the regulation as the
    inventory names them (``operator``, ``regulation`` in group_vars)."""

    host: str
    port: int
    sender: str  # full address of the operator mailbox
    domain: str
    timeout: float = 30.0
    starttls: bool = False
    operator: Operator = Operator.from_vars(None)
    regulation: Regulation = Regulation.from_vars(None)
    # Where an official changes the password issued (the inventory's
    # mailserver_password_page); "": the notice names no address.
    password_page: str = ""


# ---------------------------------------------------------------- rendering (pure)


def load_templates(directory: str) -> dict[str, str]:
    """Every ``*.j2`` file of a directory, by name (what the playbook passes the module)."""
    names = sorted(n for n in os.listdir(directory) if n.endswith(".j2"))
    texts = {}
    for name in names:
        with open(os.path.join(directory, name), encoding="utf-8") as handle:
            texts[name] = handle.read()
    return texts


def environment(templates: dict[str, str]):
    """A sandboxed Jinja2 environment over the templates (plain text: no autoescape)."""
    try:
        import jinja2
        from jinja2.sandbox import SandboxedEnvironment
    except ImportError as error:
        raise NotifyError(coded("HYN005")) from error
    missing = [n for n in (SUBJECT_TEMPLATE, BODY_TEMPLATE) if n not in templates]
    if missing:
        raise NotifyError(coded("HYN004", detail=f"thiếu mẫu thư {', '.join(missing)}"))
    return SandboxedEnvironment(
        loader=jinja2.DictLoader(templates), undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, autoescape=False)


def context(notice: dict, operator: Operator | None = None,
            regulation: Regulation | None = None, password_page: str = "") -> dict:
    """What the templates see: the notice, with labels, citations and dates made readable,
    and the operator, the regulation and the password page as the inventory names them."""
    operator = operator or Operator.from_vars(None)
    regulation = regulation or Regulation.from_vars(None)
    glossed: set[str] = set()  # a reason is glossed at its first mention only
    return {
        **notice, "date": day(local_day(notice["created"])),
        "when": vietnam_time(notice["created"]),
        "time": vietnam_time(notice["created"]).partition(" ")[0],
        "domain": notice["to"].rpartition("@")[2], "reference": reference(notice["id"]),
        "greeting": greeting(notice, operator), "operator_name": operator.name,
        "operator_short_name": operator.short_name, "technical_unit": operator.technical_unit,
        "regulation": regulation.reference(), "cite": cite, "password_page": password_page,
        "changes": [_change_view(item, glossed) for item in notice.get("changes", [])],
        "credentials": [_credential_view(item) for item in notice.get("credentials", [])],
        "unit_credentials": [_credential_view(i) for i in notice.get("unit_credentials", [])],
        "password_groups": password_groups(notice.get("credentials", []), PERSONAL_HEADING),
        "unit_password_groups": password_groups(notice.get("unit_credentials", []),
                                                UNIT_HEADING),
    }


def greeting(notice: dict, operator: Operator) -> str:
    """Who the notice is addressed to: the operator's copy to its technical unit, an agency
    by its full name, else the agency that uses the mailbox."""
    if notice.get("operator"):
        return operator.technical_unit
    return notice.get("agency_name") or f"Cơ quan sử dụng hộp thư {notice['to']}"


def reference(notice_id: str) -> str:
    """The notice's reference people quote: its id without the UTC stamp (a suffix of the
    id, so the operator finds the notice by it)."""
    stamp, dot, rest = str(notice_id).partition(".")
    return rest if dot and stamp[:1].isdigit() else str(notice_id)


def action_label(action: str, measure: dict | None = None) -> str:
    """``Cấp mới (điểm a khoản 2 Điều 6)``: the lifecycle's label (the glossary's words, the
    full citation); an emergency measure's own (điểm g khoản 1 Điều 10)."""
    if measure and measure.get("action") in EMERGENCY:
        return with_citation(capitalised(label(EMERGENCY[measure["action"]])),
                             EMERGENCY_ARTICLE)
    return LABELS.get(action, action)


def reason_label(reason: str | None, glossed: set[str] | None = None) -> str:
    """``bị chiếm dụng (điểm b khoản 1 Điều 7)``, glossed at its first mention."""
    text = LOCK_REASON_LABELS.get(reason or "", reason or "")
    if reason in REASON_GLOSS and glossed is not None and reason not in glossed:
        glossed.add(reason)
        text += f", {REASON_GLOSS[reason]}"
    return text


def _change_view(item: dict, glossed: set[str]) -> dict:
    measure = item.get("measure")
    return {**item, "measure": measure, "label": action_label(item["action"], measure),
            "kind_label": KIND_LABELS.get(item.get("kind"), "hộp thư"),
            "request_label": letter(item.get("request")),
            "basis_label": basis_label(item.get("basis")),
            "from_agency_name": item.get("from_agency_name") or "",
            "measure_reason": (measure or {}).get("reason") or "",
            "lock_reason_label": reason_label(item.get("lock_reason"), glossed),
            "password_heading": _heading(item["action"], item.get("kind"))}


def _credential_view(item: dict) -> dict:
    return {**item, "label": action_label(item["action"]),
            "kind_label": KIND_LABELS.get(item.get("kind"), "hộp thư"),
            "request_label": letter(item.get("request")),
            "basis_label": basis_label(item.get("basis")),
            "heading": _heading(item["action"], item.get("kind"))}


def _heading(action: str, kind: str | None) -> str:
    suffix = UNIT_HEADING if kind in ("agency", "division") else PERSONAL_HEADING
    return f"{PASSWORD_HEADINGS.get(action, 'MẬT KHẨU MỚI')} {suffix}"


def password_groups(items: list[dict], suffix: str) -> list[dict]:
    """The passwords under one heading per kind (ban đầu, được cấp lại, khởi tạo lại…), in
    the order of ``PASSWORD_HEADINGS``."""
    order = list(PASSWORD_HEADINGS)
    groups: dict[str, list[dict]] = {}
    for item in sorted(items, key=lambda i: order.index(i["action"]) if i["action"] in order
                       else len(order)):
        heading = f"{PASSWORD_HEADINGS.get(item['action'], 'MẬT KHẨU MỚI')} {suffix}"
        groups.setdefault(heading, []).append(_credential_view(item))
    return [{"heading": heading, "passwords": found} for heading, found in groups.items()]


def letter(request: dict | None) -> str:
    """``số 12/UBND-VP ngày 01/03/2024``: a letter as Vietnamese letters cite it; "" when
    there is none (the declared model words it)."""
    return Request.from_dict(request).label() if request else ""


def basis_label(basis: dict | None) -> str:
    """``Quyết định số 08/2017/QĐ-UBND ngày 02/06/2017 của Ủy ban nhân dân tỉnh Hưng Yên``."""
    return Request.from_dict(basis).label() if basis else ""


def _header_date(stamp: str) -> str:
    """The ``Date`` header (RFC 5322, for mail clients, not people) in Vietnam's offset."""
    moment = datetime.datetime.fromisoformat(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return email.utils.format_datetime(moment.astimezone(VIETNAM))


def render(notice: dict, env, settings: SmtpSettings) -> Message:
    """The MIME message of one notice: UTF-8 text, Vietnamese headers as RFC 2047 words.

    Built with the compat32 API: the default policy's folding drops the space between two
    encoded words of a long Vietnamese subject (CPython's header folder).
    """
    view = context(notice, settings.operator, settings.regulation, settings.password_page)
    subject = " ".join(env.get_template(SUBJECT_TEMPLATE).render(view).split())
    message = MIMEText(env.get_template(BODY_TEMPLATE).render(view), "plain", "utf-8")
    message["From"] = _address(settings.operator.name, settings.sender)
    message["To"] = _address(view["greeting"], notice["to"])
    message["Subject"] = Header(subject, "utf-8")
    message["Content-Language"] = "vi"
    message["Date"] = _header_date(notice["created"])
    message["Message-ID"] = f"<{notice['id']}@{settings.domain}>"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    message["X-Hymail-Notice"] = notice["id"]
    return message


def _address(name: str, address: str) -> str:
    """One encoded word for the name: parsers differ on the space between two of them."""
    return email.utils.formataddr((name, address), charset="utf-8") if name else address


def is_notice(item: dict) -> bool:
    """A notice this version can send (old or torn lines are kept, never sent)."""
    return (isinstance(item, dict) and item.get("version") == 1
            and all(item.get(key) for key in ("id", "to", "created")))


# ---------------------------------------------------------------- sending (I/O)


def send_pending(state_dir: str, templates: dict[str, str], settings: SmtpSettings,
                 check_mode: bool = False, only: list[str] | None = None,
                 lock_timeout: float = 120) -> dict:
    """Send every pending notice (of ``only`` recipients, when given); keep failures."""
    env = environment(templates)
    with _apply_lock(state_dir, lock_timeout):
        pending = _select(outbox.read_outbox(outbox.outbox_dir(state_dir)), only)
        messages, outcome = _render_all(pending, env, settings)
        if not check_mode:
            outcome.update(deliver(messages, settings))
            for path, notices in pending.items():
                kept = [n for n in notices if outcome.get(_key(n)) is not None]
                if len(kept) < len(notices):  # untouched files keep their stamps
                    outbox.keep_only(path, kept)
    return summarize(pending, outcome, check_mode)


def _select(pending: dict[str, list[dict]], only: list[str] | None) -> dict[str, list[dict]]:
    if not only:
        return pending
    wanted = {outbox.safe_name(name) + ".jsonl" for name in only}
    return {path: items for path, items in pending.items() if os.path.basename(path) in wanted}


def _render_all(pending: dict, env, settings: SmtpSettings) -> tuple[list, dict]:
    """Messages to send, and the outcome of notices that cannot be (HYN006)."""
    from jinja2 import TemplateError

    messages, outcome = [], {}
    for notices in pending.values():
        for notice in notices:
            if not is_notice(notice):
                outcome[_key(notice)] = coded("HYN006")
                continue
            try:
                messages.append((_key(notice), notice["to"], render(notice, env, settings)))
            except TemplateError as error:
                detail = f"{_where(error)}{type(error).__name__}: {error}"
                raise NotifyError(coded("HYN004", detail=detail)) from error
    return messages, outcome


def _where(error) -> str:
    """``body.txt.j2:12: `` for a syntax error (Jinja2 knows the line then)."""
    name, line = getattr(error, "name", None), getattr(error, "lineno", None)
    return f"{name}:{line}: " if name and line else ""


def _key(notice: dict) -> str:
    return notice["id"] if is_notice(notice) else f"line-{id(notice)}"


def deliver(messages: list[tuple[str, str, Message]], settings: SmtpSettings) -> dict:
    """Send each message; ``key -> None`` when accepted, else the error (HYN0xx)."""
    outcome, session = {}, _Session(settings)
    try:
        for key, recipient, message in messages:
            outcome[key] = session.send(recipient, message)
    except (OSError, smtplib.SMTPException) as error:  # the server cannot be reached
        reason = coded("HYN001", host=settings.host, port=settings.port, error=str(error))
        for key, _recipient, _message in messages:
            outcome.setdefault(key, reason)
    finally:
        session.close()
    return outcome


class _Session:
    """One SMTP session, renewed after a refusal: Postfix drops a client after
    ``smtpd_hard_error_limit`` errors, and a batch may hold many refused recipients."""

    def __init__(self, settings: SmtpSettings):
        self.settings, self.smtp = settings, None

    def send(self, recipient: str, message: Message, retry: bool = True) -> str | None:
        if self.smtp is None:
            self.smtp = _connect(self.settings)
        try:
            error = _send_one(self.smtp, recipient, message, self.settings)
        except smtplib.SMTPServerDisconnected:
            self.close()
            if not retry:
                raise
            return self.send(recipient, message, retry=False)
        if error is not None:
            self.close()
        return error

    def close(self) -> None:
        if self.smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.smtp.quit()
            self.smtp.close()
            self.smtp = None


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        smtp.ehlo(settings.domain)
        if settings.starttls:
            smtp.starttls()
            smtp.ehlo(settings.domain)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _send_one(smtp: smtplib.SMTP, recipient: str, message: Message,
              settings: SmtpSettings) -> str | None:
    try:
        smtp.send_message(message, from_addr=settings.sender, to_addrs=[recipient])
    except smtplib.SMTPRecipientsRefused as error:
        code, text = error.recipients.get(recipient, (0, b""))
        return coded("HYN003", recipient=recipient, smtp_code=code, text=_text(text))
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
        return coded("HYN002", smtp_code=error.smtp_code, text=_text(error.smtp_error))
    return None


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


@contextlib.contextmanager
def _apply_lock(state_dir: str, timeout: float):
    """The reconcile's lock: an apply appending to the outbox must not race a rewrite."""
    path = os.path.join(state_dir, "data", LOCK_FILE)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with held_lock(path, lambda waited: NotifyError(coded("HYN007")), timeout, poll=0.5):
        yield


def summarize(pending: dict[str, list[dict]], outcome: dict, check_mode: bool) -> dict:
    """Counts and one line per notice (recipient, id, status, error); never a password."""
    rows = [_row(notice, outcome, check_mode) for items in pending.values() for notice in items]
    sent = sum(row["status"] == "sent" for row in rows)
    kept = sum(row["status"] == "kept" for row in rows)
    would = sum(row["status"] == "would_send" for row in rows)
    return {"changed": sent > 0 or would > 0, "sent": sent, "kept": kept,
            "would_send": would, "notices": rows,
            "errors": sorted({row["error"] for row in rows if row.get("error")}),
            "summary": {"sent": sent, "kept": kept, "would_send": would}}


def _row(notice: dict, outcome: dict, check_mode: bool) -> dict:
    key = _key(notice)
    row = {"id": notice.get("id"), "to": notice.get("to")}
    error = outcome.get(key)
    if error is not None:
        return row | {"status": "kept", "error": error}
    return row | {"status": "would_send" if check_mode else "sent"}
