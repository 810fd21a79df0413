"""Deliberation: threads and comments on anything that is decided, moderation, and notifications.

Other domains use :func:`govern.deliberation.services.notify` to tell members about
their things, and include ``templates/deliberation/_thread.html`` (with
``thread_subject`` set, e.g. "proposal:12") to show a thread on their own pages.
"""
