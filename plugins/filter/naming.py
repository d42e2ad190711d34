"""Filters for the Điều 5 naming rules: the same functions serve validation, planning and tests."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.hungyen.mail.plugins.module_utils.declared import naming


def _text(filter_name: str, value: object) -> str:
    if not isinstance(value, str):
        kind = type(value).__name__
        raise AnsibleFilterError(f"{filter_name}: expected a name as text, got {kind}")
    return value


def person_local_part(name):
    """'Nguyễn Hoàng Phúc' | person_local_part → nhphuc (Điều 5.2)."""
    return naming.person_local_part(_text("person_local_part", name))


def place_local_part(name):
    """'Huyện Tiên Lữ' | place_local_part → tienlu (Điều 5.1.b, c)."""
    return naming.place_local_part(_text("place_local_part", name))


def division_local_part(name, parent_local_part):
    """'Phòng Tài chính - Kế hoạch' | division_local_part('tienlu') → ptckh.tienlu (Điều 5.1.d)."""
    parent = _text("division_local_part", parent_local_part)
    return naming.division_local_part(_text("division_local_part", name), parent)


def agency_abbreviation(name):
    """'Sở Thông tin và Truyền thông' | agency_abbreviation → sotttt (Điều 5.1.a)."""
    return naming.agency_abbreviation(_text("agency_abbreviation", name))


class FilterModule:
    """The Điều 5 naming filters."""

    def filters(self):
        return {
            # addresses of agencies (Điều 5.1)
            "agency_abbreviation": agency_abbreviation,
            "place_local_part": place_local_part,
            "division_local_part": division_local_part,
            # addresses of people (Điều 5.2)
            "person_local_part": person_local_part,
        }
