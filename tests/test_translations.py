# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Every OTWB string has a Simplified Chinese translation, and it loads.

The check is ``python -m otwb_tools.i18n --check`` run in-process on the
test database: Tryton's "Set Translations", "Update Translations" and
"Export Translations" make the current template of each module, compared
with ``addons/<module>/locale/zh_CN.po``.  To fix a failure run
``.venv/bin/python -m otwb_tools.i18n`` and translate the empty or fuzzy
entries (docs/i18n.md).
"""
import os
import time
import unittest

from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from otwb_tools import i18n

MODULES = ['otwb_oms', 'otwb_wms', 'otwb_tms', 'otwb_bms']


@unittest.skipIf(
    os.environ.get('TRYTOND_DATABASE_URI', 'sqlite').startswith(
        'postgresql'),
    "translations do not depend on the backend: SQLite pass only")
class TranslationsTestCase(unittest.TestCase):
    "zh_CN translations of the OTWB modules"

    @classmethod
    def setUpClass(cls):
        activate_module(MODULES)

    @with_transaction()
    def test_every_entry_translated(self):
        "Every string of every OTWB module has a zh_CN translation"
        started = time.perf_counter()
        templates = i18n.make_templates(i18n.MODULES)
        found = i18n.check(templates)
        elapsed = time.perf_counter() - started
        # the OTWB modules and the Tryton modules they translate too
        self.assertLessEqual(set(i18n.MODULES), set(templates))
        self.assertIn('sale', templates)
        for module in i18n.MODULES:
            # a template is never empty: models, fields, menus at least
            self.assertGreater(len(templates[module]), 10, module)
        if found:
            self.fail('%d zh_CN entries to fix (%.1f s); run '
                '".venv/bin/python -m otwb_tools.i18n" and translate them '
                '(docs/i18n.md):\n%s' % (len(found), elapsed, '\n'.join(
                        '%s\t%s\t%s\t%s\t%r' % (problem, module, type_,
                            name, source)
                        for module, type_, name, source, problem in found)))

    def test_check_reports_problems(self):
        "The check lists missing, untranslated, fuzzy, obsolete, lost %()s"
        import polib
        template = polib.POFile()
        current = polib.POFile()
        for ctxt, msgid in [
                ('field:sale.sale,otwb_channel:', 'Channel'),
                ('field:otwb.oms.hold,state:', 'State'),
                ('field:otwb.oms.hold,code:', 'Reason'),
                ('model:ir.ui.menu,name:menu_orders', 'Orders'),
                ]:
            template.append(polib.POEntry(msgctxt=ctxt, msgid=msgid))
        current.append(polib.POEntry(msgctxt='field:sale.sale,otwb_channel:',
                msgid='Channel', msgstr='渠道'))
        current.append(polib.POEntry(msgctxt='field:otwb.oms.hold,state:',
                msgid='State', msgstr=''))
        current.append(polib.POEntry(msgctxt='field:otwb.oms.hold,code:',
                msgid='Reason', msgstr='原因', flags=['fuzzy']))
        current.append(polib.POEntry(msgctxt='field:otwb.oms.hold,old:',
                msgid='Old', msgstr='旧'))
        message = ('model:ir.message,text:msg_channel_code_unique',
            'Channel "%(code)s" exists at %(pct)s %%.')
        template.append(polib.POEntry(msgctxt=message[0], msgid=message[1]))
        current.append(polib.POEntry(msgctxt=message[0], msgid=message[1],
                msgstr='渠道"%(channel)s"已存在 %(pct)s %%。'))
        found = i18n.problems('otwb_oms', template, current)
        self.assertEqual(sorted(found), sorted([
                    ('otwb_oms', 'field', 'otwb.oms.hold,state', 'State',
                        'untranslated'),
                    ('otwb_oms', 'field', 'otwb.oms.hold,code', 'Reason',
                        'fuzzy'),
                    ('otwb_oms', 'model', 'ir.ui.menu,name (menu_orders)',
                        'Orders', 'missing'),
                    ('otwb_oms', 'field', 'otwb.oms.hold,old', 'Old',
                        'obsolete'),
                    ('otwb_oms', 'model',
                        'ir.message,text (msg_channel_code_unique)',
                        message[1], 'placeholders'),
                    ]))
        # a translation of another module's string (Tryton's override)
        # must match a string of that module
        sale = polib.POFile()
        sale.append(polib.POEntry(msgctxt='field:sale.sale,party:',
                msgid='Party'))
        sale.append(polib.POEntry(msgctxt='model:ir.ui.menu,name:menu_sale',
                msgid='Sales'))
        overrides = polib.POFile()
        for ctxt, msgid, msgstr in [
                ('field:sale.sale,party:sale.', 'Party', '客户'),
                ('model:ir.ui.menu,name:sale.menu_sale', 'Sales', '销售'),
                ('field:sale.sale,number:sale.', 'Number', '编号'),
                ('model:ir.ui.menu,name:sale.menu_gone', 'Gone', ''),
                ]:
            overrides.append(polib.POEntry(
                    msgctxt=ctxt, msgid=msgid, msgstr=msgstr))
        self.assertEqual(i18n.override_target(overrides[0]),
            ('sale', 'field:sale.sale,party:'))
        self.assertIsNone(i18n.override_target(template[0]))
        self.assertEqual(sorted(i18n.problems('otwb_oms', polib.POFile(),
                    overrides, {'sale': sale})), sorted([
                    ('otwb_oms', 'field', 'sale.sale,number (sale.)',
                        'Number', 'obsolete'),
                    ('otwb_oms', 'model', 'ir.ui.menu,name (sale.menu_gone)',
                        'Gone', 'obsolete'),
                    ('otwb_oms', 'model', 'ir.ui.menu,name (sale.menu_gone)',
                        'Gone', 'untranslated'),
                    ]))
        # and the update keeps it
        pofile, _ = i18n.merge(polib.POFile(), overrides)
        self.assertEqual(len(pofile), 4)
        self.assertEqual(i18n.placeholders('%(a)s of %(b)s: 5 %%'),
            ['%%', '%(a)s', '%(b)s'])

    def test_merge_keeps_translations(self):
        "Merging keeps translations, adds new entries, drops obsolete ones"
        import polib
        template = polib.POFile()
        for ctxt, msgid in [
                ('field:sale.sale,otwb_channel:', 'Channel'),
                ('field:otwb.oms.hold,code:', 'Hold Reason'),
                ('field:otwb.oms.hold,state:', 'State'),
                ]:
            template.append(polib.POEntry(msgctxt=ctxt, msgid=msgid))
        current = polib.POFile()
        current.append(polib.POEntry(msgctxt='field:sale.sale,otwb_channel:',
                msgid='Channel', msgstr='渠道'))
        current.append(polib.POEntry(msgctxt='field:otwb.oms.hold,code:',
                msgid='Reason', msgstr='原因'))
        current.append(polib.POEntry(msgctxt='field:otwb.oms.hold,old:',
                msgid='Old', msgstr='旧'))
        pofile, counts = i18n.merge(template, current)
        entries = {e.msgctxt: e for e in pofile}
        self.assertEqual(sorted(entries), [
                'field:otwb.oms.hold,code:', 'field:otwb.oms.hold,state:',
                'field:sale.sale,otwb_channel:'])
        self.assertEqual(entries['field:sale.sale,otwb_channel:'].msgstr,
            '渠道')
        self.assertEqual(entries['field:otwb.oms.hold,state:'].msgstr, '')
        # the English changed: old translation kept as a fuzzy hint
        changed = entries['field:otwb.oms.hold,code:']
        self.assertEqual((changed.msgstr, changed.fuzzy,
                changed.previous_msgid), ('原因', True, 'Reason'))
        # kept, new, fuzzy, dropped
        self.assertEqual(counts, (1, 1, 1, 1))

    @with_transaction()
    def test_zh_cn_loads(self):
        "Loading zh_CN gives Chinese labels, selections, menus and messages"
        pool = Pool()
        Lang = pool.get('ir.lang')
        ModelData = pool.get('ir.model.data')
        Menu = pool.get('ir.ui.menu')
        Model = pool.get('ir.model')
        Sale = pool.get('sale.sale')
        Channel = pool.get('otwb.oms.channel')
        Task = pool.get('otwb.wms.task')
        Charge = pool.get('otwb.bms.charge')

        zh, = Lang.search([('code', '=', 'zh_CN')])
        Lang.load_translations([zh])

        with Transaction().set_context(language='zh_CN'):
            self.assertEqual(
                Sale.fields_get(['otwb_channel'])['otwb_channel']['string'],
                '渠道')
            channel = Channel.fields_get(['name', 'type', 'code'])
            self.assertEqual(channel['name']['string'], '名称')
            self.assertEqual(channel['code']['help'],
                '外部系统随每个订单发送的代码。')
            self.assertIn(['taobao', '淘宝'],
                [list(s) for s in channel['type']['selection']])
            self.assertIn(['putaway', '上架'], [list(s) for s in
                    Task.fields_get(['type'])['type']['selection']])
            self.assertIn(['receivable', '应收'], [list(s) for s in
                    Charge.fields_get(['kind'])['kind']['selection']])
            model, = Model.search([('name', '=', 'otwb.bms.rate_card')])
            self.assertEqual(model.string, '费率卡')
            menu = Menu(ModelData.get_id('otwb_wms', 'menu_wave'))
            self.assertEqual(menu.name, '波次')
            self.assertEqual(gettext('otwb_oms.msg_channel_code_unique'),
                '渠道代码必须唯一。')
            # Tryton's sale module leaves most of its zh_CN empty:
            # otwb_oms translates the order form (overrides)
            sale = Sale.fields_get(['party', 'state', 'lines'])
            self.assertEqual(sale['party']['string'], '客户')
            self.assertEqual(sale['lines']['string'], '订单行')
            self.assertIn(['processing', '处理中'],
                [list(s) for s in sale['state']['selection']])
            menu = Menu(ModelData.get_id('sale', 'menu_sale'))
            self.assertEqual(menu.name, '销售')
            self.assertEqual(gettext('sale.msg_sale_delete_cancel',
                    sale='S1'), '要删除销售订单"S1"，必须先取消。')
        # English stays the default
        with Transaction().set_context(language='en'):
            self.assertEqual(
                Sale.fields_get(['otwb_channel'])['otwb_channel']['string'],
                'Channel')
