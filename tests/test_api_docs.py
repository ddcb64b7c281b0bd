# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The examples of docs/api.md, run against a real trytond server.

docs/api.md marks its runnable examples with an HTML comment on the line
before the code fence::

    <!-- example: NAME -->              a runnable block
    <!-- example: NAME uses=A,B -->     runs after the blocks A and B
    <!-- example-settings -->           SERVER, DATABASE, PASSWORD

Each example runs in its own Python process, in document order, against a
copy of the demo database served by ``trytond`` (``tests/rpc_server.py``).
Its code is preceded by the settings block, whose values are replaced by
the test server's, and by the blocks it ``uses``.  Every example asserts
what the server answered, so a wrong example fails here.  A process of its
own means an ``xmlrpc.client`` example gets no help from the marshallers
proteus registers when it is imported.
"""
import ast
import os
import re
import subprocess
import sys
import unittest

from rpc_server import ROOT, DemoServer
from test_security import road_trip

from otwb_tools.demo_data import DEMO_PASSWORD

DOC = os.path.join(ROOT, 'docs', 'api.md')
SETTINGS = ('SERVER', 'DATABASE', 'PASSWORD')
MARK = re.compile(
    r'^<!-- (example-settings|example: ([\w-]+)(?: uses=([\w,-]+))?) -->$')


def read_examples(path=DOC):
    """(settings code, [(name, uses, code)]) of the marked ```python
    blocks, in document order"""
    with open(path, encoding='utf-8') as fp:
        lines = fp.read().splitlines()
    settings, examples, names = None, [], set()
    for index, line in enumerate(lines):
        match = MARK.match(line.strip())
        if not match:
            continue
        if lines[index + 1].strip() != '```python':
            raise ValueError("line %d: the mark must precede a ```python "
                "block" % (index + 1))
        end = lines.index('```', index + 2)
        code = '\n'.join(lines[index + 2:end]) + '\n'
        if match.group(1) == 'example-settings':
            settings = code
            continue
        name = match.group(2)
        uses = [u for u in (match.group(3) or '').split(',') if u]
        if name in names:
            raise ValueError("example %r is defined twice" % name)
        unknown = [u for u in uses if u not in names]
        if unknown:
            raise ValueError("example %r uses %s, not defined before it"
                % (name, unknown))
        names.add(name)
        examples.append((name, uses, code))
    return settings, examples


def settings_names(code):
    "The names the settings block assigns"
    names = set()
    for node in ast.parse(code).body:
        if isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets
                if isinstance(t, ast.Name))
    return names


class APIDocsTestCase(unittest.TestCase):
    "Every marked example of docs/api.md against a running trytond"

    @classmethod
    def setUpClass(cls):
        cls.settings, cls.examples = read_examples()
        cls.blocks = {name: code for name, _, code in cls.examples}
        cls.demo = DemoServer('otwb_apidoc')
        cls.demo.build()
        cls.demo.start()
        # the tracking examples need a trip on the road (own fleet: the
        # demo integration user is bound to no carrier)
        admin = cls.demo.login('otwb_admin', DEMO_PASSWORD)
        road_trip(admin)

    @classmethod
    def tearDownClass(cls):
        cls.demo.cleanup()

    def prelude(self):
        values = {
            'SERVER': 'http://127.0.0.1:%d' % self.demo.port,
            'DATABASE': self.demo.database,
            'PASSWORD': DEMO_PASSWORD,
            }
        return self.settings + ''.join(
            '%s = %r\n' % item for item in values.items())

    def run_example(self, name):
        uses, code = next((u, c) for n, u, c in self.examples if n == name)
        script = '\n'.join([self.prelude()]
            + [self.blocks[u] for u in uses] + [code])
        env = {k: v for k, v in os.environ.items()
            if not k.startswith(('TRYTOND_', 'DB_'))}
        process = subprocess.run([sys.executable, '-c', script], env=env,
            cwd=self.demo.tmp.name, capture_output=True, text=True,
            timeout=600)
        if process.returncode:
            self.fail("example %r failed:\n%s\n--- server log (end)\n%s" % (
                    name, process.stderr[-4000:],
                    self.demo.server_log()[-3000:]))


def _add_tests():
    "One test per example, numbered in document order"
    _, examples = read_examples()
    for number, (name, _, _) in enumerate(examples, 1):
        def test(self, name=name):
            self.run_example(name)
        test.__doc__ = "docs/api.md example %s" % name
        setattr(APIDocsTestCase, 'test_%02d_%s' % (
                number, name.replace('-', '_')), test)


class DocFormatTestCase(unittest.TestCase):
    "The marks of docs/api.md are well-formed (no server needed)"

    def test_settings(self):
        settings, examples = read_examples()
        self.assertIsNotNone(settings, "no <!-- example-settings --> block")
        self.assertEqual(settings_names(settings), set(SETTINGS))
        self.assertTrue(examples)

    def test_every_python_block_is_marked(self):
        "A ```python block of the reference is run, or says why not"
        with open(DOC, encoding='utf-8') as fp:
            lines = fp.read().splitlines()
        for index, line in enumerate(lines):
            if line.strip() == '```python':
                previous = lines[index - 1].strip()
                self.assertTrue(MARK.match(previous)
                    or previous == '<!-- not run: a fragment -->',
                    "docs/api.md line %d: unmarked python block"
                    % (index + 1))


_add_tests()
