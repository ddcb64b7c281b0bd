# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Cross-border orders: HS code, origin and import duty on sale lines.

Tryton's ``customs`` module already holds the data: HS tariff codes per
product (``product-customs.tariff.code``, matched by country and season),
the country of origin on the product template, and duty rates per tariff
code, country and date (``customs.duty.rate``).  It lacks two things this
file adds:

* an ad valorem duty rate (``computation_type = 'percentage'``: rate ×
  customs value), next to customs' fixed ``amount`` and per-unit
  ``quantity`` kinds;
* the duty of an order.  An OMS sale shipping from a warehouse in one
  country to an address in another gets, per goods line, the HS code for
  the destination, the country of origin, the customs value (the line
  amount converted to the duty rate currency at the order date), the duty
  rate and the duty amount; the sale shows the total.

A cross-border order whose product has no HS code, or no import duty rate
for the destination on the order date, is held (hold code ``customs``)
instead of failing the intake: the order is kept, nothing of its duty is
written (all lines or none), and releasing the hold after fixing the
product computes the duties; releasing without fixing raises an error and
changes nothing.
"""
from decimal import Decimal

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .engine import holds as holds_engine

GOODS = {'goods', 'assets'}


class DutyRate(metaclass=PoolMeta):
    __name__ = 'customs.duty.rate'

    rate = fields.Numeric(
        "Rate", digits=(14, 6),
        states={
            'required': Eval('computation_type') == 'percentage',
            'invisible': Eval('computation_type') != 'percentage',
            },
        help="Ad valorem duty: the fraction of the customs value, "
        "e.g. 0.075 for 7.5 %.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        selection = ('percentage', "Percentage of Value")
        if selection not in cls.computation_type.selection:
            cls.computation_type.selection.append(selection)
        # the customs value and the duty are in the rate currency
        kinds = ['amount', 'quantity', 'percentage']
        cls.currency.states = cls.currency.states.copy()
        cls.currency.states['required'] = Eval('computation_type').in_(kinds)
        cls.currency.states['invisible'] = ~Eval(
            'computation_type').in_(kinds)

    def compute_percentage(self, currency, quantity, uom, value=None,
            **kwargs):
        "Duty of ``value`` (the customs value in ``currency``)"
        if value is None:
            return None
        return currency.round(value * self.rate)


class Hold(metaclass=PoolMeta):
    __name__ = 'otwb.oms.hold'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        selection = ('customs', "Customs data missing")
        if selection not in cls.code.selection:
            cls.code.selection.append(selection)


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    otwb_customs_country = fields.Function(fields.Many2One(
            'country.country', "Import Country",
            help="The destination country when it differs from the "
            "warehouse country (a cross-border order)."),
        'get_otwb_customs_country')
    otwb_duty_amount = fields.Function(Monetary(
            "Duties", currency='currency', digits='currency',
            help="The import duties of the lines, in the order currency "
            "at the order date."),
        'get_otwb_duty_amount')

    def otwb_countries(self):
        "(from country, to country) of the shipment; None when unknown"
        from_country = to_country = None
        warehouse = self.warehouse
        if warehouse and warehouse.address:
            from_country = warehouse.address.country
        if not from_country and self.company:
            address = self.company.party.address_get()
            from_country = address.country if address else None
        if self.shipment_address:
            to_country = self.shipment_address.country
        return from_country, to_country

    @property
    def otwb_cross_border(self):
        from_country, to_country = self.otwb_countries()
        return bool(from_country and to_country
            and from_country != to_country)

    def get_otwb_customs_country(self, name):
        if self.otwb_cross_border:
            return self.otwb_countries()[1].id

    def otwb_customs_date(self):
        return self.sale_date or Pool().get('ir.date').today()

    def get_otwb_duty_amount(self, name):
        pool = Pool()
        Currency = pool.get('currency.currency')
        total = Decimal(0)
        with Transaction().set_context(date=self.otwb_customs_date()):
            for line in self.lines:
                if line.otwb_duty_amount and line.otwb_duty_currency:
                    total += Currency.compute(
                        line.otwb_duty_currency, line.otwb_duty_amount,
                        self.currency)
        return self.currency.round(total) if self.currency else total

    @classmethod
    def otwb_compute_duties(cls, sales):
        """Compute the customs values and duties of the cross-border sales
        and write them on their lines; a sale with a problem gets nothing
        written.  Returns {sale: [problem message, ...]}."""
        pool = Pool()
        Line = pool.get('sale.line')
        problems, to_write = {}, []
        for sale in sales:
            values, errors = sale._otwb_duty_values()
            if errors:
                problems[sale] = errors
                continue
            for line, line_values in values:
                to_write.extend(([line], line_values))
        if to_write:
            Line.write(*to_write)
        return problems

    def _otwb_duty_values(self):
        "[(line, values)], [problem] for the goods lines of the sale"
        pool = Pool()
        Currency = pool.get('currency.currency')
        from_country, to_country = self.otwb_countries()
        cross_border = self.otwb_cross_border
        date = self.otwb_customs_date()
        result, errors = [], []
        empty = {
            'otwb_tariff_code': None, 'otwb_origin_country': None,
            'otwb_customs_value': None, 'otwb_duty_rate': None,
            'otwb_duty_currency': None, 'otwb_duty_amount': None,
            }
        for line in self.lines:
            if (line.type != 'line' or not line.product
                    or line.product.type not in GOODS):
                continue
            if not cross_border:
                if line.otwb_duty_rate or line.otwb_tariff_code:
                    result.append((line, empty))
                continue
            product = line.product
            tariff = product.get_tariff_code({
                    'date': date, 'country': to_country.id})
            if not tariff:
                errors.append(gettext('otwb_oms.msg_customs_no_tariff_code',
                        product=product.rec_name, country=to_country.code,
                        date=date))
                continue
            rate = tariff.get_duty_rate({
                    'date': date, 'country': to_country.id,
                    'type': 'import'})
            if not rate:
                errors.append(gettext('otwb_oms.msg_customs_no_duty_rate',
                        code=tariff.code, country=to_country.code,
                        date=date, product=product.rec_name))
                continue
            currency = rate.currency or self.currency
            quantity = line.quantity or 0
            with Transaction().set_context(date=date):
                value = Currency.compute(
                    self.currency, line.amount or Decimal(0), currency)
                if (rate.computation_type == 'quantity'
                        and rate.uom.category != line.unit.category):
                    errors.append(gettext(
                            'otwb_oms.msg_customs_duty_uom',
                            code=tariff.code, uom=rate.uom.rec_name,
                            product=product.rec_name,
                            unit=line.unit.rec_name))
                    continue
                duty = rate.compute(
                    currency, quantity, line.unit, value=value)
            result.append((line, {
                        'otwb_tariff_code': tariff.id,
                        'otwb_origin_country': (
                            product.template.country_of_origin.id
                            if product.template.country_of_origin
                            else None),
                        'otwb_customs_value': value,
                        'otwb_duty_rate': rate.id,
                        'otwb_duty_currency': currency.id,
                        'otwb_duty_amount': currency.round(
                            duty or Decimal(0)),
                        }))
        return result, errors

    @classmethod
    def otwb_create_from_orders(cls, items):
        "Compute the duties of the new sales; hold those missing data"
        pool = Pool()
        Hold = pool.get('otwb.oms.hold')
        sales = super().otwb_create_from_orders(items)
        problems = cls.otwb_compute_duties(
            [s for s in cls.browse([s.id for s in sales])
                if s.otwb_cross_border])
        for sale, errors in problems.items():
            Hold.add(sale, [holds_engine.Hold(
                        'customs', '; '.join(errors)[:255], {})])
        return sales

    @classmethod
    def otwb_confirm(cls, sales):
        """Compute again the duties of the cross-border sales about to be
        confirmed (lines or data may have changed while held); missing
        customs data stops the confirmation with an error."""
        todo = [s for s in cls.browse([s.id for s in sales])
            if s.state in {'draft', 'quotation'}
            and not any(h.state == 'open' for h in s.otwb_holds)
            and s.otwb_cross_border]
        problems = cls.otwb_compute_duties(todo)
        if problems:
            sale, errors = next(iter(problems.items()))
            raise UserError(gettext('otwb_oms.msg_customs_missing',
                    sale=sale.rec_name, problems='; '.join(errors)))
        super().otwb_confirm(sales)


class SaleLine(metaclass=PoolMeta):
    __name__ = 'sale.line'

    otwb_tariff_code = fields.Many2One(
        'customs.tariff.code', "HS Code", readonly=True,
        ondelete='RESTRICT',
        help="The tariff code of the product for the import country.")
    otwb_origin_country = fields.Many2One(
        'country.country', "Country of Origin", readonly=True,
        ondelete='RESTRICT')
    otwb_customs_value = Monetary(
        "Customs Value", currency='otwb_duty_currency',
        digits='otwb_duty_currency', readonly=True,
        help="The line amount in the duty currency at the order date.")
    otwb_duty_rate = fields.Many2One(
        'customs.duty.rate', "Duty Rate", readonly=True,
        ondelete='RESTRICT')
    otwb_duty_currency = fields.Many2One(
        'currency.currency', "Duty Currency", readonly=True,
        ondelete='RESTRICT')
    otwb_duty_amount = Monetary(
        "Duty", currency='otwb_duty_currency', digits='otwb_duty_currency',
        readonly=True)

    @classmethod
    def copy(cls, lines, default=None):
        default = default.copy() if default is not None else {}
        for name in ('otwb_tariff_code', 'otwb_origin_country',
                'otwb_customs_value', 'otwb_duty_rate',
                'otwb_duty_currency', 'otwb_duty_amount'):
            default.setdefault(name, None)
        return super().copy(lines, default=default)
