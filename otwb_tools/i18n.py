# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Update or check the Simplified Chinese (zh_CN) translations of OTWB.

Usage::

    .venv/bin/python -m otwb_tools.i18n [--check] [module ...]

Without ``--check`` it writes ``addons/<module>/locale/zh_CN.po`` for each
OTWB module (all of them by default): the current template, made by Tryton
itself, merged with the existing file.  Translations already there are
kept; entries whose source is gone are dropped; new entries get an empty
``msgstr``; an entry whose English source changed keeps its old translation
flagged ``fuzzy`` (Tryton does not use fuzzy translations) with the old
source as ``#| msgid``.  Then translate the empty and fuzzy entries (and
delete the ``#, fuzzy`` line of each one reviewed).

With ``--check`` nothing is written: it lists every entry that is missing,
empty, fuzzy, obsolete or whose translation lost or changed a
``%(name)s`` placeholder, as ``problem  module  type  name  source``, and
exits 1 if there is any.

The template comes from a scratch SQLite database, in a temporary folder,
where all the OTWB modules are activated; there Tryton's "Set Translations"
wizard (``ir.translation.set``) collects the strings of views and reports,
"Update Translations" (``ir.translation.update``) makes the zh_CN rows and
``ir.translation.translation_export`` (the "Export Translations" wizard)
writes the po file of each module.  See docs/i18n.md for the workflow and
the glossary.

Glossary (keep translations consistent with it; full list in docs/i18n.md):

    order 订单            channel 渠道          fulfilment rule 履约规则
    hold 拦截 (放行)      ASN 预到货通知        zone / bin 库区 / 库位
    wave 波次 (下发)      pick 拣货             put-away 上架
    shipment 发货单       carrier 承运商        waybill 运单
    trip / stop 行程/站点 billing 计费          charge 费用
    rate card 费率卡      receivable 应收       payable 应付
    reconciliation 对账   accrual 预提          invoice 发票 / 开票
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import polib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADDONS = os.path.join(ROOT, 'addons')
LANG = 'zh_CN'
DATABASE = 'otwb_i18n'
MODULES = ['otwb_base', 'otwb_oms', 'otwb_wms', 'otwb_tms', 'otwb_bms']


def po_path(module):
    return os.path.join(ADDONS, module, 'locale', LANG + '.po')


def entry_key(entry):
    return (entry.msgctxt, entry.msgid)


def override_target(entry):
    """(module, context) of the string of another module that the entry
    overrides, None for an entry of the module itself.  Tryton reads a
    context ``type:name:module.fs_id`` (``module.`` for fields, helps,
    selections, views...) as a translation of that module's string."""
    type_, name, res_id = (entry.msgctxt or '::').split(':', 2)
    if '.' not in res_id:
        return None
    module, fs_id = res_id.split('.', 1)
    return module, '%s:%s:%s' % (type_, name, fs_id)


def describe(module, entry):
    "(module, type, name, source) of a po entry"
    type_, name = (entry.msgctxt or '::').split(':', 2)[:2]
    res_id = (entry.msgctxt or '').split(':', 2)[2:]
    if res_id and res_id[0]:
        name = '%s (%s)' % (name, res_id[0])
    return module, type_, name, entry.msgid


def export_templates(modules, config):
    """Return {module: polib.POFile} with the current zh_CN template of
    each module, made by Tryton in a scratch SQLite database"""
    tmp = tempfile.mkdtemp(prefix='otwb-i18n-')
    saved = {k: os.environ.get(k) for k in [
            'TRYTOND_DATABASE__PATH', 'TRYTOND_DATABASE__URI']}
    os.environ['TRYTOND_DATABASE__PATH'] = tmp
    os.environ['TRYTOND_DATABASE__URI'] = 'sqlite://'
    try:
        create_database(config, tmp)
        return _export(modules, config, tmp)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(tmp, ignore_errors=True)


def create_database(config, path):
    "Create the scratch database with trytond-admin, all OTWB activated"
    open(os.path.join(path, DATABASE + '.sqlite'), 'w').close()
    passfile = os.path.join(path, 'password')
    with open(passfile, 'w') as fp:
        fp.write('i18n-%s' % os.getpid())
    env = dict(os.environ, TRYTONPASSFILE=passfile)
    admin = os.path.join(os.path.dirname(sys.executable), 'trytond-admin')
    result = subprocess.run([admin, '-c', config, '-d', DATABASE, '--all',
            '--activate-dependencies', '-u', *MODULES, '--email',
            'admin@example.com'], env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode:
        sys.stderr.write(result.stdout)
        raise SystemExit('trytond-admin failed (exit %d)'
            % result.returncode)


def _export(modules, config, path):
    from trytond import config as tconfig
    tconfig.update_etc(config)
    tconfig.set('database', 'uri', 'sqlite://')
    tconfig.set('database', 'path', path)
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    pool = Pool(DATABASE)
    pool.init()
    with Transaction().start(DATABASE, 0, readonly=False) as transaction:
        try:
            return make_templates(modules)
        finally:
            transaction.rollback()


def make_templates(modules):
    """Return {module: polib.POFile}: the zh_CN po file Tryton exports for
    each module, run in the current transaction.  It writes ir.translation
    rows: the caller rolls the transaction back."""
    from trytond.pool import Pool
    pool = Pool()
    Lang = pool.get('ir.lang')
    Translation = pool.get('ir.translation')
    Set = pool.get('ir.translation.set', type='wizard')
    Update = pool.get('ir.translation.update', type='wizard')
    lang, = Lang.search([('code', '=', LANG)])
    # "Set Translations": the strings of every view and report
    session_id, _, _ = Set.create()
    Set(session_id).transition_set_()
    Set.delete(session_id)
    # "Update Translations" for zh_CN: a zh_CN row for each string
    session_id, _, _ = Update.create()
    update = Update(session_id)
    update.start.language = lang
    update.do_update({})
    Update.delete(session_id)
    # "Export Translations", module by module, and the modules whose
    # strings the OTWB po files override
    overridden = {target[0] for module in modules
        for target in map(override_target, read_po(module)) if target}
    templates = {}
    for module in list(modules) + sorted(overridden - set(modules)):
        content = Translation.translation_export(LANG, module)
        templates[module] = (polib.pofile(content.decode('utf-8'))
            if content else polib.POFile())
    return templates


def merge(template, current):
    """Return the po file to write: template entries with the translations
    of current; the number of (kept, new, fuzzy, dropped) entries"""
    from trytond.ir.translation import TrytonPOFile

    old = {entry_key(e): e for e in current if not e.obsolete}
    by_context = {}
    for entry in current:
        if not entry.obsolete:
            by_context.setdefault(entry.msgctxt, []).append(entry)
    pofile = TrytonPOFile(wrapwidth=78)
    pofile.metadata = {'Content-Type': 'text/plain; charset=utf-8'}
    kept = new = fuzzy = 0
    used = set()
    for entry in current:
        # translations of other modules' strings: kept as they are
        if not entry.obsolete and override_target(entry):
            used.add(entry_key(entry))
            pofile.append(entry)
    for entry in template:
        entry.flags = [f for f in entry.flags if f != 'fuzzy']
        entry.msgstr = ''
        entry.previous_msgid = None
        previous = old.get(entry_key(entry))
        if previous is not None:
            used.add(entry_key(previous))
            entry.msgstr = previous.msgstr
            if previous.fuzzy:
                entry.flags.append('fuzzy')
                entry.previous_msgid = previous.previous_msgid
            if previous.tcomment:
                entry.tcomment = previous.tcomment
            kept += 1
        else:
            # same context, other source: the English text changed
            candidates = [e for e in by_context.get(entry.msgctxt, [])
                if e.msgstr and e.msgid != entry.msgid]
            if len(candidates) == 1 and not entry.msgctxt.startswith((
                        'view:', 'report:', 'selection:',
                        'wizard_button:')):
                previous, = candidates
                used.add(entry_key(previous))
                entry.msgstr = previous.msgstr
                entry.previous_msgid = previous.msgid
                entry.flags.append('fuzzy')
                fuzzy += 1
            else:
                new += 1
        pofile.append(entry)
    pofile.sort()
    dropped = sum(1 for e in current
        if not e.obsolete and entry_key(e) not in used)
    return pofile, (kept, new, fuzzy, dropped)


PLACEHOLDER = re.compile(r'%\(\w+\)[sdrf]|%%')


def placeholders(text):
    "The sorted %(name)s placeholders (and %% signs) of a text"
    return sorted(PLACEHOLDER.findall(text or ''))


def problems(module, template, current, templates=None):
    """List of (module, type, name, source, problem) for a module; problem
    is missing, untranslated, fuzzy, placeholders (the translation does not
    have the same %(name)s placeholders as the source) or obsolete (also an
    override of a string that its module, in templates, no longer has)"""
    result = []
    keys = {entry_key(e) for e in template}
    old = {entry_key(e): e for e in current if not e.obsolete}
    overrides = [e for e in current
        if not e.obsolete and override_target(e)]
    for entry in overrides:
        target_module, context = override_target(entry)
        target = (templates or {}).get(target_module, [])
        if (context, entry.msgid) not in {entry_key(e) for e in target}:
            result.append(describe(module, entry) + ('obsolete',))
    for entry in template + overrides:
        previous = old.get(entry_key(entry))
        if previous is None:
            problem = 'missing'
        elif previous.fuzzy:
            problem = 'fuzzy'
        elif not previous.translated():
            problem = 'untranslated'
        elif placeholders(entry.msgid) != placeholders(previous.msgstr):
            problem = 'placeholders'
        else:
            continue
        result.append(describe(module, entry) + (problem,))
    for entry in current:
        if (not entry.obsolete and entry_key(entry) not in keys
                and not override_target(entry)):
            result.append(describe(module, entry) + ('obsolete',))
    return result


def read_po(module):
    path = po_path(module)
    if os.path.exists(path):
        return polib.pofile(path)
    return polib.POFile()


def otwb(templates):
    "The OTWB modules of templates, in order"
    return [m for m in MODULES if m in templates]


def check(templates):
    "Return the list of problems of all OTWB modules of templates"
    result = []
    for module in otwb(templates):
        result.extend(problems(module, templates[module], read_po(module),
                templates))
    return result


def update(templates, out=sys.stdout):
    for module in otwb(templates):
        template = templates[module]
        pofile, (kept, new, fuzzy, dropped) = merge(
            template, read_po(module))
        path = po_path(module)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w', encoding='utf-8') as fp:
            fp.write(str(pofile))
        untranslated = sum(1 for e in pofile
            if e.fuzzy or not e.translated())
        print('%s: %d entries (%d kept, %d new, %d fuzzy, %d dropped), '
            '%d to translate' % (
                os.path.relpath(path, ROOT), len(pofile), kept, new, fuzzy,
                dropped, untranslated), file=out)


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m otwb_tools.i18n',
        description=__doc__.splitlines()[0])
    parser.add_argument('modules', nargs='*', metavar='module',
        help="OTWB modules (default: all: %s)" % ' '.join(MODULES))
    parser.add_argument('--check', action='store_true',
        help="write nothing; list untranslated, missing, fuzzy and "
        "obsolete entries and exit 1 if there is any")
    parser.add_argument('-c', '--config',
        default=os.path.join(ROOT, 'config', 'trytond.conf'),
        help="trytond configuration file (default: %(default)s)")
    args = parser.parse_args(argv)
    modules = args.modules or MODULES
    unknown = set(modules) - set(MODULES)
    if unknown:
        parser.error('not OTWB modules: %s' % ', '.join(sorted(unknown)))

    started = time.perf_counter()
    templates = export_templates(modules, args.config)
    if args.check:
        found = check(templates)
        for module, type_, name, source, problem in found:
            print('%s\t%s\t%s\t%s\t%r' % (
                    problem, module, type_, name, source))
        print('%d entries in %d modules (%s), %d to fix, in %.1f s' % (
                sum(len(templates[m]) for m in otwb(templates)),
                len(otwb(templates)),
                ', '.join('%s %d' % (m, len(templates[m]))
                    for m in otwb(templates)),
                len(found), time.perf_counter() - started))
        if found:
            print('Run ".venv/bin/python -m otwb_tools.i18n" and translate '
                'the empty and fuzzy msgstr (see docs/i18n.md)')
            return 1
        return 0
    update(templates)
    print('done in %.1f s' % (time.perf_counter() - started))
    return 0


if __name__ == '__main__':
    sys.exit(main())
