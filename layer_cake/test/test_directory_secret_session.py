"""Publisher sessions of a secured directory: a subscriber's process must prove the
directory secret to the publisher's session listener before OpenLoop is honoured."""

import os

import layer_cake as lc
from layer_cake.directory import secret as SECRET
from layer_cake.directory.service import process_directory
from layer_cake.runtime import engine
from layer_cake.test.support import RuntimeTestCase
from layer_cake.test.test_directory_session import (offered_session, start_publisher,
                                                    wait_failed_session)

S = lc.ScopeOfDirectory


class SecuredSessions(RuntimeTestCase):

    def setUp(self):
        RuntimeTestCase.setUp(self)
        d = os.path.abspath(self.mktemp())
        os.makedirs(d)
        self.secret_path = os.path.join(d, 'secret')
        with open(self.secret_path, 'wb') as f:
            f.write(b'publisher and subscriber know this')
        os.chmod(self.secret_path, 0o600)

    def publisher(self, name):
        return start_publisher(self, name, env={SECRET.SECRET_VARIABLE: self.secret_path})

    def use_secret(self, secret):
        d = process_directory()
        before = d.secret
        engine.call_and_wait(setattr, d, 'secret', secret)
        self.addCleanup(engine.call_and_wait, setattr, d, 'secret', before)

    def offer(self, name, published_id, port):
        return offered_session(self, name, published_id, port, scope=S.LAN, expect=None)[0]

    def test_same_secret(self):
        """With the publisher's secret, the session opens and carries messages."""
        self.use_secret(SECRET.read_secret(self.secret_path))
        child, published_id, port = self.publisher('guarded')
        ch = self.offer('guarded', published_id, port)
        a, _ = self.receive(ch, lc.Available)
        child.line_starting('delivered')
        ch.send(lc.Enquiry(), a.publisher_address)
        self.receive(ch, lc.Ack)

    def test_no_secret(self):
        """Without a secret the subscriber's connection is refused: no Available, the
        session is listed as failed, the publisher sees no Delivered."""
        self.use_secret(None)
        child, published_id, port = self.publisher('guarded')
        ch = self.offer('guarded', published_id, port)
        wait_failed_session(self, ch)

    def test_wrong_secret(self):
        """With another secret the handshake fails at the publisher's listener: the
        session is listed as failed with the reason."""
        self.use_secret(SECRET.DirectorySecret(b'not the one'))
        child, published_id, port = self.publisher('guarded')
        ch = self.offer('guarded', published_id, port)
        wait_failed_session(self, ch)
