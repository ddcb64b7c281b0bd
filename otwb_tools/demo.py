# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Build the demo database, load the demo data and run the O→W→T→B flow.

Usage: ``python -m otwb_tools.demo --help``.  ``make demo`` calls it.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

MODULES = ['otwb_oms', 'otwb_wms', 'otwb_tms', 'otwb_bms']
ADMIN_PASSWORD = 'admin-Demo-2026!'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog='otwb-demo', description=__doc__.splitlines()[0])
    parser.add_argument('-c', '--config', default='config/trytond.conf',
        help="trytond configuration file (default: %(default)s)")
    parser.add_argument('-d', '--database', default='otwb_demo',
        help="database name (default: %(default)s)")
    parser.add_argument('--size', type=int, default=1,
        help="demo data size factor (default: %(default)s)")
    parser.add_argument('--lang', default='en', choices=['en', 'zh_CN'],
        help="language of the admin user (default: %(default)s)")
    parser.add_argument('--keep', action='store_true',
        help="keep an existing database instead of re-creating it")
    return parser.parse_args(argv)


def create_database(config, database, lang):
    "Create the database and activate the four modules with trytond-admin"
    from trytond.config import config as tconfig
    tconfig.update_etc(config)
    uri = tconfig.get('database', 'uri')
    if uri.startswith('sqlite'):
        path = os.path.abspath(os.environ.get(
                'TRYTOND_DATABASE__PATH', 'var/db'))
        # trytond resolves the path itself: give it an absolute one
        os.environ['TRYTOND_DATABASE__PATH'] = path
        tconfig.set('database', 'path', path)
        os.makedirs(path, exist_ok=True)
        db_file = os.path.join(path, database + '.sqlite')
        if os.path.exists(db_file):
            os.remove(db_file)
        open(db_file, 'w').close()
    else:
        import psycopg
        base = uri.rstrip('/') + '/postgres'
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute('DROP DATABASE IF EXISTS "%s"' % database)
            conn.execute('CREATE DATABASE "%s"' % database)
    with tempfile.NamedTemporaryFile('w', delete=False) as fp:
        fp.write(ADMIN_PASSWORD)
    env = dict(os.environ, TRYTONPASSFILE=fp.name)
    admin = os.path.join(os.path.dirname(sys.executable), 'trytond-admin')
    cmd = [admin, '-c', config, '-d', database, '--all',
        '--activate-dependencies', '-u', *MODULES, '--email',
        'admin@example.com']
    if lang != 'en':
        cmd += ['-l', lang]
    try:
        subprocess.run(cmd, env=env, check=True)
    finally:
        os.unlink(fp.name)


def load_and_run(config, database, size, journeys=True):
    from trytond.config import config as tconfig
    tconfig.update_etc(config)
    if tconfig.get('database', 'uri').startswith('sqlite'):
        tconfig.set('database', 'path', os.path.abspath(os.environ.get(
                    'TRYTOND_DATABASE__PATH', 'var/db')))
    from trytond.pool import Pool
    from trytond.transaction import Transaction, TransactionError

    from otwb_tools import demo_data, demo_journeys, flow

    Pool(database).init()
    extras = {}
    while True:
        # Like trytond's dispatcher: a transaction that needs a table or
        # record lock is restarted with that lock taken from the start.
        try:
            with Transaction().start(
                    database, 0, readonly=False, **extras) as transaction:
                user = Pool().get('res.user')
                admin, = user.search([('login', '=', 'admin')])
                with transaction.set_user(admin.id):
                    started = time.perf_counter()
                    data = demo_data.load(size=size, progress=True)
                    loaded = time.perf_counter() - started
                    with transaction.set_context(company=data.company.id):
                        result = flow.run()
                        text = flow.summary(result)
                        if journeys:
                            text += '\n' + demo_journeys.summary(
                                demo_journeys.prepare())
                    # the demo is configured: no set-up wizard at login
                    Item = Pool().get('ir.module.config_wizard.item')
                    Item.write(Item.search([]), {'state': 'done'})
                transaction.commit()
            break
        except TransactionError as exc:
            exc.fix(extras)
    print("Demo data (size %d) loaded in %.1f s: %s" % (
            size, loaded, ', '.join(
                '%s %s' % (v, k) for k, v in data.counts.items())))
    print(text)
    return data, result


def main(argv=None):
    args = parse_args(argv)
    create_database(args.config, args.database, args.lang)
    load_and_run(args.config, args.database, args.size)
    from otwb_tools.demo_data import DEMO_PASSWORD, ROLES
    print()
    print("Database: %s   login: admin / %s" % (args.database,
            ADMIN_PASSWORD))
    print("Role users (password %s): %s" % (
            DEMO_PASSWORD, ', '.join(r[0] for r in ROLES)))


if __name__ == '__main__':
    main()
