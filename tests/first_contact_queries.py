"""Twenty "who knows" questions a first-time user of the demo would type, written before any
tuning of the demo's knowledge or of "who knows" (issue 15), and not changed since.

Each names the communities and departments whose people would be a fitting answer: a person
fits when they belong to (lead, facilitate, are core in or are a member of) one of the
communities, or work in one of the departments.
"""

from typing import NamedTuple


class WhoKnowsQuery(NamedTuple):
    text: str
    communities: frozenset[str]
    departments: frozenset[str]


def _q(text: str, communities: str, departments: str) -> WhoKnowsQuery:
    return WhoKnowsQuery(text, frozenset(communities.split()), frozenset(departments.split()))


WHO_KNOWS_QUERIES: tuple[WhoKnowsQuery, ...] = (
    _q("making pages work with screen readers", "accessibility frontend", "design web mobile"),
    _q("helm rollback after a failed upgrade", "kubernetes", "platform"),
    _q("dbt incremental model keeps duplicating rows", "data-analytics", "data"),
    _q("pytest fixture makes tests flaky", "python", "data platform web engineering"),
    _q(
        "why customers churn, from the reasons in Salesforce",
        "customer-voice",
        "customer-success support sales",
    ),
    _q("renewing TLS certificates with cert-manager", "kubernetes", "platform security"),
    _q("recruiting participants for a usability test", "ux-design", "design"),
    _q(
        "how many users do I need for an A/B test",
        "product-management data-analytics",
        "product data",
    ),
    _q("React component re-renders too often", "frontend", "web product-engineering mobile"),
    _q("writing a runbook people actually follow", "docs-writing", "platform support"),
    _q(
        "a retrospective format that leads to change",
        "ways-of-working",
        "product operations engineering people",
    ),
    _q("fine-tuning a language model with LoRA", "ml-reading-group", "data"),
    _q("backfilling an Airflow DAG", "data-analytics", "data"),
    _q("colour contrast in our brand palette", "accessibility ux-design", "design marketing"),
    _q("tagging Zendesk tickets consistently", "customer-voice", "support customer-success"),
    _q("Terraform state is locked", "kubernetes", "platform"),
    _q("a roadmap without dates", "product-management", "product"),
    _q("asyncio code blocks the event loop", "python", "data platform web"),
    _q("Figma component variants for the design system", "ux-design frontend", "design"),
    _q("a Looker explore for the finance team", "data-analytics", "data finance"),
)
