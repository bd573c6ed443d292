/**
 * Equiangular latitude–longitude grids on the unit sphere.
 *
 * ```
 *  lat  90 ── •  •  •  •  •  …   row nLat−1  (north pole: nLon copies of one point)
 *       …
 *  lat −90 ── •  •  •  •  •  …   row 0       (south pole)
 *             lon 0, Δ, 2Δ, …, 360−Δ
 * ```
 *
 * `poles: 'include'` (GraphCast / ERA5 convention, e.g. 1° → 181 × 360): latitudes
 * −90, −90+Δ, …, 90; the pole rows are kept as nLon coincident points so every field stays a
 * dense [nLat, nLon] array. `poles: 'exclude'`: cell-centred latitudes −90+Δ/2, …, 90−Δ/2
 * (1° → 180 × 360). Points are stored row-major: index = iLat · nLon + iLon.
 */
import { ValueError } from '../../util/errors.js';

export interface LatLonGridSpec {
  /** Grid spacing in degrees; 180 and 360 must be multiples of it. */
  readonly resolutionDeg: number;
  /** 'include' (default): pole rows at ±90°; 'exclude': cell-centred rows. */
  readonly poles?: 'include' | 'exclude';
}

export interface LatLonGrid {
  readonly nLat: number;
  readonly nLon: number;
  /** [nLat] degrees, ascending. */
  readonly latDeg: Float64Array;
  /** [nLon] degrees in [0, 360). */
  readonly lonDeg: Float64Array;
  /** [nLat·nLon, 3] unit vectors, row-major (iLat · nLon + iLon). */
  readonly points: Float64Array;
  readonly spec: Required<LatLonGridSpec>;
}

/** Builds the grid; throws ValueError if 180/Δ is not an integer. */
export function latLonGrid(spec: LatLonGridSpec): LatLonGrid {
  const d = spec.resolutionDeg;
  const poles = spec.poles ?? 'include';
  const nl = 180 / d;
  if (!(d > 0) || Math.abs(nl - Math.round(nl)) > 1e-9) {
    throw new ValueError('resolutionDeg', 'a positive number dividing 180 (e.g. 1, 1.5, 2.5, 5)', String(d));
  }
  const nLon = Math.round(360 / d);
  const nLat = poles === 'include' ? Math.round(nl) + 1 : Math.round(nl);
  const latDeg = new Float64Array(nLat);
  for (let i = 0; i < nLat; i++) latDeg[i] = poles === 'include' ? -90 + i * d : -90 + (i + 0.5) * d;
  if (poles === 'include') latDeg[nLat - 1] = 90; // exact pole, no round-off
  const lonDeg = new Float64Array(nLon);
  for (let j = 0; j < nLon; j++) lonDeg[j] = j * d;
  // [nLat·nLon, 3]
  const points = new Float64Array(nLat * nLon * 3);
  for (let i = 0; i < nLat; i++) {
    const la = (latDeg[i] * Math.PI) / 180;
    const cl = Math.abs(latDeg[i]) === 90 ? 0 : Math.cos(la);
    const sl = Math.abs(latDeg[i]) === 90 ? Math.sign(latDeg[i]) : Math.sin(la);
    for (let j = 0; j < nLon; j++) {
      const lo = (lonDeg[j] * Math.PI) / 180;
      const p = 3 * (i * nLon + j);
      points[p] = cl * Math.cos(lo);
      points[p + 1] = cl * Math.sin(lo);
      points[p + 2] = sl;
    }
  }
  return { nLat, nLon, latDeg, lonDeg, points, spec: { resolutionDeg: d, poles } };
}

/** Unit vectors [n, 3] from latitudes and longitudes in radians. */
export function latLonToXyz(latRad: ArrayLike<number>, lonRad: ArrayLike<number>, out = new Float64Array(latRad.length * 3)): Float64Array {
  for (let i = 0; i < latRad.length; i++) {
    const c = Math.cos(latRad[i]);
    out[3 * i] = c * Math.cos(lonRad[i]);
    out[3 * i + 1] = c * Math.sin(lonRad[i]);
    out[3 * i + 2] = Math.sin(latRad[i]);
  }
  return out;
}

/** Latitude and longitude (radians, lon in (−π, π]) of unit vectors [n, 3]. */
export function xyzToLatLon(xyz: Float64Array): { lat: Float64Array; lon: Float64Array } {
  const n = xyz.length / 3;
  const lat = new Float64Array(n), lon = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = xyz[3 * i], y = xyz[3 * i + 1], z = xyz[3 * i + 2];
    lat[i] = Math.atan2(z, Math.hypot(x, y));
    lon[i] = Math.atan2(y, x);
  }
  return { lat, lon };
}
