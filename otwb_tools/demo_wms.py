# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""WMS demo data: box limits, putaway and wave rules, safety stock, ASNs.

Called at the end of ``demo_data.load`` inside the company context.  Does
not draw from ``rng`` so the other modules' demo data stay the same.
"""
import datetime as dt

from trytond.pool import Pool

BOX_MAX_KG = {"Carton S 30x20x15": 10, "Carton M 40x30x30": 20,
    "Carton L 60x40x40": 30}


def load(data, size, rng, today):
    pool = Pool()
    PackageType = pool.get('stock.package.type')
    Template = pool.get('product.template')
    PutawayRule = pool.get('otwb.wms.putaway.rule')
    WaveRule = pool.get('otwb.wms.wave.rule')
    Safety = pool.get('otwb.wms.safety.stock')
    Party = pool.get('party.party')
    ASN = pool.get('otwb.wms.asn')
    Task = pool.get('otwb.wms.task')

    for type_ in PackageType.search([]):
        if type_.name in BOX_MAX_KG:
            type_.otwb_max_weight = BOX_MAX_KG[type_.name]
    PackageType.save(PackageType.search([]))

    fast = [data.products[c].template for c in ('SKU-0001', 'SKU-0002',
            'SKU-0003') if c in data.products]
    Template.write(fast, {'otwb_abc_class': 'A'})

    PutawayRule.create([{
                'sequence': 10, 'lot_attribute': 'coil_number',
                'strategy': 'heavy_low', 'heavy_threshold': 500,
                'allow_split': False,
                }, {
                'sequence': 20, 'abc_class': 'A', 'zone_type': 'pick_face',
                'strategy': 'consolidate',
                }, {
                'sequence': 90, 'strategy': 'consolidate',
                }])
    WaveRule.create([{
                'name': "Standard waves (16:00 cut-off, 50 lines)",
                'cutoff_time': dt.time(16, 0), 'max_lines': 50,
                'max_volume': 2.0,
                }])
    sha = data.warehouses['SHA']
    Safety.create([{
                'warehouse': sha.id, 'product': data.products[c].id,
                'quantity': 5,
                } for c in ('SKU-0001', 'SKU-0002') if c in data.products])

    supplier, = Party.create([{
                'name': "Baosteel Trading", 'code': 'SUP-BAOSTEEL'}])
    vendor, = Party.create([{
                'name': "Yiwu Goods Co.", 'code': 'SUP-YIWU'}])
    results = ASN.submit([{
                'supplier': 'SUP-YIWU', 'number': 'YW-2026-001',
                'warehouse': 'SHA', 'expected_date': today.isoformat(),
                'lines': [{'sku': 'SKU-0003', 'quantity': 20},
                    {'sku': 'SKU-0004', 'quantity': 10}],
                }, {
                'supplier': 'SUP-BAOSTEEL', 'number': 'BS-2026-118',
                'warehouse': 'SHA',
                'expected_date': (today + dt.timedelta(days=2)).isoformat(),
                'lines': [{'sku': 'COIL-HR-25T', 'quantity': 1, 'lot': {
                            'number': 'C-88301', 'coil_number': 'C-88301',
                            'heat_number': 'H-2611', 'actual_weight': 25120,
                            }}],
                }])
    received = ASN(results[0]['asn'])
    line = received.lines[0]
    line.received_quantity = 21
    line.damaged_quantity = 1
    line.save()
    ASN.receive([received])
    # S3 coils are picked FIFO by lot; S4 coal is weighed at the gate:
    # the wagon's net weight is the received tonnage
    Ticket = pool.get('otwb.wms.weighbridge.ticket')
    coil = data.products.get('COIL-HR-25T')
    if coil:
        Template.write([coil.template], {'otwb_pick_strategy': 'fifo'})
    if 'COAL-5500' in data.products:
        Party.create([{'name': "Shenhua Coal", 'code': 'SUP-SHENHUA'}])
        coal, = ASN.submit([{
                    'supplier': 'SUP-SHENHUA', 'number': 'SH-RAIL-0001',
                    'warehouse': 'SHA', 'expected_date': today.isoformat(),
                    'lines': [{'sku': 'COAL-5500', 'quantity': 60}],
                    }])
        coal = ASN(coal['asn'])
        ticket, = Ticket.create([{
                    'warehouse': sha.id, 'direction': 'in',
                    'vehicle': 'C64-4711', 'gross_weight': 89400,
                    'tare_weight': 29250, 'asn_line': coal.lines[0].id,
                    }])
        Ticket.confirm([ticket])
        ASN.receive([coal])
        results.append(coal)
    data.counts['asns'] = len(results)
    data.counts['putaway_tasks'] = Task.search_count(
        [('type', '=', 'putaway')])
