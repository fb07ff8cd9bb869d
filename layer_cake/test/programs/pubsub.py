"""A publisher and/or subscriber for end-to-end directory tests.

``--publish`` and ``--subscribe`` each take entries ``<text>@<SCOPE>``
separated by commas (``--publish=n@GROUP,h@HOST --subscribe=n|h@HOST``).
The main object publishes the entries one after the other (each waits for
its ``Published``), then creates one subscriber object per search.  With
``--ping=<seconds>`` each subscriber sends ``Enquiry`` to every publisher it
has a session with, that often, and reports each ``Ack``.

Every event is one line on stderr, written in one piece so that lines from
the roles of a group do not mix: ``E2E `` then a JSON object with ``tag``,
``pid``, ``event`` (published, not_published, subscribed, delivered,
available, dropped, ack, cleared) and the event's fields.  Addresses are
given as text, comparable within one process.
"""

import json
import os

import layer_cake as lc

S = lc.ScopeOfDirectory


def report(tag, event, **fields):
    fields.update(tag=tag, pid=os.getpid(), event=event)
    os.write(2, ('E2E %s\n' % (json.dumps(fields, sort_keys=True),)).encode('utf-8'))


def text(value):
    if value is None:
        return None
    if isinstance(value, S):
        return value.name
    if isinstance(value, tuple):
        return repr(tuple(value))
    return str(value)


def entries(given):
    """[(text, scope)] from ``a@HOST,b@GROUP``."""
    found = []
    for entry in (given or '').split(','):
        if entry:
            name, _, scope = entry.rpartition('@')
            found.append((name, S[scope]))
    return found


def session_fields(m):
    return dict(name=m.name, scope=text(m.scope), route_id=text(m.route_id),
                subscribed_id=text(m.subscribed_id), published_id=text(m.published_id))


def subscriber(self, tag: str = None, search: str = None, scope: S = S.HOST,
               ping: float = None):
    lc.subscribe(self, search, scope)
    m = self.input()
    if not isinstance(m, lc.Subscribed):
        report(tag, 'not_subscribed', search=search, note=str(m))
        return m
    report(tag, 'subscribed', search=search, scope=scope.name,
           subscribed_id=text(m.subscribed_id))
    sessions = {}               # route_id -> Available
    if ping:
        self.start(lc.T1, ping, repeating=True)
    while True:
        m = self.input()
        if isinstance(m, lc.Available):
            sessions[m.route_id] = m
            report(tag, 'available', address=text(m.publisher_address),
                   same_return=self.return_address == m.publisher_address,
                   **session_fields(m))
        elif isinstance(m, lc.Dropped):
            sessions.pop(m.route_id, None)
            report(tag, 'dropped', address=text(m.remote_address), **session_fields(m))
        elif isinstance(m, lc.T1):
            for a in list(sessions.values()):
                self.send(lc.Enquiry(), a.publisher_address)
        elif isinstance(m, lc.Ack):
            for a in sessions.values():
                if a.publisher_address == self.return_address:
                    report(tag, 'ack', name=a.name, published_id=text(a.published_id))
                    break
            else:
                report(tag, 'ack', name=None, published_id=None)
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(subscriber)


def pubsub(self, tag: str = 'pubsub', publish: str = None, subscribe: str = None,
           ping: float = None):
    published = {}              # published_id -> name
    for name, scope in entries(publish):
        lc.publish(self, name, scope)
        m = self.input()
        if isinstance(m, lc.Published):
            published[m.published_id] = name
            report(tag, 'published', name=name, scope=scope.name,
                   published_id=text(m.published_id), port=m.listening_ipp.port)
        else:
            report(tag, 'not_published', name=name, scope=scope.name, note=str(m))
    for i, (search, scope) in enumerate(entries(subscribe)):
        self.create(subscriber, '%s/%d' % (tag, i), search, scope, ping)
    while True:
        m = self.input()
        if isinstance(m, lc.Enquiry):
            self.reply(lc.Ack())
        elif isinstance(m, lc.Delivered):
            report(tag, 'delivered', address=text(m.subscriber_address),
                   same_return=self.return_address == m.subscriber_address,
                   **session_fields(m))
        elif isinstance(m, lc.Dropped):
            report(tag, 'dropped', address=text(m.remote_address), **session_fields(m))
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(pubsub)

if __name__ == '__main__':
    lc.create(pubsub)
