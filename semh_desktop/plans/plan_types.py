"""Plan types: a Pastoral Support Plan (PSP) or an early-help family plan.

The scale belongs to the plan type: PSP targets are scored 1-10, family-plan goals on the
Signs of Safety scale 0-10. Every score is checked against its plan's scale here.
Case aims are about the system around the child and are always scored 1-10.
"""

from __future__ import annotations

from dataclasses import dataclass

from semh_desktop.core.errors import ValidationError

TARGET_KINDS = {
    "learning": "Learning",
    "behaviour_wellbeing": "Behaviour / wellbeing",
    "family_goal": "Family goal",
}


@dataclass(frozen=True)
class Scale:
    """An inclusive range of whole-number scores."""

    low: int
    high: int
    name: str = ""

    @property
    def label(self) -> str:
        return f"{self.low}-{self.high}"

    def values(self) -> range:
        return range(self.low, self.high + 1)

    def check(self, score: object, *, what: str = "A score", field: str = "score") -> int:
        """Return the score as an int, or refuse it with the plan's range in the message."""
        if isinstance(score, bool) or not isinstance(score, int):
            raise ValidationError(
                f"{what} must be a whole number from {self.low} to {self.high}.", field=field
            )
        if not self.low <= score <= self.high:
            scale = f" on the {self.name} scale" if self.name else ""
            raise ValidationError(
                f"{what} of {score} is outside the scale: use {self.low} to {self.high}{scale}.",
                field=field,
            )
        return score


@dataclass(frozen=True)
class PlanType:
    key: str
    label: str  # as printed on documents
    short_label: str  # in tables and tabs
    scale: Scale
    default_weeks: int
    suggested_weeks: tuple[int, ...]
    max_targets: int
    target_word: str  # "target" or "goal"
    target_kinds: tuple[str, ...]

    @property
    def target_word_plural(self) -> str:
        return f"{self.target_word}s"

    def check_kind(self, kind: str) -> str:
        if kind not in self.target_kinds:
            choices = " or ".join(TARGET_KINDS[k].lower() for k in self.target_kinds)
            raise ValidationError(
                f"A {self.short_label} {self.target_word} is {choices}.", field="kind"
            )
        return kind


PSP = PlanType(
    key="psp",
    label="Pastoral Support Plan",
    short_label="PSP",
    scale=Scale(1, 10, "PSP 1-10"),
    default_weeks=8,
    suggested_weeks=(8, 12, 16),
    max_targets=3,
    target_word="target",
    target_kinds=("learning", "behaviour_wellbeing"),
)
FAMILY = PlanType(
    key="family",
    label="Family plan",
    short_label="Family plan",
    scale=Scale(0, 10, "Signs of Safety 0-10"),
    default_weeks=12,
    suggested_weeks=(8, 12, 16),
    max_targets=3,
    target_word="goal",
    target_kinds=("family_goal",),
)
PLAN_TYPES = {PSP.key: PSP, FAMILY.key: FAMILY}

AIM_SCALE = Scale(1, 10, "case aim 1-10")
MIN_WEEKS = 1
MAX_WEEKS = 52


def plan_type(key: str) -> PlanType:
    try:
        return PLAN_TYPES[key]
    except KeyError:
        raise ValidationError(
            "Choose a plan type: PSP or family plan.", field="plan_type"
        ) from None
