"""The default playbook: tiny, consistent steps from the agreement to a habit of working together.

Harder behaviour happens less, so each step is small, has an owner side and an expected
duration, and the milestones on the way (first campaign, first customer feedback, first
referral, first revenue) are celebrated when they are reached.
"""

from __future__ import annotations

from dataclasses import dataclass

from partnerloop.plans.models import Effort, OwnerSide, Phase

DEFAULT_PLAYBOOK_NAME = "Tiny steps to first revenue"
DEFAULT_PLAYBOOK_DESCRIPTION = (
    "Start easy, engage the people who matter, prove the partnership with a first customer "
    "and first revenue, then grow it with a steady rhythm of reviews and joint events."
)


@dataclass(frozen=True)
class StepTemplate:
    key: str
    phase: str
    title: str
    description: str
    owner_side: str
    effort: str
    duration_days: int
    is_milestone: bool = False


DEFAULT_STEPS: tuple[StepTemplate, ...] = (
    StepTemplate(
        "agreement_accepted",
        Phase.START,
        "Agreement accepted",
        "Both sides accept the open agreement: easy to start, easy to end.",
        OwnerSide.BOTH,
        Effort.TINY,
        7,
        is_milestone=True,
    ),
    StepTemplate(
        "intro_call",
        Phase.START,
        "Intro call",
        "A 30-minute call: who is who, what each side wants from the partnership.",
        OwnerSide.HOST,
        Effort.TINY,
        7,
    ),
    StepTemplate(
        "workspace_set_up",
        Phase.START,
        "Workspace set up",
        "Invite the partner's team, add key people, agree where notes and the plan live.",
        OwnerSide.PARTNER,
        Effort.TINY,
        7,
    ),
    StepTemplate(
        "meet_key_people",
        Phase.ENGAGE,
        "Meet key people",
        "Meet the people who decide and sell on each side: sponsor, sales lead, marketing.",
        OwnerSide.BOTH,
        Effort.SMALL,
        14,
    ),
    StepTemplate(
        "first_account_mapping",
        Phase.ENGAGE,
        "First account mapping",
        "Compare a short list of accounts to find where you can help each other.",
        OwnerSide.BOTH,
        Effort.SMALL,
        14,
    ),
    StepTemplate(
        "first_campaign",
        Phase.ENGAGE,
        "First co-marketing campaign",
        "One small joint campaign: a post, a webinar or an e-mail to a shared audience.",
        OwnerSide.BOTH,
        Effort.MEDIUM,
        21,
        is_milestone=True,
    ),
    StepTemplate(
        "first_customer_feedback",
        Phase.PROVE,
        "First customer feedback",
        "Ask one shared customer what worked and what did not.",
        OwnerSide.PARTNER,
        Effort.SMALL,
        21,
        is_milestone=True,
    ),
    StepTemplate(
        "first_referral",
        Phase.PROVE,
        "First referral",
        "Register the first referral or co-sell opportunity.",
        OwnerSide.PARTNER,
        Effort.MEDIUM,
        30,
        is_milestone=True,
    ),
    StepTemplate(
        "first_revenue",
        Phase.PROVE,
        "First revenue",
        "The first deal closes: celebrate it together.",
        OwnerSide.BOTH,
        Effort.LARGE,
        45,
        is_milestone=True,
    ),
    StepTemplate(
        "quarterly_review",
        Phase.GROW,
        "Quarterly review",
        "Look back together: what worked, what did not, what to try next quarter.",
        OwnerSide.HOST,
        Effort.SMALL,
        30,
    ),
    StepTemplate(
        "joint_event",
        Phase.GROW,
        "Joint event",
        "Run an event together for customers or prospects.",
        OwnerSide.BOTH,
        Effort.LARGE,
        45,
    ),
    StepTemplate(
        "tier_review",
        Phase.GROW,
        "Tier review",
        "Review the partner's tier with what the partnership achieved.",
        OwnerSide.HOST,
        Effort.SMALL,
        30,
    ),
)
