from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "partnerloop.referrals"
    label = "referrals"

    def ready(self) -> None:
        # A won referral is the plainest evidence of a partnership that works (IPP test).
        from partnerloop.fit.outcomes import SIGNALS
        from partnerloop.referrals.outcomes import ReferralSignal

        if not any(signal.name == ReferralSignal.name for signal in SIGNALS):
            SIGNALS.append(ReferralSignal())
