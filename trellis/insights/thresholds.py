"""The level thresholds an organisation configures (TRELLIS_PARTICIPATION_* settings)."""

from django.conf import settings

from trellis.insights.levels import Thresholds


def configured_thresholds() -> Thresholds:
    return Thresholds(
        window_months=settings.TRELLIS_PARTICIPATION_WINDOW_MONTHS,
        core_contributions=settings.TRELLIS_PARTICIPATION_CORE_CONTRIBUTIONS,
        active_contributions=settings.TRELLIS_PARTICIPATION_ACTIVE_CONTRIBUTIONS,
        transactional_actions=settings.TRELLIS_PARTICIPATION_TRANSACTIONAL_ACTIONS,
        facilitation_weight=settings.TRELLIS_PARTICIPATION_FACILITATION_WEIGHT,
    )
