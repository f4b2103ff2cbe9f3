"""
The embedded local stack's moto server: `python local/moto_server.py -H 127.0.0.1 -p PORT` (local/moto.ts starts it
so). It is moto's own server (`python -m moto.server`, same arguments, same answers) with two changes that only make
it faster when many requests arrive at once, as in the reliability suites and the bench's scale levels:

- moto looks up which service a request is for under one lock shared by every request thread, and that lookup lists
  moto's package folder on disk (one `isdir` per service, about 200) each time. The list never changes while the
  server runs, so it is read once.
- moto reads one EC2 resource's tags (to render it, or to match a `tag:` filter) by scanning every tag of every
  resource in the account with a regular expression per tag, so a Describe that filters by tag costs resources x
  tags: at 100 provisionings in one account, millions of matches per call. A lookup for one literal resource ID (no
  wildcard) reads that resource's tags directly; the answer is the same (the expression anchors both ends, so it
  could only ever match that ID). Any other filter goes to moto's own scan.
- werkzeug logs every request to stderr under the logging lock; nobody reads those lines (local/moto.ts keeps only
  the last few KB of stderr, for start-up errors). Only warnings and errors are logged.

Measured with a sampling profiler at 25 provisionings at once: most request threads were waiting on that lock or on
the logging lock, and moto's own work was about 15% of the samples (docs/bench.md, Scale). Anything here that a later
moto no longer has is skipped, and the server runs as `python -m moto.server` would.
"""
import logging
import sys

from moto import backends
from moto.server import main

try:
    _MODULES = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: _MODULES
except AttributeError:  # a moto without it: nothing to cache
    pass
try:
    from moto.ec2.models.tags import TagBackend
    from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix

    _scan_tags = TagBackend.describe_tags

    def _describe_tags(self, filters=None):
        ids = filters.get("resource-id") if filters is not None and set(filters) == {"resource-id"} else None
        if ids is not None and len(ids) == 1 and not any(c in ids[0] for c in "*?["):
            rid = ids[0]
            kind = EC2_PREFIX_TO_RESOURCE.get(get_prefix(rid), "")
            return [{"resource_id": rid, "key": k, "value": v, "resource_type": kind} for k, v in self.tags.get(rid, {}).items()]
        return _scan_tags(self, filters)

    TagBackend.describe_tags = _describe_tags
except (ImportError, AttributeError):  # a moto laid out otherwise: its own scan
    pass
logging.getLogger("werkzeug").setLevel(logging.WARNING)

if __name__ == "__main__":
    main(sys.argv[1:])
