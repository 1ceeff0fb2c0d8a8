"""Human-readable session ids: ``adjective-noun-number`` (for example ``blessed-shepherd-427``).

The vocabulary is the original service's (seed 002). Extend it by adding words to the tuples;
ids stay valid as long as words are lowercase ASCII letters. Uniqueness is not guaranteed here:
the repository creates sessions with a conditional put and retries with a new id on collision.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

ADJECTIVES: tuple[str, ...] = (
    "blessed",
    "faithful",
    "gracious",
    "holy",
    "joyful",
    "peaceful",
    "righteous",
    "sacred",
    "divine",
    "eternal",
    "glorious",
    "merciful",
    "pure",
    "radiant",
    "serene",
)
NOUNS: tuple[str, ...] = (
    "shepherd",
    "covenant",
    "temple",
    "prophet",
    "angel",
    "disciple",
    "apostle",
    "psalm",
    "gospel",
    "grace",
    "faith",
    "hope",
    "light",
    "truth",
    "wisdom",
)

# Accepts any id the (extensible) vocabulary can produce, and nothing that could smuggle
# characters into a key or a log line.
SESSION_ID_PATTERN = re.compile(r"^[a-z]{2,24}-[a-z]{2,24}-[0-9]{3,6}$")


@dataclass(frozen=True)
class SessionIdGenerator:
    adjectives: Sequence[str] = ADJECTIVES
    nouns: Sequence[str] = NOUNS
    lowest_number: int = 100
    highest_number: int = 999

    def __post_init__(self) -> None:
        words = [*self.adjectives, *self.nouns]
        if not self.adjectives or not self.nouns or not all(re.fullmatch(r"[a-z]{2,24}", w) for w in words):
            raise ValueError("vocabulary words must be 2-24 lowercase ASCII letters")
        if not 100 <= self.lowest_number <= self.highest_number <= 999_999:
            raise ValueError("session number range must lie within 100..999999")

    @property
    def capacity(self) -> int:
        return len(self.adjectives) * len(self.nouns) * (self.highest_number - self.lowest_number + 1)

    def __call__(self) -> str:
        # secrets, not random: ids are guessable by design (human-readable) but should not be
        # predictable from earlier ones.
        adjective = secrets.choice(self.adjectives)
        noun = secrets.choice(self.nouns)
        number = self.lowest_number + secrets.randbelow(self.highest_number - self.lowest_number + 1)
        return f"{adjective}-{noun}-{number}"


def is_valid_session_id(value: str) -> bool:
    return bool(SESSION_ID_PATTERN.fullmatch(value))
