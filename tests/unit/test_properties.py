"""Property-based tests (hypothesis): the Điều 5 naming rules and the planner.

Naming: for Vietnamese names every address a rule makes is one the validator accepts,
lowercase ASCII, the same for NFC and NFD input; for any text at all, nothing a rule makes
can carry a separator into the server's files. Planner: folding a plan's applicable changes
into the server state (the backend's own pure ``fold``) and planning again gives nothing
to apply, and planning does not depend on the order of its inputs.
"""

from __future__ import annotations

import string
import unicodedata

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.hungyen.mail.plugins.filter import naming as naming_filters
from ansible_collections.hungyen.mail.plugins.module_utils.backends.postfix_dovecot import (
    ServerState,
    fold,
)
from ansible_collections.hungyen.mail.plugins.module_utils.common.lifecycle import LOCK_REASONS
from ansible_collections.hungyen.mail.plugins.module_utils.declared import naming
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Mailbox, Request
from ansible_collections.hungyen.mail.plugins.module_utils.plan.accounts import Account
from ansible_collections.hungyen.mail.plugins.module_utils.plan.planner import plan_changes
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

# Derandomized and without an example database: the same examples on every machine, CI
# included, and nothing written into the work tree. Modest counts: the file runs in seconds.
settings.register_profile("hymail", max_examples=150, deadline=None, derandomize=True,
                          database=None, suppress_health_check=[HealthCheck.too_slow])
PROFILE = settings.get_profile("hymail")

FILTERS = naming_filters.FilterModule().filters()
RULES = {  # name -> rule of one text argument, through the module and through the filter
    "person_local_part": (naming.person_local_part, FILTERS["person_local_part"]),
    "place_local_part": (naming.place_local_part, FILTERS["place_local_part"]),
    "agency_abbreviation": (naming.agency_abbreviation, FILTERS["agency_abbreviation"]),
    "abbreviate": (naming.abbreviate, naming.abbreviate),
}
# Characters no address may carry: the separators of passwd-files (':'), maps (space, tab),
# lines, mail addresses ('@') and paths ('/'), and every control character.
FORBIDDEN = set(":@/\\") | {chr(c) for c in range(0x20)} | {"\x7f"}

# ---------------------------------------------------------------- Vietnamese names

VOWELS = "aăâeêioôơuưy"
TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # the five marks of Điều 5
ONSETS = ("", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng",
          "ngh", "nh", "p", "ph", "qu", "r", "s", "t", "th", "tr", "v", "x")
CODAS = ("", "c", "ch", "m", "n", "ng", "nh", "p", "t", "i", "o", "u", "y")


@st.composite
def syllables(draw) -> str:
    """One Vietnamese-looking syllable, NFC, as a clerk types it: Nguyễn, Đức, Thủy."""
    vowel = draw(st.sampled_from(VOWELS))
    base = draw(st.sampled_from(ONSETS)) + vowel + draw(st.sampled_from(CODAS))
    word = unicodedata.normalize("NFC", base.replace(vowel, vowel + draw(st.sampled_from(TONES)),
                                                     1))
    return word.capitalize() if draw(st.booleans()) else word


def names(min_words: int = 1, max_words: int = 5):
    """Full names of a few syllables, with the spaces and hyphens clerks write."""
    return st.lists(syllables(), min_size=min_words, max_size=max_words).flatmap(
        lambda words: st.sampled_from([" ", "  ", " - "]).map(lambda sep: sep.join(words)))


PLACE_PREFIXES = ("", "Huyện ", "Xã ", "Thị trấn ", "Phường ", "Thành phố ", "UBND xã ",
                  "Ủy ban nhân dân huyện ")
places = st.tuples(st.sampled_from(PLACE_PREFIXES), names(1, 3)).map("".join)
local_parts = st.from_regex(r"\A[a-z0-9]{1,10}(\.[a-z0-9]{1,10}){0,2}\Z")


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def assert_valid_address(address: str) -> None:
    """What the validator enforces of an address it is given (HY021), or the empty answer
    a name without letters gives (HY027)."""
    if address:
        assert naming.local_part_problem(address) is None, address
        assert address.isascii() and address == address.lower()


@settings(PROFILE)
@given(names())
def test_a_person_address_is_valid_lowercase_ascii(name):
    for rule in RULES["person_local_part"]:
        address = rule(name)
        assert address, name  # every such name has letters
        assert_valid_address(address)
        assert address == rule(nfd(name)) == rule(name.upper()) == rule(f"  {name} ")


@settings(PROFILE)
@given(places)
def test_a_place_address_is_valid_lowercase_ascii(name):
    for rule in RULES["place_local_part"]:
        address = rule(name)
        assert_valid_address(address)
        assert address == rule(nfd(name)) == rule(name.upper())


@settings(PROFILE)
@given(names(1, 8), local_parts)
def test_a_division_address_is_its_abbreviation_under_its_parent(name, parent):
    for rule in (naming.division_local_part, FILTERS["division_local_part"]):
        address = rule(name, parent)
        assert address.endswith("." + parent)
        assert_valid_address(address)
        assert address == rule(nfd(name), parent)


@settings(PROFILE)
@given(names(1, 8))
def test_an_agency_abbreviation_is_valid_lowercase_ascii(name):
    for rule in RULES["agency_abbreviation"]:
        assert_valid_address(rule(name))
        assert rule(name) == rule(nfd(name))


@settings(PROFILE, max_examples=300)
@given(st.text(max_size=60))
def test_no_text_at_all_can_put_a_separator_into_an_address(text):
    """Any unicode (controls, separators, other scripts, surrogate-free): only a–z, 0–9, '.'."""
    for name, (module_rule, filter_rule) in RULES.items():
        address = module_rule(text)
        assert address == filter_rule(text), name
        assert not FORBIDDEN & set(address) and not any(c.isspace() for c in address), name
        assert set(address) <= set(string.ascii_lowercase + string.digits + "."), name
        assert address == module_rule(nfd(text)) == module_rule(unicodedata.normalize(
            "NFC", text)), name
    suggestions = naming.person_suggestions(text, "sotttt") + naming.place_suggestions(
        text, "vangiang")
    for address in suggestions:
        assert naming.local_part_problem(address) is None, address


@settings(PROFILE)
@given(st.text(max_size=40))
def test_the_rules_are_deterministic(text):
    """The same answer cached and computed afresh (the rules are lru_cached)."""
    assert naming.person_local_part(text) == naming.person_local_part.__wrapped__(text)
    assert naming.fold(text) == naming.fold.__wrapped__(text)
    assert naming.place_local_part(text) == naming.place_local_part(text)


@settings(PROFILE)
@given(st.one_of(st.none(), st.integers(), st.lists(st.text(max_size=5), max_size=2)))
def test_the_filters_refuse_what_is_not_text(value):
    for name in ("person_local_part", "place_local_part", "agency_abbreviation"):
        with pytest.raises(AnsibleFilterError, match=name):
            FILTERS[name](value)


# ---------------------------------------------------------------- the planner

POOL = tuple("abcdefghij")  # few addresses: renames, aliases and drift meet often
LETTERS = (Request("1/UBND", "2024-01-01"), Request("2/UBND", "2024-02-01"))
RESETS = (None, Request("9/UBND", "2024-03-01"), Request("10/UBND", "2024-04-01"))
AGENCIES = ("sotttt", "tienlu")
DIRECTORIES = st.sampled_from([{}, {"title": "Chuyên viên"}, {"title": "Trưởng phòng",
                                                              "phone": "0221 3871 234"}])


@st.composite
def desired_states(draw) -> list[Mailbox]:
    """Mailboxes as the validator lets them through: one address each in the province,
    previous addresses nobody else declares, a lock reason exactly when locked."""
    addresses = draw(st.lists(st.sampled_from(POOL), unique=True, max_size=6))
    spare = [a for a in POOL if a not in addresses]
    mailboxes = []
    for address in addresses:
        previous = draw(st.lists(st.sampled_from(spare), unique=True, max_size=2)) if spare \
            else []
        spare = [a for a in spare if a not in previous]
        status = draw(st.sampled_from(("active", "active", "locked", "revoked")))
        mailboxes.append(Mailbox(
            address=address, kind=draw(st.sampled_from(("agency", "division", "person"))),
            agency=draw(st.sampled_from(AGENCIES)), name=draw(st.sampled_from(("An", "Bình"))),
            status=status,
            lock_reason=draw(st.sampled_from(LOCK_REASONS)) if status == "locked" else None,
            previous=tuple(previous),
            delegates=tuple(draw(st.lists(st.sampled_from(addresses), unique=True,
                                          max_size=2))),
            request=draw(st.sampled_from(LETTERS)), password_reset=draw(st.sampled_from(RESETS)),
            directory=draw(DIRECTORIES)))
    return mailboxes


@st.composite
def server_states(draw) -> ServerState:
    """Whatever a server may hold: any statuses, stale metadata, aliases, must_change."""
    addresses = draw(st.lists(st.sampled_from(POOL), unique=True, max_size=6))
    free = [a for a in POOL if a not in addresses]
    accounts = {}
    for address in addresses:
        aliases = draw(st.lists(st.sampled_from(free), unique=True, max_size=2)) if free else []
        free = [a for a in free if a not in aliases]
        status = draw(st.sampled_from(("active", "locked", "revoked")))
        accounts[address] = Account(
            address=address, status=status,
            lock_reason=draw(st.sampled_from(LOCK_REASONS)) if status == "locked" else None,
            agency=draw(st.sampled_from(AGENCIES)), kind=draw(st.sampled_from(("person",
                                                                                "agency"))),
            name=draw(st.sampled_from(("An", "Bình", ""))), aliases=tuple(aliases),
            delegates=tuple(draw(st.lists(st.sampled_from(POOL), unique=True, max_size=2))),
            request=draw(st.sampled_from((None, *LETTERS))),
            password_reset=draw(st.sampled_from(RESETS)), must_change=draw(st.booleans()),
            directory=draw(DIRECTORIES))
    return ServerState(accounts=accounts, hashes={a: "{ARGON2ID}fake" for a in accounts})


NOW = "2026-01-01T00:00:00Z"


def apply(desired: list[Mailbox], state: ServerState, holds=()) -> ServerState:
    """The backend's apply without its files: the applicable changes folded into the state,
    with fake credentials made in memory for the changes that issue a password."""
    todo = [change for change in plan_changes(desired, state.accounts, holds) if change.applies]
    credentials = {c.address: ("x", "{ARGON2ID}fake") for c in todo if c.needs_password}
    return fold(state, todo, credentials, NOW)


@settings(PROFILE, max_examples=200)
@given(desired_states(), server_states())
def test_applying_a_plan_then_planning_again_changes_nothing(desired, state):
    after = apply(desired, state)
    again = [c for c in plan_changes(desired, after.accounts) if c.applies]
    assert again == [], [(c.action, c.address) for c in again]
    declared = {mailbox.address for mailbox in desired if mailbox.status != "revoked"}
    assert declared <= set(after.accounts)
    assert set(after.hashes) == set(after.accounts)  # every account can log in or be locked


@settings(PROFILE)
@given(desired_states(), server_states(), st.randoms(use_true_random=False))
def test_planning_is_deterministic(desired, state, random):
    first = plan_changes(desired, state.accounts)
    assert plan_changes(desired, state.accounts) == first
    shuffled_desired = random.sample(desired, len(desired))
    shuffled_actual = dict(random.sample(list(state.accounts.items()), len(state.accounts)))
    assert plan_changes(shuffled_desired, shuffled_actual) == first


@settings(PROFILE)
@given(desired_states(), server_states())
def test_a_second_apply_is_a_no_op(desired, state):
    once = apply(desired, state)
    twice = apply(desired, once)
    assert twice.accounts.keys() == once.accounts.keys()
    assert {a: x.view() for a, x in twice.accounts.items()} == \
        {a: x.view() for a, x in once.accounts.items()}


@settings(PROFILE, max_examples=200, phases=[Phase.explicit, Phase.generate])  # no shrinking
@given(desired_states(), server_states(), st.data())
def test_with_holds_what_is_applied_is_still_a_whole_state(desired, state, data):
    renamed = sorted({old for m in desired for old in m.previous} & set(state.accounts))
    holds = data.draw(st.lists(st.sampled_from(renamed or POOL), max_size=2), label="holds")
    after = apply(desired, state, holds)
    assert set(after.hashes) == set(after.accounts)
    again = [c for c in plan_changes(desired, after.accounts, holds) if c.applies]
    assert again == [], [(c.action, c.address) for c in again]


def test_a_held_rename_holds_the_steps_that_follow_it():
    desired = [Mailbox(address="b", kind="person", agency="sotttt", name="An", status="locked",
                       lock_reason="violation", previous=("a",), request=LETTERS[0])]
    state = ServerState(accounts={"a": Account(address="a", agency="sotttt", kind="person",
                                               name="An", request=LETTERS[0])},
                        hashes={"a": "{ARGON2ID}fake"})
    plan = plan_changes(desired, state.accounts, holds={"a"})
    assert [(c.action, c.held) for c in plan] == [("rename", True), ("lock", True)]
