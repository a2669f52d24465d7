from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "partnerloop.activities"
    label = "activities"

    def ready(self) -> None:
        # Activities that worked are evidence of a partnership that works (the IPP test).
        from partnerloop.activities.outcomes import ActivitySignal
        from partnerloop.fit.outcomes import SIGNALS

        if not any(signal.name == ActivitySignal.name for signal in SIGNALS):
            SIGNALS.append(ActivitySignal())
