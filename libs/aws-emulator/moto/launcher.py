"""moto's server, with the three fixes Contact Refinery's stacks need, then moto's own `main`.

1. Events EventBridge delivers to a target without an input transformer are the whole event, `account` included (moto's
   default template leaves `account` out, and our handlers check the envelope).
2. That default case is answered without jsonpath: moto parses eight jsonpath expressions per target per event, which
   made every PutEvents to a rule with a queue target take about half a second.
3. A scheduled rule (ScheduleExpression, no EventPattern) matches no event, as on AWS: moto takes its empty pattern for
   "every event" and then fails on its Lambda target, which stopped S3's events from reaching the other rules of the
   default bus. (The emulator runs schedules itself.)

Usage: python3 launcher.py [moto_server options], e.g. `-H 127.0.0.1 -p 4566`.
"""

import sys

import moto.events.utils as utils

_parse = utils.EventTemplateParser.parse
_FIELDS = ("version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail")


def _parse_event(input_template, input_paths_map, event):
    if not input_template and not input_paths_map:
        return {field: event[field] for field in _FIELDS if field in event}
    return _parse(input_template, input_paths_map, event)


utils.EventTemplateParser.parse = staticmethod(_parse_event)

import moto.events.models as models  # noqa: E402

_send_to_targets = models.Rule.send_to_targets


def _send_to_targets_unless_scheduled(self, original_event, transform_input=True):
    if self.scheduled_expression:
        return None
    return _send_to_targets(self, original_event, transform_input)


models.Rule.send_to_targets = _send_to_targets_unless_scheduled

from moto.server import main  # noqa: E402  (after the patch, so the server uses it)

sys.exit(main(sys.argv[1:]))
