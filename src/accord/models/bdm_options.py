"""The options of the BDM model and its three published readings (profiles).

See ``shared/specs/bdm.md`` §11 and ``docs/models/bdm.md``: a profile sets every option; any
option given explicitly overrides the profile's value.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal, get_args

import numpy as np

from accord.errors import AccordError

__all__ = [
    "PROFILES",
    "BDMOptions",
    "Normalisation",
    "Perspective",
    "Profile",
    "Selection",
    "TieBreak",
    "VoterExponent",
]

Profile = Literal["scholz2011", "dmasad2014", "paper_text"]
Normalisation = Literal["global", "pairwise_pos", "pairwise_net"]
VoterExponent = Literal["risk", "unit"]
Perspective = Literal["own", "challenger"]
Selection = Literal["scholz_code", "priority_least", "least_move", "dmasad"]
TieBreak = Literal["input_order", "clout"]


@dataclass(frozen=True)
class BDMOptions:
    """The options of the model (spec §1.2, §4–§8, §11); defaults are profile scholz2011."""

    normalisation: Normalisation = "global"
    """How the probability of success P is normalised (§4.2)."""
    voter_exponent: VoterExponent | Literal["auto"] = "auto"
    """Voters' exponents in the votes of pass 2: their risk exponents r_k, or 1 (§4.2).
    ``auto`` (the spec's rule): r_k with global normalisation, 1 with a pairwise one."""
    perspective: Perspective = "own"
    """Whose risk exponent evaluates j's challenge of i in i's view: i's own, or j's (§5.2)."""
    selection: Selection = "scholz_code"
    """Which offer an actor accepts (§8, §12.6)."""
    tie_break: TieBreak = "input_order"
    """Between equally good offers: the proposer listed first (``input_order``, the spec's
    rule), or the proposer with the larger capability × salience, then the lower offered
    position (``clout``: independent of the order in which the actors are listed)."""
    q: float = 1.0
    """Probability that the status quo persists when nobody challenges (§1.2)."""
    position_range: float | None = None
    """Δ; None: the spread of the initial positions (§1.3)."""

    def __post_init__(self) -> None:
        if self.voter_exponent == "auto":
            exponent = "risk" if self.normalisation == "global" else "unit"
            object.__setattr__(self, "voter_exponent", exponent)
        for name, kind in _LITERALS.items():
            value = getattr(self, name)
            choices = get_args(kind)
            if value not in choices:
                raise AccordError(
                    f"bdm: {name} must be one of {', '.join(choices)}, not {value!r}"
                )
        if not _is_real(self.q) or not 0.0 <= float(self.q) <= 1.0:
            raise AccordError(f"bdm: q must be a number between 0 and 1, not {self.q!r}")
        if self.position_range is not None and (
            not _is_real(self.position_range)
            or not np.isfinite(self.position_range)
            or self.position_range <= 0
        ):
            raise AccordError(
                f"bdm: position_range must be a number above 0 (or None for the spread of the "
                f"initial positions), not {self.position_range!r}"
            )

    @classmethod
    def from_profile(cls, profile: str = "scholz2011", **overrides: Any) -> BDMOptions:
        """The options of ``profile``, with the ``overrides`` that are not None applied."""
        if not isinstance(profile, str) or profile not in PROFILES:
            raise AccordError(
                f"bdm: unknown profile {profile!r}; profiles: {', '.join(PROFILES)}"
            )
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise AccordError(f"bdm: unknown option {', '.join(map(repr, unknown))}")
        settings = dict(PROFILES[profile])
        settings.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**settings)

    def as_dict(self) -> dict[str, Any]:
        """The options as a plain dict."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


_LITERALS: dict[str, Any] = {
    "normalisation": Normalisation,
    "voter_exponent": VoterExponent,
    "perspective": Perspective,
    "selection": Selection,
    "tie_break": TieBreak,
}

PROFILES: dict[str, dict[str, Any]] = {
    "scholz2011": {"normalisation": "global", "perspective": "own", "selection": "scholz_code"},
    "paper_text": {
        "normalisation": "pairwise_pos", "perspective": "own", "selection": "priority_least",
    },
    "dmasad2014": {
        "normalisation": "pairwise_net", "perspective": "challenger", "selection": "dmasad",
    },
}
"""The three published readings (spec §11): the options each one sets. Each also sets q = 1,
Δ = the initial spread and (through ``voter_exponent="auto"``) the voter exponents of §4.2."""


def _is_real(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool
    )
