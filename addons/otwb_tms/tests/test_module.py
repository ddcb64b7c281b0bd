# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.tests.test_tryton import ModuleTestCase


class OtwbTmsTestCase(ModuleTestCase):
    "Test OTWB TMS module"
    module = 'otwb_tms'
    extras = ['otwb_wms']


del ModuleTestCase
