"""The report as files: Markdown and CSV per agency and for the province, and one HTML page
with a chart of mailboxes per district (inline SVG, no external assets). Pure."""

from __future__ import annotations

import html

from ..common.clock import local_day, vietnam_time
from ..common.glossary import VALUE_GLOSS, Operator, capitalised, cite, day, label, number
from ..common.lifecycle import LABELS, LOCK_REASON_LABELS, STATUS_LABELS, STATUSES
from .directory import KIND_LABELS
from .spreadsheet import csv_bytes

AGENCY_KINDS = {kind: capitalised(gloss) for kind, gloss in VALUE_GLOSS["kind"].items()}
AGENCY_DIR = "coquan"
# The province's pages list the latest changes only; thaydoi.csv holds them all.
PROVINCE_CHANGE_ROWS = 50
TITLE = "Báo cáo tình hình quản lý, sử dụng hệ thống thư điện tử công vụ"
REPORT_BASIS = cite("10.1.e", "11.5")
# Beside each ISO date column of a CSV file, the same date as Vietnamese read it.
DAY_COLUMN = "Ngày (ngày/tháng/năm)"
NAME_COLUMN = "Tên"
COMMIT_COLUMN = "Phiên bản (commit)"
# The use of mailboxes (Điều 10.1.e, 12.2.a).
LAST_USED_COLUMN = "Dùng gần nhất"
UNREAD_COLUMN = f"{capitalised(label('agency_mailbox'))} chưa được đọc"
UNUSED_COLUMN = f"{capitalised(label('personal_mailbox'))} chưa dùng"
NEVER_USED = "chưa dùng lần nào"
NO_USAGE = ("Máy chủ chưa ghi số liệu sử dụng hộp thư (chạy lại make mailserver để Dovecot "
            "ghi lần đăng nhập gần nhất): báo cáo chưa liệt kê hộp thư chưa được đọc, chưa dùng.")


def unread_title() -> str:
    return (f"{capitalised(label('agency_mailbox'))} chưa được đọc trong 24 giờ qua "
            f"({cite('12.2.a')})")


def unused_title(days: int) -> str:
    return (f"{capitalised(label('personal_mailbox'))} chưa dùng lần nào sau {number(days)} "
            f"ngày kể từ khi {label('create')} ({cite('10.1.e')})")


def last_used_text(row: dict) -> str:
    """``10:00 ngày 30/11/2026 (1 ngày trước)``, or that it was never used."""
    if not row.get("last_used"):
        return NEVER_USED
    return f"{vietnam_time(row['last_used'])} ({number(row['last_used_days'])} ngày trước)"


def render_report(report: dict, operator: dict | None = None) -> dict[str, bytes]:
    """Every file of the report, by path relative to the report directory; ``operator``:
    the inventory's ``operator`` (who makes the report)."""
    names = agency_names(report)
    files = {"tinh.md": markdown(report, None, operator).encode("utf-8"),
             "index.html": html_page(report, operator).encode("utf-8"),
             "coquan.csv": agencies_csv(report),
             "hopthu.csv": mailboxes_csv(report["mailboxes"], names),
             "thaydoi.csv": changes_csv(report["province"]["changes"]["entries"],
                                        report["domain"], names)}
    for agency in report["agencies"]:
        if agency["id"]:
            rows = [row for row in report["mailboxes"] if row["agency"] == agency["id"]]
            files[f"{AGENCY_DIR}/{agency['id']}.md"] = markdown(
                report, agency, operator).encode("utf-8")
            files[f"{AGENCY_DIR}/{agency['id']}.csv"] = mailboxes_csv(rows, names)
    return dict(sorted(files.items()))


def agency_names(report: dict) -> dict[str, str]:
    """Agency id -> its name, as the report lists it."""
    return {agency["id"]: agency["name"] for agency in report["agencies"]}


def agency_text(agency_id: str | None, names: dict[str, str]) -> str:
    """``Ủy ban nhân dân huyện Tiên Lữ (tienlu)``: the name people read, the id after it."""
    if agency_id is None:
        return ""
    name = names.get(agency_id) or agency_id or "(không rõ cơ quan)"
    return f"{name} ({agency_id})" if agency_id and name != agency_id else name


def status_headers() -> list[str]:
    """The status columns, in the lifecycle's order: Đang hoạt động, Đang tạm khóa, …"""
    return [STATUS_LABELS[status] for status in STATUSES]


def reason_text(reason: str | None) -> str:
    """Why a mailbox is locked, as the lifecycle labels it (never the YAML value)."""
    return LOCK_REASON_LABELS.get(reason, reason) if reason else ""


# ---------------------------------------------------------------- Markdown


def markdown(report: dict, agency: dict | None = None, operator: dict | None = None) -> str:
    """The province's report, or one agency's (``agency`` is an entry of ``agencies``)."""
    scope = agency or report["province"]
    names = agency_names(report)
    lines = _title(report, agency, operator)
    lines += _md_statuses(scope)
    if agency is None:
        lines += _md_districts(report["districts"])
    limit = PROVINCE_CHANGE_ROWS if agency is None else None
    lines += _md_changes(scope["changes"], report["domain"], limit, names)
    lines += _md_locked(scope["locked"], names)
    lines += _md_stale(scope["stale"], report["stale_days"], names)
    lines += _md_usage(report, scope, names)
    if agency is None:
        lines += _md_agencies(report["agencies"])
    return "\n".join(lines).rstrip() + "\n"


def _preamble(report: dict, operator: dict | None) -> str:
    """The period, who made the report, when, and under which articles."""
    period = report["period"]
    return (f"Kỳ báo cáo: từ {day(period['since'])} đến {day(period['until'])}. "
            f"Đơn vị lập báo cáo: {Operator.from_vars(operator).name}. "
            f"Lập lúc {vietnam_time(report['generated'])} ({REPORT_BASIS}).")


def _title(report: dict, agency: dict | None, operator: dict | None) -> list[str]:
    who = (f"{_md(agency['name'])} (`{agency['id']}@{report['domain']}`)" if agency
           else f"toàn tỉnh (@{report['domain']})")
    return [f"# {TITLE}: {who}", "", _preamble(report, operator), ""]


def _md_statuses(scope: dict) -> list[str]:
    head = "| Loại hộp thư | " + " | ".join(status_headers()) + " | Tổng |"
    rows = [_status_row(KIND_LABELS[kind], counts) for kind, counts in scope["by_kind"].items()]
    rows.append(_status_row("**Tổng**", scope["statuses"]))
    return ["## Hộp thư theo trạng thái", "", head, "|---|---:|---:|---:|---:|", *rows, ""]


def _status_row(label: str, counts: dict) -> str:
    cells = [number(counts[status]) for status in (*STATUSES, "total")]
    return f"| {label} | " + " | ".join(cells) + " |"


def _md_districts(districts: list[dict]) -> list[str]:
    lines = ["## Hộp thư theo huyện, thị xã, thành phố", "",
             "Gồm hộp thư đang hoạt động và đang tạm khóa của Ủy ban nhân dân cấp huyện và "
             "các xã, phường, thị trấn trực thuộc.", "",
             "| Huyện, thị xã, thành phố | Số cơ quan | Số hộp thư |", "|---|---:|---:|"]
    lines += [f"| {_md(d['name'])} | {number(d['agencies'])} | {number(d['mailboxes'])} |"
              for d in districts]
    return lines + [""]


def _md_changes(changes: dict, domain: str, limit: int | None,
                names: dict[str, str]) -> list[str]:
    lines = ["## Thay đổi trong kỳ", ""]
    if not changes["total"]:
        return lines + ["Không có thay đổi nào trong kỳ.", ""]
    lines += ["| Thao tác | Số lượng |", "|---|---:|"]
    lines += [f"| {LABELS.get(a, a)} | {number(n)} |" for a, n in changes["by_action"].items()]
    entries, note = _latest(changes["entries"], limit)
    lines += ["", *note, f"| Ngày | Thao tác | Địa chỉ | {NAME_COLUMN} | Cơ quan "
              f"| Văn bản đề nghị | {COMMIT_COLUMN} | Người duyệt |",
              "|---|---|---|---|---|---|---|---|"]
    lines += [_md_change(entry, domain, names) for entry in entries]
    return lines + [""]


def _latest(entries: list[dict], limit: int | None) -> tuple[list[dict], list[str]]:
    """The last ``limit`` entries, and a note when some are left out."""
    if limit is None or len(entries) <= limit:
        return entries, []
    return entries[-limit:], [f"{number(limit)} thay đổi gần nhất trong "
                              f"{number(len(entries))}; đầy đủ trong thaydoi.csv.", ""]


def _md_change(entry: dict, domain: str, names: dict[str, str]) -> str:
    address = f"`{entry['address']}@{domain}`"
    if entry.get("old_address"):
        address = f"`{entry['old_address']}@{domain}` → {address}"
    cells = [day(local_day(entry["at"])), LABELS.get(entry["action"], entry["action"]),
             address, _md(entry.get("name") or ""), _md_agency(entry.get("agency"), names),
             _md(_letter(entry.get("request"))), _md((entry.get("commit") or "")[:12]),
             _md(entry.get("approved_by") or "")]
    return "| " + " | ".join(cells) + " |"


def _md_agency(agency_id: str | None, names: dict[str, str]) -> str:
    """The agency's name, its id in code type after it."""
    if agency_id is None:
        return ""
    name = names.get(agency_id) or agency_id or "(không rõ cơ quan)"
    return f"{_md(name)} (`{agency_id}`)" if agency_id and name != agency_id else _md(name)


def _md_locked(rows: list[dict], names: dict[str, str]) -> list[str]:
    lines = [f"## Hộp thư đang tạm khóa ({cite('7.1')})", ""]
    if not rows:
        return lines + ["Không có hộp thư nào đang tạm khóa.", ""]
    lines += [f"| Địa chỉ | {NAME_COLUMN} | Cơ quan | Lý do | Từ ngày | Số ngày |",
              "|---|---|---|---|---|---:|"]
    lines += [f"| `{r['address']}` | {_md(r['name'])} | {_md_agency(r['agency'], names)} "
              f"| {reason_text(r['lock_reason'])} "
              f"| {_date(r['locked_since'])} | {_num(r['locked_days'])} |" for r in rows]
    return lines + [""]


def _md_stale(rows: list[dict], days: int, names: dict[str, str]) -> list[str]:
    lines = [f"## Chưa đổi mật khẩu ban đầu sau {number(days)} ngày ({cite('12.1')})", ""]
    if not rows:
        return lines + ["Không có hộp thư nào.", ""]
    lines += [f"| Địa chỉ | {NAME_COLUMN} | Cơ quan | Cấp ngày | Số ngày |",
              "|---|---|---|---|---:|"]
    lines += [f"| `{r['address']}` | {_md(r['name'])} | {_md_agency(r['agency'], names)} "
              f"| {_date(r['issued'])} | {_num(r['issued_days'])} |" for r in rows]
    return lines + [""]


def _md_usage(report: dict, scope: dict, names: dict[str, str]) -> list[str]:
    """Agency mailboxes nobody read in the last day, personal mailboxes never used."""
    usage = report.get("usage") or {}
    if not usage.get("recorded"):
        return [f"## {unread_title()}", "", NO_USAGE, ""]
    lines = [f"## {unread_title()}", ""]
    if scope["unread"]:
        lines += [f"| Địa chỉ | {NAME_COLUMN} | Cơ quan | {LAST_USED_COLUMN} |",
                  "|---|---|---|---|"]
        lines += [f"| `{r['address']}` | {_md(r['name'])} | {_md_agency(r['agency'], names)} "
                  f"| {last_used_text(r)} |" for r in scope["unread"]]
    else:
        lines.append("Không có hộp thư nào.")
    lines += ["", f"## {unused_title(report['unused_days'])}", ""]
    if not scope["unused"]:
        return lines + ["Không có hộp thư nào.", ""]
    lines += [f"| Địa chỉ | {NAME_COLUMN} | Cơ quan | Cấp mới ngày | Số ngày |",
              "|---|---|---|---|---:|"]
    lines += [f"| `{r['address']}` | {_md(r['name'])} | {_md_agency(r['agency'], names)} "
              f"| {_date(r['created'])} | {_num(r['created_days'])} |" for r in scope["unused"]]
    return lines + [""]


def _md_agencies(agencies: list[dict]) -> list[str]:
    lines = ["## Theo cơ quan", "",
             "| Cơ quan | Loại | " + " | ".join(status_headers()) + " | Thay đổi trong kỳ "
             f"| Chưa đổi mật khẩu | {UNREAD_COLUMN} | {UNUSED_COLUMN} |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for a in agencies:
        s = a["statuses"]
        code = f" (`{a['id']}`)" if a["id"] and a["id"] != a["name"] else ""
        lines.append(f"| {_md(a['name'])}{code} | {AGENCY_KINDS.get(a['kind'], '')} "
                     f"| {number(s['active'])} | {number(s['locked'])} "
                     f"| {number(s['revoked'])} | {number(a['changes']['total'])} "
                     f"| {number(len(a['stale']))} | {number(len(a['unread']))} "
                     f"| {number(len(a['unused']))} |")
    return lines + [""]


def _md(text: str) -> str:
    for char in "\\`*_[]|<>":
        text = text.replace(char, "\\" + char)
    return text


def _date(iso: str | None) -> str:
    """``2026-11-29`` as ``29/11/2026``."""
    return day(iso[:10]) if iso else ""


def _num(value) -> str:
    return "" if value is None else number(value)


def _letter(request: dict | None) -> str:
    return f"số {request['number']} ngày {_date(request['date'])}" if request else ""


# ---------------------------------------------------------------- CSV (Excel-friendly)
# Figures stay plain integers (a spreadsheet computes with them); each ISO date keeps its
# column and has the same date as Vietnamese read it (dd/mm/yyyy) beside it.


def _day_header(column: str) -> str:
    return f"{column} (ngày/tháng/năm)"


def agencies_csv(report: dict) -> bytes:
    names = agency_names(report)
    header = ("Mã cơ quan", "Cơ quan", "Loại", "Huyện, thị xã, thành phố",
              *status_headers(), "Tổng", "Thay đổi trong kỳ", "Chưa đổi mật khẩu",
              UNREAD_COLUMN, UNUSED_COLUMN)
    rows = [_agency_row(a["id"], a["name"], AGENCY_KINDS.get(a["kind"], ""),
                        agency_text(a.get("district"), names), a) for a in report["agencies"]]
    rows.append(_agency_row("", "Toàn tỉnh", "", "", report["province"]))
    return csv_bytes(header, rows)


def _agency_row(agency_id: str, name: str, kind: str, district: str, scope: dict) -> tuple:
    s = scope["statuses"]
    return (agency_id, name, kind, district, s["active"], s["locked"], s["revoked"],
            s["total"], scope["changes"]["total"], len(scope["stale"]),
            len(scope["unread"]), len(scope["unused"]))


def mailboxes_csv(rows: list[dict], names: dict[str, str] | None = None) -> bytes:
    names = names or {}
    header = ("Địa chỉ", NAME_COLUMN, "Loại", "Mã cơ quan", "Cơ quan", "Trạng thái",
              "Lý do tạm khóa", "Tạm khóa từ ngày", _day_header("Tạm khóa từ ngày"),
              "Số ngày tạm khóa", "Chưa đổi mật khẩu ban đầu", "Cấp mật khẩu ngày",
              _day_header("Cấp mật khẩu ngày"), "Số ngày chưa đổi", "Thay đổi trong kỳ",
              "Đăng nhập gần nhất", _day_header("Đăng nhập gần nhất"),
              "Người được ủy quyền mở gần nhất", _day_header("Người được ủy quyền mở gần nhất"),
              LAST_USED_COLUMN, _day_header(LAST_USED_COLUMN), "Số ngày chưa dùng",
              "Cấp mới ngày", _day_header("Cấp mới ngày"), "Chưa được đọc", "Chưa dùng")
    return csv_bytes(header, [(
        r["address"], r["name"], KIND_LABELS.get(r["kind"], r["kind"]), r["agency"],
        names.get(r["agency"]) or r["agency"], STATUS_LABELS[r["status"]],
        reason_text(r["lock_reason"]), r["locked_since"] or "", _date(r["locked_since"]),
        _plain(r["locked_days"]), "có" if r["must_change"] else "", r["issued"] or "",
        _date(r["issued"]), _plain(r["issued_days"]), r["changes"],
        *_moment_cells(r.get("last_login")), *_moment_cells(r.get("last_opened")),
        *_moment_cells(r.get("last_used")), _plain(r.get("last_used_days")),
        r.get("created") or "", _date(r.get("created")), "có" if r.get("unread") else "",
        "có" if r.get("unused") else "") for r in rows])


def _moment_cells(iso: str | None) -> tuple[str, str]:
    """An ISO moment as stored, and its day in Vietnam's time as Vietnamese read it."""
    return (iso or "", day(local_day(iso)) if iso else "")


def changes_csv(entries: list[dict], domain: str, names: dict[str, str] | None = None) -> bytes:
    header = ("Thời điểm", DAY_COLUMN, "Giờ (giờ Việt Nam)", "Thao tác", "Mã thao tác",
              "Địa chỉ", "Địa chỉ cũ", NAME_COLUMN, "Mã cơ quan", "Cơ quan", "Từ cơ quan",
              "Số văn bản", "Ngày văn bản", _day_header("Ngày văn bản"), COMMIT_COLUMN,
              "Người duyệt")
    return csv_bytes(header, [_change_cells(e, domain, names or {}) for e in entries])


def _change_cells(e: dict, domain: str, names: dict[str, str]) -> tuple:
    request = e.get("request") or {}
    old = f"{e['old_address']}@{domain}" if e.get("old_address") else ""
    return (e["at"], day(local_day(e["at"])), vietnam_time(e["at"])[:5],
            LABELS.get(e["action"], e["action"]), e["action"],
            f"{e['address']}@{domain}", old, e.get("name") or "", e.get("agency") or "",
            agency_text(e.get("agency") or "", names) if e.get("agency") else "",
            agency_text(e.get("from_agency"), names), request.get("number", ""),
            request.get("date", ""), _date(request.get("date")), e.get("commit") or "",
            e.get("approved_by") or "")


def _plain(value) -> str:
    return "" if value is None else str(value)


# ---------------------------------------------------------------- HTML with an SVG chart

STYLE = """body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#1b1b1b}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}
td.n,th.n{text-align:right}svg text{font-size:12px;fill:#1b1b1b}.bar{fill:#2f6fb0}"""


def html_page(report: dict, operator: dict | None = None) -> str:
    """One self-contained page: no script, no external asset, a strict CSP."""
    province, e = report["province"], html.escape
    names = agency_names(report)
    title = f"{TITLE}: toàn tỉnh (@{report['domain']})"
    parts = ["<!DOCTYPE html>", '<html lang="vi"><head><meta charset="utf-8">',
             '<meta http-equiv="Content-Security-Policy" '
             "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
             f"<title>{e(title)}</title>",
             f"<style>{STYLE}</style></head><body>",
             f"<h1>{e(title)}</h1>",
             f"<p>{e(_preamble(report, operator))}</p>"]
    parts += _html_statuses(province)
    parts += ["<h2>Hộp thư theo huyện, thị xã, thành phố</h2>",
              district_chart(report["districts"])]
    parts += _html_changes(province["changes"], report["domain"], names)
    parts += _html_rows(f"Hộp thư đang tạm khóa ({cite('7.1')})", province["locked"],
                        lambda r: _locked_cells(r, names),
                        ("Địa chỉ", NAME_COLUMN, "Cơ quan", "Lý do", "Từ ngày", "Số ngày"))
    parts += _html_rows(f"Chưa đổi mật khẩu ban đầu sau {number(report['stale_days'])} ngày "
                        f"({cite('12.1')})", province["stale"], lambda r: _stale_cells(r, names),
                        ("Địa chỉ", NAME_COLUMN, "Cơ quan", "Cấp ngày", "Số ngày"))
    parts += _html_usage(report, province, names)
    parts += _html_agencies(report["agencies"])
    return "\n".join(parts + ["</body></html>"]) + "\n"


def _table(header: tuple, rows: list[tuple], numeric: set[int] = frozenset()) -> str:
    def cell(tag: str, index: int, value) -> str:
        css = ' class="n"' if index in numeric else ""
        shown = number(value) if isinstance(value, int) else value
        return f"<{tag}{css}>{html.escape(str(shown))}</{tag}>"

    head = "".join(cell("th", i, v) for i, v in enumerate(header))
    body = "".join("<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_statuses(scope: dict) -> list[str]:
    rows = [(KIND_LABELS[k], c["active"], c["locked"], c["revoked"], c["total"])
            for k, c in scope["by_kind"].items()]
    s = scope["statuses"]
    rows.append(("Tổng", s["active"], s["locked"], s["revoked"], s["total"]))
    header = ("Loại hộp thư", *status_headers(), "Tổng")
    return ["<h2>Hộp thư theo trạng thái</h2>", _table(header, rows, {1, 2, 3, 4})]


def _html_changes(changes: dict, domain: str, names: dict[str, str]) -> list[str]:
    parts = ["<h2>Thay đổi trong kỳ</h2>"]
    if not changes["total"]:
        return parts + ["<p>Không có thay đổi nào trong kỳ.</p>"]
    counts = [(LABELS.get(a, a), n) for a, n in changes["by_action"].items()]
    parts.append(_table(("Thao tác", "Số lượng"), counts, {1}))
    entries, note = _latest(changes["entries"], PROVINCE_CHANGE_ROWS)
    rows = [(day(local_day(x["at"])), LABELS.get(x["action"], x["action"]),
             f"{x['address']}@{domain}", x.get("name") or "",
             agency_text(x.get("agency"), names), _letter(x.get("request")))
            for x in entries]
    header = ("Ngày", "Thao tác", "Địa chỉ", NAME_COLUMN, "Cơ quan", "Văn bản đề nghị")
    return parts + [f"<p>{html.escape(line)}</p>" for line in note if line] + [
        _table(header, rows)]


def _html_rows(title: str, rows: list[dict], cells, header: tuple) -> list[str]:
    if not rows:
        return [f"<h2>{html.escape(title)}</h2>", "<p>Không có hộp thư nào.</p>"]
    return [f"<h2>{html.escape(title)}</h2>",
            _table(header, [cells(r) for r in rows], {len(header) - 1})]


def _locked_cells(r: dict, names: dict[str, str]) -> tuple:
    return (r["address"], r["name"], agency_text(r["agency"], names),
            reason_text(r["lock_reason"]), _date(r["locked_since"]), _num(r["locked_days"]))


def _stale_cells(r: dict, names: dict[str, str]) -> tuple:
    return (r["address"], r["name"], agency_text(r["agency"], names), _date(r["issued"]),
            _num(r["issued_days"]))


def _html_usage(report: dict, scope: dict, names: dict[str, str]) -> list[str]:
    if not (report.get("usage") or {}).get("recorded"):
        return [f"<h2>{html.escape(unread_title())}</h2>", f"<p>{html.escape(NO_USAGE)}</p>"]
    unread = _html_rows(unread_title(), scope["unread"], lambda r: (
        r["address"], r["name"], agency_text(r["agency"], names), last_used_text(r)),
        ("Địa chỉ", NAME_COLUMN, "Cơ quan", LAST_USED_COLUMN))
    unused = _html_rows(unused_title(report["unused_days"]), scope["unused"], lambda r: (
        r["address"], r["name"], agency_text(r["agency"], names), _date(r["created"]),
        _num(r["created_days"])), ("Địa chỉ", NAME_COLUMN, "Cơ quan", "Cấp mới ngày", "Số ngày"))
    return unread + unused


def _html_agencies(agencies: list[dict]) -> list[str]:
    rows = [(a["name"], a["id"], AGENCY_KINDS.get(a["kind"], ""), a["statuses"]["active"],
             a["statuses"]["locked"], a["statuses"]["revoked"], a["changes"]["total"],
             len(a["stale"]), len(a["unread"]), len(a["unused"])) for a in agencies]
    header = ("Cơ quan", "Địa chỉ", "Loại", *status_headers(), "Thay đổi trong kỳ",
              "Chưa đổi mật khẩu", UNREAD_COLUMN, UNUSED_COLUMN)
    return ["<h2>Theo cơ quan</h2>", _table(header, rows, {3, 4, 5, 6, 7, 8, 9})]


def district_chart(districts: list[dict], width: int = 640) -> str:
    """A horizontal bar chart, one bar per district, as inline SVG."""
    if not districts:
        return "<p>Chưa có huyện, thị xã, thành phố nào được khai báo.</p>"
    label_w, bar_h, gap = 200, 20, 6
    top = max(d["mailboxes"] for d in districts) or 1
    scale = (width - label_w - 60) / top
    height = len(districts) * (bar_h + gap) + gap
    bars = []
    for i, d in enumerate(districts):
        y, w = gap + i * (bar_h + gap), round(d["mailboxes"] * scale, 1)
        name = html.escape(short_name(d["name"]))
        bars.append(
            f'<g><title>{name}: {number(d["mailboxes"])} hộp thư</title>'
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{name}</text>'
            f'<rect class="bar" x="{label_w}" y="{y}" width="{w}" height="{bar_h}"/>'
            f'<text x="{label_w + w + 4}" y="{y + 14}">{number(d["mailboxes"])}</text></g>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" '
            f'aria-label="Số hộp thư theo huyện, thị xã, thành phố">' + "".join(bars) + "</svg>")


def short_name(name: str) -> str:
    """``Ủy ban nhân dân huyện Tiên Lữ`` as ``Huyện Tiên Lữ`` (chart labels are narrow)."""
    rest = name.removeprefix("Ủy ban nhân dân ").removeprefix("UBND ")
    return rest[:1].upper() + rest[1:]
