"""The built-in starting IPP: a dozen criteria in both directions, meant to be edited."""

from __future__ import annotations

from typing import Any

from partnerloop.fit.models import AnswerKind, Dimension, Direction

YES_NO = AnswerKind.YES_NO
SCALE = AnswerKind.SCALE
CHOICE = AnswerKind.CHOICE
NUMBER = AnswerKind.NUMBER

TEMPLATE_CRITERIA: list[dict[str, Any]] = [
    # Why they fit us.
    {
        "key": "customer-overlap",
        "question": "Do they sell to the same customers we sell to?",
        "help_text": (
            "Same industries, company sizes and buyer roles. Account mapping makes it concrete."
        ),
        "direction": Direction.OURS,
        "dimension": Dimension.CUSTOMER_OVERLAP,
        "answer_kind": CHOICE,
        "options": [
            {"label": "Mostly the same customers", "points": 100},
            {"label": "Some overlap", "points": 60},
            {"label": "Little overlap", "points": 20},
            {"label": "None", "points": 0},
        ],
        "weight": 5,
        "improvement_step": "Run a first account mapping to find ten shared accounts.",
    },
    {
        "key": "complementary-offer",
        "question": "How well does their offer complement ours without competing?",
        "help_text": "1 = they compete with us, 5 = our customers need both.",
        "direction": Direction.OURS,
        "dimension": Dimension.COMPLEMENTARY_OFFER,
        "answer_kind": SCALE,
        "weight": 4,
        "knock_out": False,
        "improvement_step": "Write a one-page joint value proposition together.",
    },
    {
        "key": "no-direct-competition",
        "question": "Are we free of direct competition with them?",
        "help_text": "Answer no if they sell a product that replaces ours.",
        "direction": Direction.OURS,
        "dimension": Dimension.COMPLEMENTARY_OFFER,
        "answer_kind": YES_NO,
        "weight": 3,
        "knock_out": True,
    },
    {
        "key": "go-to-market",
        "question": "Do they have a sales or services team that talks to our buyers?",
        "direction": Direction.OURS,
        "dimension": Dimension.GO_TO_MARKET,
        "answer_kind": SCALE,
        "weight": 3,
        "improvement_step": "Hold a 30-minute enablement call with their sales team.",
    },
    {
        "key": "geography",
        "question": "Do they cover the regions we want to grow in?",
        "direction": Direction.OURS,
        "dimension": Dimension.GEOGRAPHY,
        "answer_kind": CHOICE,
        "options": [
            {"label": "Our priority regions", "points": 100},
            {"label": "Some of them", "points": 50},
            {"label": "Other regions only", "points": 10},
        ],
        "weight": 2,
    },
    {
        "key": "executive-sponsor",
        "question": "Is there an executive sponsor on their side?",
        "help_text": "Someone senior who wants this partnership to work.",
        "direction": Direction.OURS,
        "dimension": Dimension.MOTIVATION,
        "answer_kind": YES_NO,
        "weight": 4,
        "improvement_step": "Ask their partner manager to introduce us to an executive sponsor.",
    },
    {
        "key": "partner-capacity",
        "question": "How many people on their side can work on the partnership?",
        "direction": Direction.OURS,
        "dimension": Dimension.CAPACITY,
        "answer_kind": NUMBER,
        "options": [
            {"min": None, "max": 1, "points": 0},
            {"min": 1, "max": 2, "points": 50},
            {"min": 2, "max": 5, "points": 80},
            {"min": 5, "max": None, "points": 100},
        ],
        "weight": 2,
        "improvement_step": "Agree on one named person per side and a 30-minute monthly slot.",
    },
    {
        "key": "reputation",
        "question": "How do customers and peers speak of them?",
        "direction": Direction.OURS,
        "dimension": Dimension.CULTURE,
        "answer_kind": SCALE,
        "weight": 2,
        "knock_out": False,
    },
    # Why we fit them.
    {
        "key": "their-customer-demand",
        "question": "Do your customers ask for what we offer?",
        "direction": Direction.THEIRS,
        "dimension": Dimension.CUSTOMER_OVERLAP,
        "answer_kind": SCALE,
        "weight": 5,
        "improvement_step": "Share two customer stories where both products were used.",
    },
    {
        "key": "their-revenue-opportunity",
        "question": "Can working with us bring you revenue in the next 12 months?",
        "direction": Direction.THEIRS,
        "dimension": Dimension.GO_TO_MARKET,
        "answer_kind": CHOICE,
        "options": [
            {"label": "Yes, clearly", "points": 100},
            {"label": "Probably", "points": 60},
            {"label": "Not yet", "points": 20},
        ],
        "weight": 4,
        "improvement_step": "Agree on a first joint offer for one customer segment.",
    },
    {
        "key": "their-ease",
        "question": "How easy is it for your team to work with us?",
        "help_text": "1 = hard (slow answers, unclear terms), 5 = easy.",
        "direction": Direction.THEIRS,
        "dimension": Dimension.CAPACITY,
        "answer_kind": SCALE,
        "weight": 3,
        "improvement_step": "Name one contact on our side who answers within a day.",
    },
    {
        "key": "their-sponsor",
        "question": "Does your leadership support this partnership?",
        "direction": Direction.THEIRS,
        "dimension": Dimension.MOTIVATION,
        "answer_kind": YES_NO,
        "weight": 3,
        "improvement_step": "Offer a short call between both sides' leaders.",
    },
    {
        "key": "their-values",
        "question": "Do you trust how we treat customers and partners?",
        "direction": Direction.THEIRS,
        "dimension": Dimension.CULTURE,
        "answer_kind": YES_NO,
        "weight": 2,
        "knock_out": True,
    },
]
