"""Which model answers a request, and which scores it in the background only."""

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass

from {{ cookiecutter.package_name }}.registry.aliases import CHALLENGER, CHAMPION
from {{ cookiecutter.package_name }}.serving.settings import RolloutMode


@dataclass(frozen=True)
class Route:
    served: str
    shadow: str | None = None


TO_CHAMPION = Route(CHAMPION)
TO_CHALLENGER = Route(CHALLENGER)
SHADOWED = Route(CHAMPION, shadow=CHALLENGER)


def key_share(key: str) -> float:
    """A stable number in [0, 1) for a key.

    A keyed hash rather than hash(): Python salts hash() per process, and a key must land on
    the same model after a restart and on every replica.
    """
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class Router:
    def __init__(
        self,
        mode: RolloutMode,
        challenger_weight: float,
        draw: Callable[[], float] = random.random,
    ):
        self.mode = mode
        self.challenger_weight = challenger_weight
        self._draw = draw

    def route(self, key: str | None) -> Route:
        """Canary: the challenger answers a `challenger_weight` share of requests, always the
        same keys when requests carry one. Shadow: the champion answers, the challenger scores."""
        if self.mode == "shadow":
            return SHADOWED
        if self.mode == "canary":
            share = self._draw() if key is None else key_share(key)
            return TO_CHALLENGER if share < self.challenger_weight else TO_CHAMPION
        return TO_CHAMPION
