"""How the draft agenda weighs open questions, and the words that say why an item is there.

Pure: no reads, no writes. The "most-wanted" open question is the one with the highest

    wanted = 3 * votes + views / 25 + weeks open (at most 13)

Votes say people want the answer, views say people keep looking for it, and age says the
community has not managed to answer it alone: a quarter-old question with a few votes beats a
brand-new one nobody has read. Age stops counting after 13 weeks (a quarter), so one ancient
question cannot hold the top place for ever. `selectors.wanted_questions` computes the same
sum in SQL (age in whole weeks) so that it orders a community's questions in the database.
"""

from datetime import datetime

VOTE_WEIGHT = 3
VIEWS_PER_POINT = 25
MAX_WEEKS = 13


def wanted_score(*, votes: int, views: int, asked_at: datetime, now: datetime) -> float:
    weeks = min(MAX_WEEKS, max(0, (now - asked_at).days // 7))
    return VOTE_WEIGHT * votes + views / VIEWS_PER_POINT + weeks


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def age_words(asked_at: datetime, now: datetime) -> str:
    """ "today", "3 days ago", "5 weeks ago", "4 months ago"."""
    days = max(0, (now - asked_at).days)
    if days == 0:
        return "today"
    if days < 14:
        return f"{plural(days, 'day')} ago"
    if days < 63:
        return f"{plural(days // 7, 'week')} ago"
    return f"{plural(days // 30, 'month')} ago"


def day_words(when: datetime, now: datetime) -> str:
    """ "3 Nov", with the year when it is not this year's."""
    text = f"{when.day} {when:%b}"
    return text if when.year == now.year else f"{text} {when.year}"


def proposal_reason(*, votes: int, proposer: str | None) -> str:
    reason = plural(votes, "vote")
    return f"{reason}, proposed by {proposer}" if proposer else reason


def question_reason(
    *, votes: int, views: int, answers: int, asked_at: datetime, now: datetime
) -> str:
    """ "4 votes, asked 5 weeks ago, 120 views, no accepted answer"."""
    parts = [plural(votes, "vote")] if votes > 0 else []
    parts.append(f"asked {age_words(asked_at, now)}")
    parts.append(plural(views, "view"))
    parts.append("no answer yet" if answers == 0 else "no accepted answer")
    return ", ".join(parts)


def resource_reason(*, kind_label: str, verify_by: datetime, now: datetime) -> str:
    """ "guide due for review since 3 Nov" (or "on 17 Dec" when it falls due soon)."""
    when = day_words(verify_by, now)
    if verify_by <= now:
        return f"{kind_label.lower()} due for review since {when}"
    return f"{kind_label.lower()} due for review on {when}"
