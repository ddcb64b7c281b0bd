# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Customs duties and import taxes carried into billing.

Design: a duty is a *charge* (``charge_type`` ``duty``, or ``tax`` for an
import tax), invoiced on its own line, posted to its own account and kept
out of VAT; it is not an ``account.tax``.

* An ``account.tax`` is computed from the base of the invoice line it is
  put on, with one rate per tax.  A duty's base is the customs value of
  the goods (not on a logistics invoice, whose lines are services) and its
  rate depends on the HS code, the import country, the date and the kind
  (ad valorem, per unit, fixed).  Those rates already live in
  ``customs.duty.rate``; copying them as taxes would keep two sources of
  truth.  So the duty is computed once by ``customs`` on the order
  (otwb_oms/customs.py) and carried here as an amount.
* As a charge it follows everything BMS already does exactly once: one
  event per shipment (unique on source and activity), invoiced once under
  lock by the billing run, accrued and reversed, visible with its
  computation.
* "Duty as a tax rule": what makes a tax a tax in the books is that it is
  not service revenue and carries no VAT.  Invoice lines of customs
  charges use the configured duty product (``bms_duty_product``), not
  the billing service product: its accounting category gives their
  accounts (customer invoices: e.g. "duties recharged"; supplier invoices
  from the customs agent: e.g. "duties paid") and its taxes, normally
  none.  (A product rather than bare accounts: Tryton restricts customer
  invoice line accounts to revenue accounts and warns on posting when a
  line lacks its product's default taxes.)  The invoice and its move stay
  Tryton's: the move balances by construction (receivable = service
  revenue + VAT + duty).  Without the duty product configured, invoicing
  a duty charge stops with an error instead of posting the duty as
  taxable service revenue.

The duty charges themselves come from OMS sales (``[register otwb_oms]``):
when a customer shipment is packed (the moment BMS bills outbound
handling), the duties of its moves' sale lines become one billable event
``customs_duty`` with a receivable charge to the customer per duty
currency, and a payable charge to the customs agent selected by
``customs.agent.selection`` for the lane when there is one.  Shipping part
of a line carries its share of the line's duty.
"""
from collections import defaultdict
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelView, Workflow, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta

CUSTOMS_CHARGES = {'duty', 'tax'}
ACTIVITY = 'customs_duty'


class Configuration(metaclass=PoolMeta):
    __name__ = 'otwb.configuration'

    bms_duty_product = fields.Many2One(
        'product.product', "Customs Duty Product",
        domain=[('type', '=', 'service')],
        help="The service product of the invoice lines of customs duty "
        "and import tax charges: its accounting category gives their "
        "accounts (e.g. duties recharged, duties paid), normally without "
        "taxes.")


class Charge(metaclass=PoolMeta):
    __name__ = 'otwb.bms.charge'

    @classmethod
    def _invoiced_as_service(cls, charge_type):
        return (charge_type not in CUSTOMS_CHARGES
            and super()._invoiced_as_service(charge_type))

    @classmethod
    def _check_invoicing(cls, needs):
        "Customs charges need the duty product and its accounts"
        pool = Pool()
        Company = pool.get('company.company')
        Accrual = pool.get('otwb.bms.accrual')
        super()._check_invoicing(needs)
        customs = sorted(n for n in needs if n[2] in CUSTOMS_CHARGES)
        if not customs:
            return
        product = pool.get('otwb.configuration')(1).bms_duty_product
        for company, kind, charge_type, accrued in customs:
            if not product:
                raise ValidationError(gettext(
                        'otwb_bms.msg_invoice_duty_product',
                        kind=kind, charge_type=charge_type))
            cls._check_product_account(
                product, Company(company), kind, charge_type)
            if accrued and kind + '_duty' not in Accrual._accounts(
                    Company(company)):
                raise ValidationError(gettext(
                        'otwb_bms.msg_accrual_duty_product'))

    @classmethod
    def _invoice_line(cls, invoice, defaults, charge_type):
        pool = Pool()
        Line = pool.get('account.invoice.line')
        if charge_type not in CUSTOMS_CHARGES:
            return super()._invoice_line(invoice, defaults, charge_type)
        product = pool.get('otwb.configuration')(1).bms_duty_product
        if not product:
            raise ValidationError(gettext(
                    'otwb_bms.msg_duty_product',
                    party=invoice.party.rec_name, charge_type=charge_type))
        line = Line(
            invoice=invoice, company=invoice.company,
            currency=invoice.currency, type='line', product=product,
            quantity=1, unit=product.default_uom, party=invoice.party,
            invoice_type=invoice.type)
        line.on_change_product()
        return line


class BillableEvent(metaclass=PoolMeta):
    __name__ = 'otwb.bms.event'

    @classmethod
    @ModelView.button
    def rerate(cls, events):
        "Customs duty events are not rated by rate cards: never re-rated"
        return super().rerate([e for e in events if e.activity != ACTIVITY])

    @classmethod
    def capture_duties(cls, shipments):
        """Capture the duties of the OMS sale lines shipped by the
        customer shipments: one rated event per shipment with its charges.
        Returns the new events."""
        pool = Pool()
        Charge = pool.get('otwb.bms.charge')
        Date = pool.get('ir.date')
        Uom = pool.get('product.uom')
        SaleLine = pool.get('sale.line')
        AgentSelection = pool.get('customs.agent.selection')
        done = {str(e.source) for e in cls.search([
                    ('source', 'in', [str(s) for s in shipments]),
                    ('activity', '=', ACTIVITY),
                    ])}
        today = Date.today()
        events, charges = [], []
        for shipment in shipments:
            if str(shipment) in done:
                continue
            duties = defaultdict(Decimal)
            values = defaultdict(Decimal)
            explanations = defaultdict(list)
            currencies = {}
            for move in shipment.outgoing_moves:
                line = move.origin
                if (move.state == 'cancelled'
                        or not isinstance(line, SaleLine)
                        or not line.otwb_duty_currency
                        or not line.quantity):
                    continue
                currency = line.otwb_duty_currency
                currencies[currency.code] = currency
                quantity = Uom.compute_qty(
                    move.unit, move.quantity, line.unit, round=False)
                share = Decimal(str(quantity)) / Decimal(str(line.quantity))
                duty = currency.round(line.otwb_duty_amount * share)
                value = currency.round(
                    (line.otwb_customs_value or 0) * share)
                duties[currency.code] += duty
                values[currency.code] += value
                explanations[currency.code].append(
                    cls._duty_explanation(line, quantity, value, duty))
            if not duties:
                continue
            warehouse = shipment.warehouse
            origin = (warehouse.address.country
                if warehouse and warehouse.address else None)
            destination = (shipment.delivery_address.country
                if shipment.delivery_address else None)
            agent = None
            if origin and destination:
                agent = AgentSelection.get_agent(shipment.company, {
                        'from_country': origin.id,
                        'to_country': destination.id,
                        })
            event = cls(
                company=shipment.company, source=shipment,
                activity=ACTIVITY, date=today,
                customer=shipment.customer,
                carrier=agent.party if agent else None,
                origin_country=origin.code if origin else None,
                dest_country=destination.code if destination else None,
                declared_value=(sum(values.values())
                    if len(values) == 1 else None),
                state='rated')
            events.append(event)
            for code in sorted(duties):
                explanation = '; '.join(explanations[code])[:1000]
                parties = [('receivable', shipment.customer)]
                if agent:
                    parties.append(('payable', agent.party))
                for kind, party in parties:
                    charges.append((event, Charge(
                                company=shipment.company, kind=kind,
                                party=party, date=today,
                                charge_type='duty',
                                code=destination.code if destination
                                else None,
                                amount=duties[code],
                                currency=currencies[code],
                                quantity=values[code], unit=code,
                                explanation=explanation)))
        cls.save(events)
        for event, charge in charges:
            charge.event = event
        Charge.save([c for _, c in charges])
        return events

    @staticmethod
    def _duty_explanation(line, quantity, value, duty):
        rate = line.otwb_duty_rate
        currency = line.otwb_duty_currency.code
        if rate.computation_type == 'percentage':
            how = '%s %% of %s %s' % (
                (rate.rate * 100).normalize(), value, currency)
        elif rate.computation_type == 'quantity':
            how = '%g %s × %s %s/%s' % (
                quantity, line.unit.symbol, rate.amount, rate.currency.code,
                rate.uom.symbol)
        else:
            how = 'fixed %s %s' % (rate.amount, rate.currency.code)
        product = line.product.code or line.product.rec_name
        return '%s HS %s (origin %s): %s = %s %s' % (
            product, line.otwb_tariff_code.code,
            line.otwb_origin_country.code
            if line.otwb_origin_country else '?', how, duty, currency)


class ShipmentOut(metaclass=PoolMeta):
    "Packing a cross-border customer shipment bills its duties"
    __name__ = 'stock.shipment.out'

    @classmethod
    @Workflow.transition('packed')
    def pack(cls, shipments):
        super().pack(shipments)
        Pool().get('otwb.bms.event').capture_duties(shipments)
