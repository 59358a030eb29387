"""moto's server, with the three fixes Contact Refinery's stacks need, then moto's own `main`.

1. Events EventBridge delivers to a target without an input transformer are the whole event, `account` included (moto's
   default template leaves `account` out, and our handlers check the envelope).
2. That default case is answered without jsonpath: moto parses eight jsonpath expressions per target per event, which
   made every PutEvents to a rule with a queue target take about half a second.
3. A scheduled rule (ScheduleExpression, no EventPattern) matches no event, as on AWS: moto takes its empty pattern for
   "every event" and then fails on its Lambda target, which stopped S3's events from reaching the other rules of the
   default bus. (The emulator runs schedules itself.)
4. TransactWriteItems keeps, for its rollback, a copy of the items it writes, not of their whole tables: moto deep-copies
   the whole table once per write of the transaction, so each transaction cost time and memory in proportion to every
   item of the table, and a 2,000-chunk job (each history event one transaction) grew moto past 9 GB before half of it
   was done. A failed transaction still leaves every item as it was (the Table contract's transact part checks it).
5. A jsonpath expression is parsed once, not once per use: jsonpath_ng builds its whole yacc parser (reading its own
   source through `inspect`) on every parse, and moto parses the eight default input paths for every event it archives
   (the archive's target has an input template), so every PutEvents paid it: about 15 % of moto's time in a scale run.
6. The backend a request is for is looked up without listing moto's package directory: moto lists it (`os.listdir`
   and an `isdir` per entry) on every request, under the lock every request thread takes.
7. No line per request on moto's output (werkzeug's request log): nothing reads it, and writing it serialized the
   request threads on the logging lock (about 15 % of the samples).
8. DynamoDB's operations run one at a time (see the lock below).

Together 5-7 about halve moto's time per request; moto is one process bound by one core (Python's GIL), and in the
scale and fairness benches it is the part of the emulated stage that saturates first (docs/scale.md).

Usage: python3 launcher.py [moto_server options], e.g. `-H 127.0.0.1 -p 4566`.
"""

import functools
import logging
import sys
import threading

import jsonpath_ng.ext

jsonpath_ng.ext.parse = functools.lru_cache(maxsize=1024)(jsonpath_ng.ext.parse)

import moto.backends as backends  # noqa: E402

_MOTO_MODULES = tuple(backends.list_of_moto_modules())
backends.list_of_moto_modules = lambda: iter(_MOTO_MODULES)

logging.getLogger("werkzeug").setLevel(logging.WARNING)

import moto.events.utils as utils  # noqa: E402

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

import copy  # noqa: E402

import moto.dynamodb.models as dynamodb_models  # noqa: E402
from moto.dynamodb.exceptions import (  # noqa: E402
    MockValidationException,
    MultipleTransactionsException,
    TransactionCanceledException,
)
from moto.dynamodb.models.table import Table  # noqa: E402


class _TablesNotCopied:
    """moto's `copy` in its DynamoDB backend module: a table is its own "backup" (see _transact_write_items)."""

    @staticmethod
    def deepcopy(value, memo=None):
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    def __getattr__(self, name):
        return getattr(copy, name)


dynamodb_models.copy = _TablesNotCopied()
_transact_write_items = dynamodb_models.DynamoDBBackend.transact_write_items


def _key_of(backend, op_type, op):
    if op_type != "Put":
        return op.get("Key")
    table = backend.get_table(op["TableName"])
    attrs = op["Item"]
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


def _transact_write_items_copying_items(self, transact_items):
    before = []
    for item in transact_items:
        try:
            op_type, op = next(iter(item.items()))
            key = _key_of(self, op_type, op)
            current = self.get_item(op["TableName"], key)
            before.append((op["TableName"], key, None if current is None else current.to_json()["Attributes"]))
        except Exception:  # an invalid write: moto's own code below refuses it, with its own error
            continue
    try:
        _transact_write_items(self, transact_items)
    except (TransactionCanceledException, MultipleTransactionsException, MockValidationException):
        for table_name, key, attributes in reversed(before):
            if attributes is None:
                self.delete_item(table_name, key)
            else:
                self.put_item(table_name, copy.deepcopy(attributes))
        raise


dynamodb_models.DynamoDBBackend.transact_write_items = _transact_write_items_copying_items

# 8. One DynamoDB operation at a time: moto's server answers each request in a thread of its own and its DynamoDB
#    backend has no lock, so a conditional write (check, then write) or a transaction (copy, check, write, maybe
#    restore) could interleave with another thread's write between its steps, which DynamoDB never lets happen. A
#    reentrant lock, because a transaction's own steps call the backend's get and put.
_dynamodb_lock = threading.RLock()


def _one_at_a_time(method):
    @functools.wraps(method)
    def locked(self, *args, **kwargs):
        with _dynamodb_lock:
            return method(self, *args, **kwargs)

    return locked


for _operation in (
    "put_item",
    "get_item",
    "update_item",
    "delete_item",
    "query",
    "scan",
    "batch_get_item",
    "batch_write_item",
    "transact_get_items",
    "transact_write_items",
):
    setattr(dynamodb_models.DynamoDBBackend, _operation, _one_at_a_time(getattr(dynamodb_models.DynamoDBBackend, _operation)))

from moto.server import main  # noqa: E402  (after the patch, so the server uses it)

sys.exit(main(sys.argv[1:]))
