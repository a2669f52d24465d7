from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "partnerloop.plans"
    label = "plans"

    def ready(self) -> None:
        # Milestones reached are evidence of a partnership that works (the IPP test).
        from partnerloop.fit.outcomes import SIGNALS
        from partnerloop.plans.outcomes import MilestoneSignal

        if not any(signal.name == MilestoneSignal.name for signal in SIGNALS):
            SIGNALS.append(MilestoneSignal())
