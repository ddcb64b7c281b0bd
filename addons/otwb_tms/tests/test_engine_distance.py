# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import json
import math
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trytond.modules.otwb_tms.engine.distance import (
    EARTH_RADIUS_KM,
    GreatCircleProvider,
    OSRMError,
    OSRMProvider,
    haversine_km,
    haversine_matrix_km,
)

SHANGHAI = (31.2304, 121.4737)
WUHAN = (30.5928, 114.3055)

lat_st = st.floats(-89.9, 89.9)
lon_st = st.floats(-179.9, 179.9)


def test_haversine_known_values():
    # a quarter of a meridian: pole to equator
    assert haversine_km(0, 0, 90, 0) == pytest.approx(
        math.pi / 2 * EARTH_RADIUS_KM)
    # one degree of longitude on the equator
    assert haversine_km(0, 0, 0, 1) == pytest.approx(
        2 * math.pi * EARTH_RADIUS_KM / 360)
    # antipodes
    assert haversine_km(0, 0, 0, 180) == pytest.approx(
        math.pi * EARTH_RADIUS_KM)
    # Shanghai-Wuhan is about 690 km as the crow flies
    assert 680 < haversine_km(*SHANGHAI, *WUHAN) < 700


def test_great_circle_provider_circuity_and_speed():
    prov = GreatCircleProvider(circuity=1.3, speed_kmh=65)
    dist, dur = prov.matrix([SHANGHAI, WUHAN])
    crow = haversine_km(*SHANGHAI, *WUHAN)
    assert dist[0, 1] == pytest.approx(crow * 1.3)
    assert dist[1, 0] == pytest.approx(crow * 1.3)
    assert dur[0, 1] == pytest.approx(crow * 1.3 / 65 * 60)
    assert dist[0, 0] == 0 and dur[1, 1] == 0
    # default circuity is 1.3 and 60 km/h means minutes == km
    d2, t2 = GreatCircleProvider().matrix([SHANGHAI, WUHAN])
    assert d2[0, 1] == pytest.approx(crow * 1.3)
    assert t2[0, 1] == pytest.approx(d2[0, 1])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(lat_st, lon_st), min_size=1, max_size=8))
def test_matrix_matches_scalar_and_is_a_metric(points):
    m = haversine_matrix_km(points)
    n = len(points)
    assert m.shape == (n, n)
    assert np.allclose(m, m.T)
    assert np.all(np.diag(m) == 0)
    assert np.all(m <= math.pi * EARTH_RADIUS_KM + 1e-6)
    for i in range(n):
        for j in range(n):
            assert m[i, j] == pytest.approx(
                haversine_km(*points[i], *points[j]), abs=1e-6)
            for k in range(n):
                assert m[i, k] <= m[i, j] + m[j, k] + 1e-6


@pytest.mark.parametrize('points, field', [
    ([(91, 0)], 'lat 91'),
    ([(0, -181)], 'lon -181'),
    ([(float('nan'), 0)], 'lat nan'),
    ([(1, 2, 3)], 'points[0]'),
    ])
def test_bad_points_raise(points, field):
    with pytest.raises(ValueError, match=field.replace('[', r'\[')
            .replace(']', r'\]')):
        haversine_matrix_km(points)


def test_bad_provider_settings():
    with pytest.raises(ValueError, match='speed_kmh'):
        GreatCircleProvider(speed_kmh=0)
    with pytest.raises(ValueError, match='circuity'):
        GreatCircleProvider(circuity=-1)
    with pytest.raises(ValueError, match='base_url'):
        OSRMProvider('ftp://example.org')


# ---------------------------------------------------------------- OSRM
class _OSRMHandler(BaseHTTPRequestHandler):
    """Answers /table/v1/driving/ like OSRM: metres = 1.25 x great-circle,
    seconds at 50 km/h; the pair (0, 1) of the full table is unroutable
    (null) when the server's ``null_pair`` flag is set."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        self.server.requests.append(self.path)
        prefix = '/table/v1/driving/'
        if not url.path.startswith(prefix):
            self.send_response(400)
            self.end_headers()
            self.wfile.write(json.dumps(
                {'code': 'InvalidUrl', 'message': 'bad path'}).encode())
            return
        coords = [tuple(map(float, c.split(',')))
            for c in url.path[len(prefix):].split(';')]
        query = urllib.parse.parse_qs(url.query)
        assert query['annotations'] == ['distance,duration']
        n = len(coords)
        if n > self.server.max_size:
            self.send_response(400)
            self.end_headers()
            self.wfile.write(json.dumps({
                'code': 'TooBig', 'message': 'Too many table coordinates',
                }).encode())
            return
        src = ([int(x) for x in query['sources'][0].split(';')]
            if 'sources' in query else list(range(n)))
        dst = ([int(x) for x in query['destinations'][0].split(';')]
            if 'destinations' in query else list(range(n)))
        dist, dur = [], []
        for i in src:
            drow, trow = [], []
            for j in dst:
                (lon1, lat1), (lon2, lat2) = coords[i], coords[j]
                m = haversine_km(lat1, lon1, lat2, lon2) * 1250
                if (self.server.null_pair and (lon1, lon2) == (1.0, 2.0)):
                    drow.append(None)
                    trow.append(None)
                else:
                    drow.append(round(m, 1))
                    trow.append(round(m / 50000 * 3600, 1))
            dist.append(drow)
            dur.append(trow)
        body = json.dumps({
            'code': 'Ok', 'distances': dist, 'durations': dur,
            'sources': [], 'destinations': []}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def osrm_server():
    server = ThreadingHTTPServer(('127.0.0.1', 0), _OSRMHandler)
    server.requests = []
    server.max_size = 100
    server.null_pair = False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _url(server):
    return f'http://127.0.0.1:{server.server_address[1]}'


def _points(n):
    return [(30 + 0.1 * (i % 7), 114 + 0.13 * i) for i in range(n)]


def test_osrm_table(osrm_server):
    pts = [SHANGHAI, WUHAN, (31.0, 120.0)]
    dist, dur = OSRMProvider(_url(osrm_server)).matrix(pts)
    ref = haversine_matrix_km(pts) * 1.25
    assert np.allclose(dist, ref, atol=1e-3)
    assert np.allclose(dur, ref / 50 * 60, atol=1e-2)
    assert len(osrm_server.requests) == 1
    req = osrm_server.requests[0]
    # OSRM wants lon,lat order
    assert '121.473700,31.230400;114.305500,30.592800' in req


def test_osrm_table_in_blocks(osrm_server):
    osrm_server.max_size = 10
    pts = _points(23)
    prov = OSRMProvider(_url(osrm_server), max_table_size=10)
    dist, dur = prov.matrix(pts)
    ref = haversine_matrix_km(pts) * 1.25
    assert np.allclose(dist, ref, atol=1e-3)
    assert np.allclose(dur, ref / 50 * 60, atol=1e-2)
    # 23 points in blocks of 5 -> 5 x 5 requests
    assert len(osrm_server.requests) == 25


def test_osrm_unroutable_is_inf(osrm_server):
    osrm_server.null_pair = True
    pts = [(0.0, 1.0), (0.0, 2.0), (0.0, 3.0)]
    dist, dur = OSRMProvider(_url(osrm_server)).matrix(pts)
    assert math.isinf(dist[0, 1]) and math.isinf(dur[0, 1])
    assert math.isfinite(dist[1, 0])


def test_osrm_errors(osrm_server):
    osrm_server.max_size = 2
    with pytest.raises(OSRMError, match='TooBig'):
        OSRMProvider(_url(osrm_server)).matrix(_points(3))
    with pytest.raises(OSRMError, match='HTTP 400'):
        OSRMProvider(_url(osrm_server), profile='bike').matrix(_points(2))
    # nothing listens on the discard port of the loopback
    with pytest.raises(OSRMError, match='unreachable'):
        OSRMProvider('http://127.0.0.1:9', timeout=2).matrix(_points(2))
