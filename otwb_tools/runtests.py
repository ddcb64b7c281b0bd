# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Run the whole test suite on SQLite and the database tests on PostgreSQL.

PostgreSQL is looked for at ``OTWB_POSTGRESQL_URI`` (default
``postgresql://postgres@127.0.0.1:5432/``).  It is mandatory when ``CI`` or
``OTWB_REQUIRE_POSTGRESQL`` is set: a missing server then fails the run.

The SQLite pass runs everything.  The PostgreSQL pass runs what depends on
the database: every business scenario of the modules (their SQL, locks and
constraints), the concurrency and crash tests (several processes, only
there), the whole flow, the KPI and reporting queries and the RPC server.
It leaves out what does not touch the database's behaviour: the plain
engine tests, the modules' generic checks (``test_module``: views, fields,
buttons), translations, view rendering rules, the browser journeys, the
RPC access matrix and fuzzing (Tryton's access layer sits above the
backend) and the examples of docs/api.md.  ``--postgresql-all`` runs the
whole suite there too.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_PG = 'postgresql://postgres@127.0.0.1:5432/'


def postgresql_reachable(uri):
    try:
        import psycopg
        with psycopg.connect(uri.rstrip('/') + '/postgres',
                connect_timeout=5):
            return True
    except Exception as exc:  # noqa: BLE001 - any failure means no server
        print("PostgreSQL not reachable at %s: %s" % (uri, exc))
        return False


def drop_template_cache(uri):
    "Drop the template databases Tryton's test cache created"
    import psycopg
    with psycopg.connect(uri.rstrip('/') + '/postgres',
            autocommit=True) as conn:
        names = [r[0] for r in conn.execute(
                "SELECT datname FROM pg_database "
                "WHERE datname LIKE 'test-%'")]
        for name in names:
            conn.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)


_print_lock = threading.Lock()
# left out of the PostgreSQL pass (see above)
POSTGRESQL_SKIP = [
    '*test_engine_*', '*/test_module.py', 'tests/test_activation.py',
    'tests/test_api_docs.py', 'tests/test_browser.py',
    'tests/test_rpc_fuzz.py',
    'tests/test_security.py', 'tests/test_translations.py',
    'tests/test_web_views.py']


def run_pytest(name, env, args):
    """Run pytest, streaming its output (each line prefixed with the
    backend's name); return (exit code, counts)"""
    # the slowest tests in the log: where CI's time goes
    cmd = [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
        '--durations=30'] + args
    with _print_lock:
        print("\n=== %s: %s" % (name, ' '.join(cmd[3:])), flush=True)
    process = subprocess.Popen(cmd, env=env, cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        bufsize=1)
    last = ''
    for line in process.stdout:
        with _print_lock:
            sys.stdout.write('[%s] %s' % (name, line))
            sys.stdout.flush()
        if line.strip():
            last = line
    code = process.wait()
    # pytest's closing line, e.g. "3 failed, 120 passed, 30353 subtests
    # passed in 12.3s": count test cases, not subtests
    counts = {}
    for key in ('passed', 'failed', 'errors', 'error', 'skipped'):
        match = re.search(r'(\d+) (?<!subtests )%s' % key, last)
        counts[key] = int(match.group(1)) if match else 0
    counts['failed'] += counts.pop('errors') + counts.pop('error')
    return code, counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('pytest_args', nargs='*',
        help="extra pytest arguments (e.g. -k walking)")
    parser.add_argument('--sqlite-only', action='store_true')
    parser.add_argument('--postgresql-all', action='store_true',
        help="run the whole suite in the PostgreSQL pass too")
    args = parser.parse_args(argv)

    print("=== lint: ruff check", flush=True)
    ruff = os.path.join(os.path.dirname(sys.executable), 'ruff')
    lint = subprocess.call([ruff, 'check', 'addons', 'otwb_tools', 'tests',
            'bench'], cwd=ROOT)

    base = dict(os.environ)
    base.setdefault('PYTHONHASHSEED', '0')
    results = []
    # The in-memory SQLite database has one connection.  Every 300 s
    # (cache clean_timeout) Tryton's cache sync takes it in autocommit
    # mode at the start of a transaction, which then commits each write:
    # a test's data would outlive its rollback and break later tests.
    env = dict(base, TRYTOND_DATABASE_URI='sqlite://', DB_NAME=':memory:',
        DB_CACHE=os.path.join(ROOT, 'var', 'test-cache'),
        TRYTOND_CACHE__CLEAN_TIMEOUT='31536000')
    # Tryton names cached databases by their module list only: a cache
    # from an earlier run may hold an old schema, so start afresh.
    shutil.rmtree(env['DB_CACHE'], ignore_errors=True)
    os.makedirs(env['DB_CACHE'], exist_ok=True)
    # The two backends' passes run side by side (the machine has 2 cores
    # and each pass is mostly one process): wall time is the longer pass.
    passes = [('sqlite', env, ['addons', 'tests'] + args.pytest_args)]

    required = bool(os.environ.get('CI')
        or os.environ.get('OTWB_REQUIRE_POSTGRESQL'))
    uri = os.environ.get('OTWB_POSTGRESQL_URI', DEFAULT_PG)
    if not args.sqlite_only:
        if postgresql_reachable(uri):
            # Activated databases are cached as PostgreSQL templates;
            # templates of an earlier run may hold an old schema.
            drop_template_cache(uri)
            shutil.rmtree(os.path.join(ROOT, 'var', 'test-cache-postgresql'),
                ignore_errors=True)
            # Tryton keeps its list of databases for the session timeout:
            # a template created by a test class a minute ago would be
            # missing from it, and the next class sharing its modules
            # would try to create it again (DuplicateDatabase)
            env = dict(base, TRYTOND_DATABASE_URI=uri,
                DB_NAME='test_otwb_%d' % os.getpid(),
                DB_CACHE=uri.rstrip('/'), TRYTOND_SESSION__TIMEOUT='0')
            skip = POSTGRESQL_SKIP[:1] if args.postgresql_all else (
                POSTGRESQL_SKIP)
            passes.append(('postgresql', env, ['addons', 'tests']
                    + ['--ignore-glob=' + g for g in skip]
                    + args.pytest_args))
        elif required:
            print("FAIL: PostgreSQL is required (CI) but not reachable")
            results.append(('postgresql', 1, {
                        'passed': 0, 'failed': 1, 'skipped': 0}))

    outcomes = {}

    def run(name, env, pytest_args):
        outcomes[name] = run_pytest(name, env, pytest_args)
    threads = [threading.Thread(target=run, args=p) for p in passes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for name, _, _ in passes:
        results.append((name,) + outcomes[name])

    print("\nBackends run: %s" % ', '.join(
            '%s (%d passed, %d failed, exit %d)' % (
                name, c['passed'], c['failed'], code)
            for name, code, c in results))
    failed = sum(c['failed'] for _, _, c in results)
    passed = sum(c['passed'] for _, _, c in results)
    skipped = sum(c['skipped'] for _, _, c in results)
    worst = max([lint] + [code for _, code, _ in results])
    if lint:
        print("FAIL: ruff found problems")
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if (worst or failed) else 0


if __name__ == '__main__':
    sys.exit(main())
