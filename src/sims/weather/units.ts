/**
 * Unit system of the shallow-water simulator: SI (metres, seconds, m s⁻¹), with the constants of
 * Williamson et al. (1992), "A standard test set for numerical approximations to the shallow
 * water equations in spherical geometry", J. Comput. Phys. 102, 211–224.
 */
export const WEATHER_UNITS = Object.freeze({
  length: 'm',
  time: 's',
  velocity: 'm s^-1',
  height: 'm (fluid depth h; surface = h + b)',
  /** Earth radius a (m). */
  earthRadius: 6.37122e6,
  /** Rotation rate Ω (s⁻¹). */
  omega: 7.292e-5,
  /** Gravity g (m s⁻²). */
  gravity: 9.80616,
  /** Seconds per day. */
  day: 86400,
});

export const EARTH_RADIUS = WEATHER_UNITS.earthRadius;
export const EARTH_OMEGA = WEATHER_UNITS.omega;
export const GRAVITY = WEATHER_UNITS.gravity;
export const DAY = WEATHER_UNITS.day;
