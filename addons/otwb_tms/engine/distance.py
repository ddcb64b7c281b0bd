# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Road distance and driving time estimates (no Tryton import).

Public API
----------
Points are ``(lat, lon)`` tuples in decimal degrees (WGS84).

``haversine_km(lat1, lon1, lat2, lon2) -> float``
    Great-circle distance in km on a sphere of radius ``EARTH_RADIUS_KM``.

``haversine_matrix_km(points) -> numpy.ndarray``
    Full ``n x n`` great-circle distance matrix in km (vectorised).

``DistanceProvider`` (protocol)
    Anything with ``matrix(points) -> (dist_km, dur_min)``: two ``n x n``
    float ``numpy`` arrays, road distance in km and driving time in
    minutes, row = origin, column = destination, zero diagonal.  Pairs that
    cannot be driven are ``numpy.inf``.

``GreatCircleProvider(circuity=1.3, speed_kmh=60.0)``
    Road km = great-circle km x ``circuity``; minutes = road km /
    ``speed_kmh`` x 60.  Deterministic, no network.

``OSRMProvider(base_url, profile='driving', timeout=30.0,
max_table_size=100)``
    Calls an OSRM server's ``/table/v1/{profile}/`` service with
    ``annotations=distance,duration`` (urllib, no extra dependency) and
    converts OSRM's metres / seconds to km / minutes.  Matrices larger
    than ``max_table_size`` points are fetched block by block with the
    ``sources`` / ``destinations`` parameters (the OSRM default
    ``--max-table-size`` is 100).  HTTP or OSRM errors raise ``OSRMError``.

Bad input (latitude out of range, non-positive speed...) raises
``ValueError`` naming the field and the value.
"""

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from typing import Protocol, Sequence

import numpy as np

__all__ = [
    'EARTH_RADIUS_KM', 'DEFAULT_CIRCUITY', 'DEFAULT_SPEED_KMH',
    'haversine_km', 'haversine_matrix_km', 'validate_points',
    'DistanceProvider', 'GreatCircleProvider', 'OSRMProvider', 'OSRMError',
    ]

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)
DEFAULT_CIRCUITY = 1.3
DEFAULT_SPEED_KMH = 60.0


class OSRMError(RuntimeError):
    "The OSRM server could not be reached or answered with an error."


def _check_lat_lon(lat, lon, where='point'):
    try:
        lat = float(lat)
        lon = float(lon)
    except (TypeError, ValueError):
        raise ValueError(
            f'{where}: lat/lon must be numbers, got ({lat!r}, {lon!r})'
            ) from None
    if not math.isfinite(lat) or not -90.0 <= lat <= 90.0:
        raise ValueError(f'{where}: lat {lat} is not in [-90, 90]')
    if not math.isfinite(lon) or not -180.0 <= lon <= 180.0:
        raise ValueError(f'{where}: lon {lon} is not in [-180, 180]')
    return lat, lon


def validate_points(points):
    """Return ``points`` as an ``(n, 2)`` float array of (lat, lon).

    Raises ``ValueError`` naming the first bad point."""
    pts = list(points)
    out = np.empty((len(pts), 2), dtype=float)
    for i, p in enumerate(pts):
        try:
            lat, lon = p
        except (TypeError, ValueError):
            raise ValueError(
                f'points[{i}]: expected a (lat, lon) pair, got {p!r}'
                ) from None
        out[i] = _check_lat_lon(lat, lon, f'points[{i}]')
    return out


def haversine_km(lat1, lon1, lat2, lon2):
    "Great-circle distance in km between two (lat, lon) points in degrees."
    lat1, lon1 = _check_lat_lon(lat1, lon1, 'origin')
    lat2, lon2 = _check_lat_lon(lat2, lon2, 'destination')
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = (math.sin(dp / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def haversine_matrix_km(points):
    "``n x n`` great-circle distance matrix (km) of (lat, lon) points."
    pts = np.radians(validate_points(points))
    lat = pts[:, 0][:, None]
    lon = pts[:, 1][:, None]
    dlat = lat.T - lat
    dlon = lon.T - lon
    a = (np.sin(dlat / 2) ** 2
        + np.cos(lat) * np.cos(lat.T) * np.sin(dlon / 2) ** 2)
    d = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    np.fill_diagonal(d, 0.0)
    return d


class DistanceProvider(Protocol):
    "Source of road distance (km) and driving time (min) matrices."

    def matrix(self, points: Sequence[tuple[float, float]]
            ) -> tuple[np.ndarray, np.ndarray]:
        ...


class GreatCircleProvider:
    """Great-circle distance x circuity factor, constant average speed.

    ``circuity`` (> 0, typically 1.2-1.4) converts crow-flies km into road
    km; ``speed_kmh`` (> 0) converts road km into driving minutes."""

    def __init__(self, circuity=DEFAULT_CIRCUITY,
            speed_kmh=DEFAULT_SPEED_KMH):
        circuity = float(circuity)
        speed_kmh = float(speed_kmh)
        if not math.isfinite(circuity) or circuity <= 0:
            raise ValueError(f'circuity must be > 0, got {circuity}')
        if not math.isfinite(speed_kmh) or speed_kmh <= 0:
            raise ValueError(f'speed_kmh must be > 0, got {speed_kmh}')
        self.circuity = circuity
        self.speed_kmh = speed_kmh

    def distance_km(self, a, b):
        "Road km between two (lat, lon) points."
        return haversine_km(a[0], a[1], b[0], b[1]) * self.circuity

    def duration_min(self, km):
        "Driving minutes for ``km`` road km."
        return km / self.speed_kmh * 60.0

    def matrix(self, points):
        dist = haversine_matrix_km(points) * self.circuity
        return dist, dist * (60.0 / self.speed_kmh)


class OSRMProvider:
    """Road distances and durations from an OSRM server's table service.

    ``base_url`` is the server root, e.g. ``http://localhost:5000``."""

    def __init__(self, base_url, profile='driving', timeout=30.0,
            max_table_size=100):
        parsed = urllib.parse.urlparse(str(base_url))
        if parsed.scheme not in ('http', 'https') or not parsed.netloc:
            raise ValueError(
                f'base_url must be an http(s) URL, got {base_url!r}')
        if int(max_table_size) < 2:
            raise ValueError(
                f'max_table_size must be >= 2, got {max_table_size}')
        if float(timeout) <= 0:
            raise ValueError(f'timeout must be > 0, got {timeout}')
        self.base_url = str(base_url).rstrip('/')
        self.profile = urllib.parse.quote(str(profile), safe='')
        self.timeout = float(timeout)
        self.max_table_size = int(max_table_size)

    def _url(self, coords, sources=None, destinations=None):
        path = ';'.join(f'{lon:.6f},{lat:.6f}' for lat, lon in coords)
        query = {'annotations': 'distance,duration'}
        if sources is not None:
            query['sources'] = ';'.join(map(str, sources))
        if destinations is not None:
            query['destinations'] = ';'.join(map(str, destinations))
        return (f'{self.base_url}/table/v1/{self.profile}/{path}?'
            + urllib.parse.urlencode(query, safe=';,'))

    def _get(self, url):
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as resp:
                body = resp.read()
        except urllib.error.HTTPError as e:
            try:
                err = json.loads(e.read())
                msg = f"{err.get('code', '')} {err.get('message', '')}"
            except Exception:
                msg = ''
            raise OSRMError(
                f'OSRM HTTP {e.code} for {url}: {msg}') from None
        except (urllib.error.URLError, OSError) as e:
            raise OSRMError(
                f'OSRM server unreachable at {url}: {e}') from None
        try:
            data = json.loads(body)
        except ValueError:
            raise OSRMError(
                f'OSRM answered non-JSON for {url}') from None
        if data.get('code') != 'Ok':
            raise OSRMError(
                f"OSRM error {data.get('code')!r}: {data.get('message', '')}")
        return data

    @staticmethod
    def _to_array(rows, shape, field):
        if rows is None:
            raise OSRMError(f'OSRM answer has no {field!r} table')
        arr = np.array(
            [[np.inf if v is None else float(v) for v in row]
                for row in rows], dtype=float)
        if arr.shape != shape:
            raise OSRMError(
                f'OSRM {field} table has shape {arr.shape}, '
                f'expected {shape}')
        return arr

    def matrix(self, points):
        pts = validate_points(points)
        n = len(pts)
        dist = np.zeros((n, n))
        dur = np.zeros((n, n))
        if n < 2:
            return dist, dur
        coords = [tuple(p) for p in pts]
        if n <= self.max_table_size:
            data = self._get(self._url(coords))
            dist[:] = self._to_array(data.get('distances'), (n, n),
                'distances')
            dur[:] = self._to_array(data.get('durations'), (n, n),
                'durations')
        else:
            half = self.max_table_size // 2
            blocks = [list(range(i, min(n, i + half)))
                for i in range(0, n, half)]
            for rows in blocks:
                for cols in blocks:
                    idx = rows + [c for c in cols if c not in rows]
                    pos = {k: j for j, k in enumerate(idx)}
                    data = self._get(self._url(
                        [coords[k] for k in idx],
                        [pos[r] for r in rows], [pos[c] for c in cols]))
                    shape = (len(rows), len(cols))
                    dist[np.ix_(rows, cols)] = self._to_array(
                        data.get('distances'), shape, 'distances')
                    dur[np.ix_(rows, cols)] = self._to_array(
                        data.get('durations'), shape, 'durations')
        np.fill_diagonal(dist, 0.0)
        np.fill_diagonal(dur, 0.0)
        return dist / 1000.0, dur / 60.0
