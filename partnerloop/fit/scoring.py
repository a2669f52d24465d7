"""How fit is computed. Pure functions over plain data, so rescoring thousands is cheap.

Per criterion, an answer becomes *points* in [0, 1]:

- yes/no: yes = 1, no = 0;
- scale 1–5: (value − 1) / 4;
- choice: the chosen option's points / 100;
- number: the points of the band the number falls in / 100 (min inclusive, max exclusive);
  a number in no band scores 0.

Per direction (*ours*, *theirs*):

- score = 100 × Σ(weight × points) / Σ(weight) over the answered criteria;
- coverage = Σ(weight answered) / Σ(weight of all criteria of that direction);
- a knock-out criterion answered with 0 points is a red flag: the score is capped just
  below the medium band (`band_medium − 1`), so a red flag always reads as low fit.

Mutual = √(ours × theirs) (the geometric mean punishes one-sided fit: 100 and 0 give 0);
if either direction is knocked out the mutual score is capped the same way. The *fit
score* that decides the band is the mutual score when both sides have answered, else the
one answered direction, marked provisional.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from partnerloop.fit.models import AnswerKind, Direction


class InvalidAnswer(ValueError):
    pass


@dataclass(frozen=True)
class CriterionSpec:
    """What scoring needs of a criterion (built from the model or from plain data)."""

    key: str
    direction: str
    answer_kind: str
    weight: int
    knock_out: bool = False
    options: tuple[Mapping[str, Any], ...] = ()
    signature: str = ""
    question: str = ""
    dimension: str = ""
    improvement_step: str = ""

    cache_key: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        # The signature covers kind and options; hand-built specs may not have one.
        key = self.signature or f"{self.key}|{self.answer_kind}|{self.options!r}"
        object.__setattr__(self, "cache_key", key)

    @classmethod
    def of(cls, criterion: Any) -> CriterionSpec:
        return cls(
            key=criterion.key,
            direction=criterion.direction,
            answer_kind=criterion.answer_kind,
            weight=criterion.weight,
            knock_out=criterion.knock_out,
            options=tuple(criterion.options or ()),
            signature=criterion.signature(),
            question=criterion.question,
            dimension=criterion.dimension,
            improvement_step=criterion.improvement_step,
        )


def points_for(spec: CriterionSpec, value: Any) -> float:
    """An answer's points in [0, 1]; raises InvalidAnswer with what to fix."""
    kind = spec.answer_kind
    if kind == AnswerKind.YES_NO:
        if value in (True, "yes", "true", "1", 1):
            return 1.0
        if value in (False, "no", "false", "0", 0):
            return 0.0
        raise InvalidAnswer("Answer yes or no.")
    if kind == AnswerKind.SCALE:
        try:
            number = int(value)
        except (TypeError, ValueError) as exc:
            raise InvalidAnswer("Choose a value from 1 to 5.") from exc
        if not 1 <= number <= 5:
            raise InvalidAnswer("Choose a value from 1 to 5.")
        return (number - 1) / 4
    if kind == AnswerKind.CHOICE:
        for option in spec.options:
            if str(option.get("label")) == str(value):
                return _clamp(float(option.get("points", 0)) / 100)
        labels = ", ".join(str(o.get("label")) for o in spec.options)
        raise InvalidAnswer(f"Choose one of: {labels}.")
    if kind == AnswerKind.NUMBER:
        try:
            number = float(value)
        except (TypeError, ValueError) as exc:
            raise InvalidAnswer("Enter a number.") from exc
        if math.isnan(number) or math.isinf(number):
            raise InvalidAnswer("Enter a number.")
        for band in spec.options:
            low, high = band.get("min"), band.get("max")
            if (low is None or number >= float(low)) and (high is None or number < float(high)):
                return _clamp(float(band.get("points", 0)) / 100)
        return 0.0
    raise InvalidAnswer(f"Unknown answer kind {kind!r}.")


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


@dataclass
class DirectionScore:
    score: float | None
    coverage: float
    knocked_out: bool
    answered: dict[str, float] = field(default_factory=dict)  # key -> points
    to_answer: list[str] = field(default_factory=list)  # keys with no valid answer
    red_flags: list[str] = field(default_factory=list)  # knocked-out keys
    answered_weight: int = 0
    total_weight: int = 0


# Reading many overviews meets the same few answers again and again.
_POINTS_CACHE: dict[tuple[Any, ...], float | None] = {}
_POINTS_CACHE_LIMIT = 200_000


def _cached_points(spec: CriterionSpec, value: Any) -> float | None:
    """points_for, or None for an invalid answer, memoised by criterion and value (and the
    value's type: 1, 1.0 and True are equal keys but not the same answer to a choice)."""
    key = (spec.cache_key, value.__class__, value)
    try:
        return _POINTS_CACHE[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable value (a list, a dict): compute, do not cache
        try:
            return points_for(spec, value)
        except InvalidAnswer:
            return None
    if len(_POINTS_CACHE) >= _POINTS_CACHE_LIMIT:
        _POINTS_CACHE.clear()
    try:
        result: float | None = points_for(spec, value)
    except InvalidAnswer:
        result = None
    _POINTS_CACHE[key] = result
    return result


def usable_answers(
    specs: Iterable[CriterionSpec], answers: Mapping[str, Mapping[str, Any]]
) -> dict[str, float]:
    """Points for every answer still valid for this version (same key, same signature)."""
    points: dict[str, float] = {}
    for spec in specs:
        answer = answers.get(spec.key)
        if not answer:
            continue
        value = answer.get("value")
        if value is None or value == "":
            continue
        if spec.signature and answer.get("signature") not in (None, spec.signature):
            continue  # the criterion changed since it was answered: to answer again
        result = _cached_points(spec, value)
        if result is not None:
            points[spec.key] = result
    return points


def score_direction(
    specs: Iterable[CriterionSpec],
    answers: Mapping[str, Mapping[str, Any]],
    *,
    knockout_cap: float,
) -> DirectionScore:
    return DirectionScorer(specs, knockout_cap=knockout_cap).score(answers)


class DirectionScorer:
    """Scores one direction of many checklists against the same criteria.

    The rules of `usable_answers`, inlined in one pass over the criteria, with each
    criterion's points memoised by answer value: rescoring thousands of partnerships meets
    the same few answers again and again.
    """

    def __init__(self, specs: Iterable[CriterionSpec], *, knockout_cap: float) -> None:
        self.specs = list(specs)
        self.knockout_cap = knockout_cap
        self.total_weight = sum(s.weight for s in self.specs)
        # (key, weight, signature, knock-out, spec, points by answer value)
        self._entries: list[tuple[str, int, str, bool, CriterionSpec, dict[Any, float | None]]]
        self._entries = [(s.key, s.weight, s.signature, s.knock_out, s, {}) for s in self.specs]

    def score(self, answers: Mapping[str, Mapping[str, Any]]) -> DirectionScore:
        points: dict[str, float] = {}
        answered_weight = 0
        weighted = 0.0
        red_flags: list[str] = []
        to_answer: list[str] = []
        get = answers.get
        for key, weight, signature, knock_out, spec, memo in self._entries:
            answer = get(key)
            if answer:
                value = answer.get("value")
                if value is not None and value != "":
                    given = answer.get("signature")
                    # Answered under another signature: the criterion changed, ask again.
                    if given == signature or given is None or not signature:
                        # 1, 1.0 and True are equal keys but not the same answer to a choice.
                        memo_key = value if value.__class__ is str else (value.__class__, value)
                        try:
                            p = memo[memo_key]
                        except KeyError:
                            p = memo[memo_key] = _points_or_none(spec, value)
                        except TypeError:  # an unhashable value (a list, a dict)
                            p = _points_or_none(spec, value)
                        if p is not None:
                            points[key] = p
                            answered_weight += weight
                            weighted += weight * p
                            if knock_out and p == 0.0:
                                red_flags.append(key)
                            continue
            to_answer.append(key)
        total_weight = self.total_weight
        if not answered_weight:
            return DirectionScore(
                score=None,
                coverage=0.0,
                knocked_out=bool(red_flags),
                to_answer=to_answer,
                total_weight=total_weight,
            )
        score = 100 * weighted / answered_weight
        if red_flags:
            score = min(score, self.knockout_cap)
        return DirectionScore(
            score=round(score, 2),
            coverage=round(answered_weight / total_weight, 4) if total_weight else 0.0,
            knocked_out=bool(red_flags),
            answered=points,
            to_answer=to_answer,
            red_flags=red_flags,
            answered_weight=answered_weight,
            total_weight=total_weight,
        )


def _points_or_none(spec: CriterionSpec, value: Any) -> float | None:
    try:
        return points_for(spec, value)
    except InvalidAnswer:
        return None


@dataclass
class FitResult:
    ours: DirectionScore
    theirs: DirectionScore
    mutual: float | None
    fit_score: float | None
    provisional: bool
    band: str
    knocked_out: bool
    coverage: float


def band_for(score: float | None, *, band_high: float, band_medium: float) -> str:
    if score is None:
        return ""
    if score >= band_high:
        return "high"
    if score >= band_medium:
        return "medium"
    return "low"


class FitScorer:
    """Scores many partnerships against one version: the criteria are split once."""

    def __init__(
        self, specs: Iterable[CriterionSpec], *, band_high: float, band_medium: float
    ) -> None:
        specs = list(specs)
        self.ours_specs = [s for s in specs if s.direction == Direction.OURS]
        self.theirs_specs = [s for s in specs if s.direction == Direction.THEIRS]
        self.band_high, self.band_medium = band_high, band_medium
        self.cap = max(0.0, band_medium - 1)
        self._ours = DirectionScorer(self.ours_specs, knockout_cap=self.cap)
        self._theirs = DirectionScorer(self.theirs_specs, knockout_cap=self.cap)

    def score(
        self,
        *,
        ours_answers: Mapping[str, Mapping[str, Any]],
        theirs_answers: Mapping[str, Mapping[str, Any]],
    ) -> FitResult:
        cap = self.cap
        ours = self._ours.score(ours_answers)
        theirs = self._theirs.score(theirs_answers)
        knocked_out = ours.knocked_out or theirs.knocked_out
        mutual = None
        if ours.score is not None and theirs.score is not None:
            mutual = round(math.sqrt(ours.score * theirs.score), 2)
            if knocked_out:
                mutual = min(mutual, cap)
        fit_score = mutual
        if fit_score is None:
            fit_score = ours.score if ours.score is not None else theirs.score
        total = ours.total_weight + theirs.total_weight
        answered = ours.answered_weight + theirs.answered_weight
        return FitResult(
            ours=ours,
            theirs=theirs,
            mutual=mutual,
            fit_score=fit_score,
            provisional=mutual is None,
            band=band_for(fit_score, band_high=self.band_high, band_medium=self.band_medium),
            knocked_out=knocked_out,
            coverage=round(answered / total, 4) if total else 0.0,
        )


def score_fit(
    specs: Iterable[CriterionSpec],
    *,
    ours_answers: Mapping[str, Mapping[str, Any]],
    theirs_answers: Mapping[str, Mapping[str, Any]],
    band_high: float,
    band_medium: float,
) -> FitResult:
    scorer = FitScorer(specs, band_high=band_high, band_medium=band_medium)
    return scorer.score(ours_answers=ours_answers, theirs_answers=theirs_answers)
