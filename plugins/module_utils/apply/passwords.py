"""Generated passwords (Điều 8) and their Argon2id hashes in Dovecot's format."""

from __future__ import annotations

import functools
import multiprocessing
import secrets
import string
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from ..common.parallel import cpus

# Ambiguous characters (I l 1 O o 0) are left out: the notice is read by people.
UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
LOWER = "abcdefghijkmnpqrstuvwxyz"
DIGITS = "23456789"
# What Điều 8 counts as a special character: any printable ASCII sign (``$`` included, as
# in the regulation's own example); the generator keeps to a few no one misreads.
SPECIALS = frozenset(string.punctuation)
GENERATED_SPECIALS = "!#%&*"
CLASSES = (UPPER, LOWER, DIGITS, GENERATED_SPECIALS)
MIN_LENGTH = 12  # Điều 8 says 8; the province's generated passwords use 12 or more
DEFAULT_LENGTH = 16
SCHEME = "{ARGON2ID}"
# Below this many hashes a process pool costs more than it saves.
POOL_THRESHOLD = 4


@dataclass(frozen=True)
class HashSettings:
    """Argon2id cost; the parameters travel inside the hash, so Dovecot needs no change.

    Every parameter is explicit: the library's defaults differ between versions (Debian 12's
    argon2-cffi 21.1 makes a 16-byte hash, later ones 32 bytes).
    """

    time_cost: int = 3
    memory_kib: int = 65536
    parallelism: int = 1
    hash_bytes: int = 32
    salt_bytes: int = 16


def generate(length: int = DEFAULT_LENGTH) -> str:
    """A random password with every character class of Điều 8, at least MIN_LENGTH long."""
    if length < MIN_LENGTH:
        raise ValueError(f"password length {length} < {MIN_LENGTH}")
    chars = [secrets.choice(group) for group in CLASSES]
    alphabet = "".join(CLASSES)
    chars += [secrets.choice(alphabet) for _position in range(length - len(chars))]
    _shuffle(chars)
    return "".join(chars)


def meets_policy(password: str, min_length: int = MIN_LENGTH) -> bool:
    """Điều 8: long enough, with upper case, lower case, a digit and a special character
    (any printable ASCII sign; password/policy.py has every rule a user's choice meets)."""
    return (
        len(password) >= min_length
        and any(c.isupper() for c in password)
        and any(c.islower() for c in password)
        and any(c.isdigit() for c in password)
        and any(c in SPECIALS for c in password)
    )


def hash_password(password: str, settings: HashSettings = HashSettings()) -> str:
    """Argon2id hash with Dovecot's scheme prefix: ``{ARGON2ID}`` then the PHC string."""
    return SCHEME + _hasher(settings).hash(password)


@functools.lru_cache(maxsize=8)
def _hasher(settings: HashSettings):
    from argon2 import PasswordHasher, Type

    return PasswordHasher(
        time_cost=settings.time_cost, memory_cost=settings.memory_kib,
        parallelism=settings.parallelism, hash_len=settings.hash_bytes,
        salt_len=settings.salt_bytes, encoding="utf-8", type=Type.ID,
    )


def verify(hashed: str, password: str) -> bool:
    """Whether ``password`` matches a hash made by :func:`hash_password`."""
    from argon2 import PasswordHasher
    from argon2.exceptions import VerificationError

    try:
        return PasswordHasher().verify(hashed.removeprefix(SCHEME), password)
    except VerificationError:
        return False


def hash_many(passwords: list[str], settings: HashSettings = HashSettings(),
              workers: int | None = None) -> list[str]:
    """Hash many passwords at once on every CPU (a first apply hashes thousands)."""
    return _on_every_cpu(hash_password, passwords, settings, workers)


def issue(addresses: list[str], length: int = DEFAULT_LENGTH,
          settings: HashSettings = HashSettings(),
          workers: int | None = None) -> dict[str, tuple[str, str]]:
    """A fresh (password, hash) per address; the password is for the notice only.

    Each password is made where it is hashed, so a first apply of 100,000 mailboxes
    generates on every CPU too (``secrets`` reads the OS's generator: safe after fork).
    """
    pairs = _on_every_cpu(_credential, [length] * len(addresses), settings, workers)
    return dict(zip(addresses, pairs, strict=True))


def _credential(length: int, settings: HashSettings) -> tuple[str, str]:
    password = generate(length)
    return password, hash_password(password, settings)


def _on_every_cpu(function, items: list, settings: HashSettings, workers: int | None) -> list:
    """``[function(item, settings) for item in items]``, on a pool when it pays off."""
    workers = workers or cpus()
    if len(items) < POOL_THRESHOLD or workers == 1:
        return [function(item, settings) for item in items]
    context = multiprocessing.get_context("fork")  # spawn would re-run an AnsiballZ wrapper
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        chunk = max(1, len(items) // (workers * 4))
        return list(pool.map(function, items, [settings] * len(items), chunksize=chunk))


def _shuffle(chars: list) -> None:
    """Fisher-Yates with the secrets module's generator."""
    for i in range(len(chars) - 1, 0, -1):
        j = secrets.randbelow(i + 1)
        chars[i], chars[j] = chars[j], chars[i]
