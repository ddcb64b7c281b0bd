# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""A demo database served by a real ``trytond`` process, for RPC tests.

Builds the demo database on the backend under test (SQLite file or
PostgreSQL, from ``TRYTOND_DATABASE_URI``), starts ``trytond`` on a free
loopback port and logs users in over XML-RPC.  No part of the server, the
database or the network is replaced by a mock.
"""
import base64
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import xmlrpc.client

from otwb_tools import demo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class SessionTransport(xmlrpc.client.Transport):
    def __init__(self, token):
        super().__init__()
        self.token = token

    def send_headers(self, connection, headers):
        connection.putheader('Authorization', 'Session ' + self.token)
        super().send_headers(connection, headers)


class DemoServer:
    "A demo database and a trytond process serving it on loopback"

    def __init__(self, name, extra_config='', web_root=None):
        self.tmp = tempfile.TemporaryDirectory()
        self.uri = os.environ.get('TRYTOND_DATABASE_URI', 'sqlite://')
        self.port = free_port()
        self.database = '%s_%d' % (name, os.getpid())
        self.config = os.path.join(self.tmp.name, 'trytond.conf')
        with open(self.config, 'w') as fp:
            fp.write('[database]\nuri = %s\n' % self.uri)
            if self.uri.startswith('sqlite'):
                fp.write('path = %s\n' % self.tmp.name)
            fp.write('[web]\nlisten = 127.0.0.1:%d\n' % self.port)
            if web_root:
                fp.write('root = %s\n' % web_root)
            fp.write('[session]\nmax_attempt = 5\n')
            fp.write(extra_config)
        self.env = {k: v for k, v in os.environ.items()
            if not k.startswith(('TRYTOND_', 'DB_'))}
        self.server = None
        self.log = None

    def build(self):
        """Create the database and load the demo data and flow (copied
        from the first one this process built)"""
        if _copy_built(self):
            return
        old = dict(os.environ)
        os.environ.clear()
        os.environ.update(self.env)
        if self.uri.startswith('sqlite'):
            os.environ['TRYTOND_DATABASE__PATH'] = self.tmp.name
        try:
            demo.create_database(self.config, self.database, 'en')
            subprocess.run([sys.executable, '-c',
                    'import sys; from otwb_tools import demo; '
                    'demo.load_and_run(sys.argv[1], sys.argv[2], 1)',
                    self.config, self.database],
                env=os.environ.copy(), check=True, cwd=ROOT,
                stdout=subprocess.DEVNULL)
        finally:
            os.environ.clear()
            os.environ.update(old)
        _keep_built(self)

    def start(self, workers=None):
        """Serve the database: with Tryton's own server (one process,
        threads), or with workers: gunicorn with that many processes
        running Tryton's WSGI application, as docs/deployment.md does"""
        self.log = open(os.path.join(self.tmp.name, 'server.log'), 'a')
        bin_ = os.path.dirname(sys.executable)
        env = self.env
        if workers:
            command = [os.path.join(bin_, 'gunicorn'),
                '--bind', '127.0.0.1:%d' % self.port,
                '--workers', str(workers), 'trytond.application:app']
            env = dict(env, TRYTOND_CONFIG=self.config,
                TRYTOND_DATABASE_NAMES=self.database)
        else:
            command = [os.path.join(bin_, 'trytond'),
                '-c', self.config, '-d', self.database]
        self.server = subprocess.Popen(command,
            env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(
                    'http://127.0.0.1:%d/' % self.port, timeout=2)
                break
            except urllib.error.HTTPError:
                break  # it answers (405 for GET / without the web client)
            except OSError:
                if self.server.poll() is not None:
                    raise RuntimeError("trytond stopped: see %s"
                        % self.log.name)
                time.sleep(0.5)
        self.url = 'http://127.0.0.1:%d/%s/rpc/' % (self.port, self.database)

    def stop(self):
        if self.server:
            self.server.terminate()
            self.server.wait(10)
            self.server = None
        if self.log:
            self.log.close()
            self.log = None

    def cleanup(self):
        self.stop()
        self.tmp.cleanup()
        if self.uri.startswith('postgresql'):
            import psycopg
            with psycopg.connect(self.uri.rstrip('/') + '/postgres',
                    autocommit=True) as conn:
                conn.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)'
                    % self.database)

    def server_log(self):
        with open(os.path.join(self.tmp.name, 'server.log')) as fp:
            return fp.read()

    def login(self, login, password):
        "An XML-RPC proxy with a session of that user"
        proxy = xmlrpc.client.ServerProxy(self.url, allow_none=True)
        user_id, session = proxy.common.db.login(
            login, {'password': password}, 'en')[:2]
        token = base64.b64encode(
            ('%s:%s:%s' % (login, user_id, session)).encode()).decode()
        return xmlrpc.client.ServerProxy(
            self.url, transport=SessionTransport(token), allow_none=True)


# The first demo database built by this process, kept for the next ones:
# {uri: SQLite file or PostgreSQL template}.  Building one takes minutes.
_BUILT = {}


def _sqlite_file(server):
    return os.path.join(server.tmp.name, server.database + '.sqlite')


def _pg_execute(uri, *queries):
    import psycopg
    with psycopg.connect(uri.rstrip('/') + '/postgres',
            autocommit=True) as conn:
        for query in queries:
            conn.execute(query)


def _keep_built(server):
    import atexit
    import shutil
    if server.uri in _BUILT:
        return
    if server.uri.startswith('sqlite'):
        keep = tempfile.TemporaryDirectory(prefix='otwb-demo-')
        copy = os.path.join(keep.name, 'demo.sqlite')
        shutil.copyfile(_sqlite_file(server), copy)
        atexit.register(keep.cleanup)
        _BUILT[server.uri] = copy
    elif server.uri.startswith('postgresql'):
        template = 'otwb_demo_template_%d' % os.getpid()
        _pg_execute(server.uri,
            'DROP DATABASE IF EXISTS "%s"' % template,
            'CREATE DATABASE "%s" TEMPLATE "%s"' % (
                template, server.database))
        atexit.register(_pg_execute, server.uri,
            'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % template)
        _BUILT[server.uri] = template


def _copy_built(server):
    "Give server a copy of the demo database built before; False if none"
    import shutil
    built = _BUILT.get(server.uri)
    if not built:
        return False
    if server.uri.startswith('sqlite'):
        shutil.copyfile(built, _sqlite_file(server))
    else:
        _pg_execute(server.uri,
            'DROP DATABASE IF EXISTS "%s"' % server.database,
            'CREATE DATABASE "%s" TEMPLATE "%s"' % (
                server.database, built))
    return True


_SHARED = None


def shared():
    """The demo server shared by the RPC test modules of this process
    (built once; stopped when the process exits)"""
    global _SHARED
    if _SHARED is None:
        import atexit
        server = DemoServer('otwb_rpc_shared')
        server.build()
        server.start()
        atexit.register(server.cleanup)
        _SHARED = server
    return _SHARED
