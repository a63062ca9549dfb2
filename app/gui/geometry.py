"""Pure geometry of the stock-flow diagram: link arcs (XMILE angles), clipping, polyline midpoints."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

Point = tuple[float, float]

STOCK_SIZE = (90.0, 55.0)
AUX_SIZE = (34.0, 34.0)
NOTE_SIZE = (150.0, 50.0)
BLOCK_SIZE = (150.0, 90.0)
ARC_SAMPLES = 40


def arc_points(p0: Point, p1: Point, angle: float | None) -> list[Point]:
    """Sample the circular arc from ``p0`` to ``p1`` leaving ``p0`` at ``angle`` degrees (XMILE: counter-
    clockwise from +x with y pointing up); ``None`` or a tangent along the chord gives a straight line."""
    if angle is None:
        return [p0, p1]
    tx, ty = math.cos(math.radians(angle)), -math.sin(math.radians(angle))
    dx, dy = p1[0] - p0[0], p1[1] - p0[1]
    nx, ny = -ty, tx
    denominator = 2 * (nx * dx + ny * dy)
    if abs(denominator) < 1e-9 * max(1.0, math.hypot(dx, dy)):
        return [p0, p1]
    r = (dx * dx + dy * dy) / denominator
    cx, cy = p0[0] + r * nx, p0[1] + r * ny
    a0 = math.atan2(p0[1] - cy, p0[0] - cx)
    a1 = math.atan2(p1[1] - cy, p1[0] - cx)
    # direction of travel: the sign of the cross product of the radius and the tangent at p0
    clockwise = ((p0[0] - cx) * ty - (p0[1] - cy) * tx) > 0
    sweep = a1 - a0
    sweep = sweep % (2 * math.pi) if clockwise else -(-sweep % (2 * math.pi))
    radius = abs(r)
    return [(cx + radius * math.cos(a0 + sweep * i / ARC_SAMPLES), cy + radius * math.sin(a0 + sweep * i / ARC_SAMPLES))
            for i in range(ARC_SAMPLES + 1)]


def clip_path(points: Sequence[Point], inside_start: Callable[[Point], bool],
              inside_end: Callable[[Point], bool]) -> list[Point]:
    """Trim the polyline's ends where they lie inside the start and end shapes; when no part of it lies
    outside both (the shapes overlap), the chord between its ends."""
    pts = list(points)
    if len(pts) == 2:
        pts = [_lerp(pts[0], pts[1], i / ARC_SAMPLES) for i in range(ARC_SAMPLES + 1)]
    first = next((i for i, p in enumerate(pts) if not inside_start(p)), len(pts))
    last = next((i for i in range(len(pts) - 1, -1, -1) if not inside_end(pts[i])), -1)
    if first > last:
        return [pts[0], pts[-1]]
    trimmed = pts[first:last + 1]
    if first > 0:
        trimmed.insert(0, _boundary(pts[first - 1], pts[first], inside_start))
    if last < len(pts) - 1:
        trimmed.append(_boundary(pts[last + 1], pts[last], inside_end))
    return trimmed if len(trimmed) >= 2 else [pts[0], pts[-1]]


def _boundary(inside: Point, outside: Point, is_inside: Callable[[Point], bool]) -> Point:
    for _ in range(12):
        middle = _lerp(inside, outside, 0.5)
        if is_inside(middle):
            inside = middle
        else:
            outside = middle
    return outside


def _lerp(a: Point, b: Point, t: float) -> Point:
    return a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t


def rect_border(centre: Point, size: tuple[float, float], toward: Point) -> Point:
    """Where the ray from a rectangle's centre toward ``toward`` leaves the rectangle."""
    dx, dy = toward[0] - centre[0], toward[1] - centre[1]
    if dx == 0 and dy == 0:
        return centre
    half_w, half_h = size[0] / 2, size[1] / 2
    scale = min(half_w / abs(dx) if dx else math.inf, half_h / abs(dy) if dy else math.inf)
    return centre[0] + dx * scale, centre[1] + dy * scale


def midpoint(points: Sequence[Point]) -> Point:
    """The point halfway along a polyline."""
    lengths = [math.dist(a, b) for a, b in zip(points, points[1:], strict=False)]
    half = sum(lengths) / 2
    for (a, b), length in zip(zip(points, points[1:], strict=False), lengths, strict=True):
        if half <= length and length > 0:
            return _lerp(a, b, half / length)
        half -= length
    return points[0]


def distance_to_polyline(p: Point, points: Sequence[Point]) -> float:
    """The shortest distance from ``p`` to a polyline."""
    best = math.inf
    for a, b in zip(points, points[1:], strict=False):
        dx, dy = b[0] - a[0], b[1] - a[1]
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2))
        best = min(best, math.dist(p, (a[0] + t * dx, a[1] + t * dy)))
    return best


def orthogonal_route(p0: Point, out0: Point, p1: Point, out1: Point, stub: float = 16.0,
                     detour: float | None = None) -> list[Point]:
    """A route of horizontal and vertical segments from ``p0`` to ``p1`` that leaves ``p0`` along the
    unit vector ``out0`` and enters ``p1`` against ``out1`` (each after a short stub). When both ends
    face sideways and the route would have to double back, it runs along the line ``y = detour``
    (below the boxes it would otherwise cross)."""
    s0 = (p0[0] + out0[0] * stub, p0[1] + out0[1] * stub)
    s1 = (p1[0] + out1[0] * stub, p1[1] + out1[1] * stub)
    horizontal0, horizontal1 = out0[0] != 0, out1[0] != 0
    backwards = horizontal0 and horizontal1 and (s1[0] - s0[0]) * out0[0] < 0 and out0[0] == -out1[0]
    if backwards and detour is not None:
        middle = [(s0[0], detour), (s1[0], detour)]
    elif horizontal0 and horizontal1:
        mx = (s0[0] + s1[0]) / 2
        middle = [(mx, s0[1]), (mx, s1[1])]
    elif not horizontal0 and not horizontal1:
        my = (s0[1] + s1[1]) / 2
        middle = [(s0[0], my), (s1[0], my)]
    elif horizontal0:
        middle = [(s1[0], s0[1])]
    else:
        middle = [(s0[0], s1[1])]
    return simplify([p0, s0, *middle, s1, p1])


def simplify(points: Sequence[Point]) -> list[Point]:
    """Drop repeated points and the middle points of straight runs."""
    result: list[Point] = []
    for p in points:
        if result and math.dist(result[-1], p) < 1e-6:
            continue
        if len(result) >= 2:
            a, b = result[-2], result[-1]
            if abs((b[0] - a[0]) * (p[1] - b[1]) - (b[1] - a[1]) * (p[0] - b[0])) < 1e-6:
                result[-1] = p
                continue
        result.append(p)
    return result if len(result) >= 2 else [points[0], points[-1]]


def side_vector(centre: Point, size: tuple[float, float], border_point: Point) -> Point:
    """The outward unit vector of the rectangle side that ``border_point`` lies on."""
    fx = (border_point[0] - centre[0]) / (size[0] or 1.0)
    fy = (border_point[1] - centre[1]) / (size[1] or 1.0)
    if abs(fx) >= abs(fy):
        return (1.0 if fx > 0 else -1.0), 0.0
    return 0.0, (1.0 if fy > 0 else -1.0)
