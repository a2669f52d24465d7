"""Scoring with hand-computed expectations, and properties that must always hold."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partnerloop.fit.scoring import (
    CriterionSpec,
    InvalidAnswer,
    band_for,
    points_for,
    score_direction,
    score_fit,
)

YES = CriterionSpec(key="sponsor", direction="ours", answer_kind="yes_no", weight=2)
SCALE = CriterionSpec(key="offer", direction="ours", answer_kind="scale", weight=3)
CHOICE = CriterionSpec(
    key="overlap",
    direction="ours",
    answer_kind="choice",
    weight=5,
    options=({"label": "Most", "points": 100}, {"label": "Some", "points": 60}),
)
NUMBER = CriterionSpec(
    key="people",
    direction="theirs",
    answer_kind="number",
    weight=4,
    options=(
        {"min": None, "max": 1, "points": 0},
        {"min": 1, "max": 5, "points": 50},
        {"min": 5, "max": None, "points": 100},
    ),
)
KNOCK = CriterionSpec(
    key="no-compete", direction="ours", answer_kind="yes_no", weight=1, knock_out=True
)
THEIRS_SCALE = CriterionSpec(key="ease", direction="theirs", answer_kind="scale", weight=1)


def a(value: object) -> dict[str, object]:
    return {"value": value}


@pytest.mark.parametrize(
    ("spec", "value", "points"),
    [
        (YES, "yes", 1.0),
        (YES, "no", 0.0),
        (SCALE, 1, 0.0),
        (SCALE, "4", 0.75),
        (CHOICE, "Some", 0.6),
        (NUMBER, 0, 0.0),
        (NUMBER, 1, 0.5),  # min inclusive
        (NUMBER, 4.99, 0.5),
        (NUMBER, 5, 1.0),  # max exclusive
    ],
)
def test_points(spec: CriterionSpec, value: object, points: float) -> None:
    assert points_for(spec, value) == points


@pytest.mark.parametrize(
    ("spec", "value", "message"),
    [
        (YES, "maybe", "yes or no"),
        (SCALE, 6, "1 to 5"),
        (SCALE, "x", "1 to 5"),
        (CHOICE, "Lots", "Choose one of: Most, Some"),
        (NUMBER, "ten", "Enter a number"),
        (NUMBER, "nan", "Enter a number"),
    ],
)
def test_invalid_answers_say_what_to_fix(spec: CriterionSpec, value: object, message: str) -> None:
    with pytest.raises(InvalidAnswer, match=message):
        points_for(spec, value)


def test_weighted_score_and_coverage_by_hand() -> None:
    # overlap Some (0.6 × 5 = 3.0) + offer 4 (0.75 × 3 = 2.25); sponsor unanswered (weight 2).
    result = score_direction(
        [YES, SCALE, CHOICE], {"overlap": a("Some"), "offer": a(4)}, knockout_cap=39
    )
    assert result.score == pytest.approx(100 * 5.25 / 8, abs=0.01)  # 65.625
    assert result.coverage == pytest.approx(8 / 10, abs=1e-4)
    assert result.to_answer == ["sponsor"]
    assert not result.knocked_out


def test_knock_out_caps_the_score_and_is_a_red_flag() -> None:
    answers = {"overlap": a("Most"), "offer": a(5), "no-compete": a("no")}
    result = score_direction([CHOICE, SCALE, KNOCK], answers, knockout_cap=39)
    # Without the cap: 100 × (5 + 3 + 0) / 9 = 88.9.
    assert result.score == 39
    assert result.red_flags == ["no-compete"]
    clean = score_direction(
        [CHOICE, SCALE, KNOCK], {**answers, "no-compete": a("yes")}, knockout_cap=39
    )
    assert clean.score == 100 and not clean.knocked_out


def test_no_answers_means_no_score() -> None:
    result = score_direction([YES, SCALE], {}, knockout_cap=39)
    assert result.score is None and result.coverage == 0


def test_mutual_is_the_geometric_mean_and_punishes_one_sided_fit() -> None:
    specs = [CHOICE, NUMBER]
    result = score_fit(
        specs,
        ours_answers={"overlap": a("Most")},
        theirs_answers={"people": a(2)},
        band_high=70,
        band_medium=40,
    )
    assert (result.ours.score, result.theirs.score) == (100, 50)
    assert result.mutual == pytest.approx(math.sqrt(100 * 50), abs=0.01)  # 70.71
    assert result.band == "high" and not result.provisional
    one_sided = score_fit(
        specs,
        ours_answers={"overlap": a("Most")},
        theirs_answers={"people": a(0)},
        band_high=70,
        band_medium=40,
    )
    assert one_sided.mutual == 0 and one_sided.band == "low"


def test_only_one_side_answered_is_provisional() -> None:
    result = score_fit(
        [CHOICE, NUMBER],
        ours_answers={"overlap": a("Some")},
        theirs_answers={},
        band_high=70,
        band_medium=40,
    )
    assert result.mutual is None and result.provisional
    assert result.fit_score == 60 and result.band == "medium"
    assert result.coverage == pytest.approx(5 / 9, abs=1e-4)


def test_a_knock_out_on_either_side_caps_the_mutual_score() -> None:
    theirs_knock = CriterionSpec(
        key="values", direction="theirs", answer_kind="yes_no", weight=1, knock_out=True
    )
    result = score_fit(
        [CHOICE, theirs_knock, THEIRS_SCALE],
        ours_answers={"overlap": a("Most")},
        theirs_answers={"values": a("no"), "ease": a(5)},
        band_high=70,
        band_medium=40,
    )
    assert result.theirs.score == 39  # 50 uncapped
    assert result.mutual == 39 and result.band == "low" and result.knocked_out


def test_ties_on_the_threshold_go_up() -> None:
    assert band_for(70, band_high=70, band_medium=40) == "high"
    assert band_for(40, band_high=70, band_medium=40) == "medium"
    assert band_for(39.99, band_high=70, band_medium=40) == "low"
    assert band_for(None, band_high=70, band_medium=40) == ""


def test_a_changed_criterion_is_to_answer_again() -> None:
    old = CriterionSpec(
        key="offer", direction="ours", answer_kind="scale", weight=3, signature="v1"
    )
    new = CriterionSpec(
        key="offer", direction="ours", answer_kind="scale", weight=3, signature="v2"
    )
    answers = {"offer": {"value": 5, "signature": "v1"}}
    assert score_direction([old], answers, knockout_cap=39).score == 100
    changed = score_direction([new], answers, knockout_cap=39)
    assert changed.score is None and changed.to_answer == ["offer"]


# Properties -------------------------------------------------------------------------------

SPECS = [YES, SCALE, CHOICE, KNOCK]
VALUES = {
    "sponsor": ["no", "yes"],
    "offer": [1, 2, 3, 4, 5],
    "overlap": ["Some", "Most"],  # ordered by points
    "no-compete": ["no", "yes"],
}

answer_levels = st.fixed_dictionaries(
    {key: st.one_of(st.none(), st.integers(0, len(options) - 1)) for key, options in VALUES.items()}
)


def _answers(levels: dict[str, int | None]) -> dict[str, dict[str, object]]:
    return {k: a(VALUES[k][v]) for k, v in levels.items() if v is not None}


@given(levels=answer_levels, cap=st.integers(0, 99))
def test_score_stays_within_0_and_100(levels: dict[str, int | None], cap: int) -> None:
    result = score_direction(SPECS, _answers(levels), knockout_cap=cap)
    assert result.score is None or 0 <= result.score <= 100
    assert 0 <= result.coverage <= 1


@given(levels=answer_levels, key=st.sampled_from(sorted(VALUES)), cap=st.integers(0, 99))
def test_raising_an_answer_never_lowers_the_score(
    levels: dict[str, int | None], key: str, cap: int
) -> None:
    current = levels[key]
    if current is None or current == len(VALUES[key]) - 1:
        return
    before = score_direction(SPECS, _answers(levels), knockout_cap=cap).score
    after = score_direction(SPECS, _answers({**levels, key: current + 1}), knockout_cap=cap).score
    assert before is not None and after is not None
    assert after >= before - 1e-9


@given(
    ours=st.floats(0, 100),
    theirs=st.floats(0, 100),
)
def test_mutual_never_exceeds_either_side(ours: float, theirs: float) -> None:
    ours_spec = CriterionSpec(
        key="o",
        direction="ours",
        answer_kind="choice",
        weight=1,
        options=({"label": "x", "points": ours},),
    )
    theirs_spec = CriterionSpec(
        key="t",
        direction="theirs",
        answer_kind="choice",
        weight=1,
        options=({"label": "x", "points": theirs},),
    )
    result = score_fit(
        [ours_spec, theirs_spec],
        ours_answers={"o": a("x")},
        theirs_answers={"t": a("x")},
        band_high=70,
        band_medium=40,
    )
    assert result.mutual is not None
    assert 0 <= result.mutual <= max(result.ours.score or 0, result.theirs.score or 0) + 0.01
    assert result.mutual >= min(result.ours.score or 0, result.theirs.score or 0) - 0.01
