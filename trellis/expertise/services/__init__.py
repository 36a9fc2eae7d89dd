"""Every write of the expertise domain, by subject: callers import the module they need
(`from trellis.expertise.services import routing`).

- `availability`: a person's own say in being asked.
- `endorsements`: colleagues vouching for what someone knows.
- `evidence`: rebuilding people's evidence from their answers and guides.
- `topics`: learning topics from the questions, and forgetting them.
- `routing`: asking people about a question, their passes, escalation, answered and closed.
"""
