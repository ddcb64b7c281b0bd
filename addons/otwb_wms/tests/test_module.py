# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.tests.test_tryton import ModuleTestCase


class OtwbWmsTestCase(ModuleTestCase):
    "Test OTWB WMS module"
    module = 'otwb_wms'


del ModuleTestCase
