"""The referrals objects both permission matrices act on (no imports of the matrices)."""

from __future__ import annotations

from typing import Any

from partnerloop.referrals import services


def prepare(world: Any) -> dict[str, Any]:
    """A referral waiting for a decision, an accepted one, and a known account of the host."""
    partner = world.actor("partner_user")
    waiting = services.referral_register(
        actor=partner, partnership=world.partnership, company="Hooli", website="hooli.com"
    )
    accepted = services.referral_register(
        actor=partner, partnership=world.partnership, company="Pied Piper", website="piedpiper.com"
    )
    services.referral_decide(
        actor=world.actor("host_owner"),
        referral=accepted,
        decision="accepted",
        reason="",
        version=accepted.version,
    )
    account = services.known_account_add(
        actor=world.actor("host_owner"), name="Massive Dynamic", website="massivedynamic.com"
    )
    return {
        "referral": waiting.code,
        "accepted_referral": accepted.code,
        "known_account": account.code,
    }
