"""What communities announce about joining, so that notifications (a layer above) can tell people.

Communities may not import notifications; each service below calls its hook with the facts, and
notifications connects its handlers in its `AppConfig.ready` (see core/hooks.py for why hooks
rather than signals).
"""

from trellis.core.hooks import Hook

join_requested = Hook("join_requested")
"""Someone asked to join a private community (join_request: a new JoinRequest): its core team
should hear of it."""

join_request_decided = Hook("join_request_decided")
"""A leader approved or declined a request (join_request, with its status and decided_by set):
the person who asked should hear the answer."""
