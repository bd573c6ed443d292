import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { obj, num, str, bool, arr, expr, literal, optional, tagged, record, parseConfig } from '../../src/config/schema.js';
import { compileExpression, evaluateOnPoints } from '../../src/config/expr.js';
import { configHash, stableStringify } from '../../src/config/hash.js';
import { parseJsonText, configKind } from '../../src/config/load.js';
import { expandSweep, parseShard, selectShard } from '../../src/config/sweep.js';
import { ConfigError, ValueError } from '../../src/util/errors.js';

const SEED = 1122;

const DEFAULT_PARTICLES = 5;
const Sim = obj({
  kind: literal('md-test'),
  particles: num({ integer: true, min: 2, default: DEFAULT_PARTICLES }),
  dt: num({ min: 0, exclusiveMin: true, default: 0.001 }),
  integrator: str({ oneOf: ['verlet', 'leapfrog'], default: 'verlet' }),
  periodic: bool({ default: false }),
  box: arr(num({ min: 0 }), { minLength: 3, maxLength: 3, default: [10, 10, 10] }),
  init: obj({ speed: expr(['x', 'y', 'z'], { default: '0' }) }, { default: {} }),
  label: optional(str()),
  extra: record(num(), { default: {} }),
});

describe('schema', () => {
  it('fills defaults and freezes', () => {
    const c = parseConfig(Sim, { kind: 'md-test' });
    expect(c).toEqual({ kind: 'md-test', particles: 5, dt: 0.001, integrator: 'verlet', periodic: false, box: [10, 10, 10], init: { speed: '0' }, extra: {} });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.box)).toBe(true);
    expect(Object.isFrozen(c.init)).toBe(true);
  });

  it('errors name the JSON path, expected and got', () => {
    const cases: [unknown, RegExp][] = [
      [{ kind: 'md-test', particles: 1.5 }, /'particles' to be an integer >= 2 \(got number 1.5\)/],
      [{ kind: 'md-test', dt: 0 }, /'dt' to be a finite number > 0 \(got number 0\)/],
      [{ kind: 'md-test', box: [1, 2] }, /'box' to be an array of length 3/],
      [{ kind: 'md-test', box: [1, -2, 3] }, /'box\[1\]' to be a finite number >= 0 \(got number -2\)/],
      [{ kind: 'md-test', integrator: 'verlett' }, /one of "verlet", "leapfrog" \(got string "verlett"\)\. Did you mean 'verlet'\?/],
      [{ kind: 'md-test', particels: 3 }, /'particels' to be absent .* Did you mean 'particles'/],
      [{ kind: 'md-test', init: { speed: 'x + q' } }, /'init.speed' .*unknown symbol 'q'/],
      [{ kind: 'other' }, /'kind' to be "md-test" \(got string "other"\)/],
      [[1, 2], /'\(root\)' to be an object/],
    ];
    for (const [v, re] of cases) {
      const e = (() => { try { parseConfig(Sim, v); } catch (err) { return err; } })();
      expect(e, JSON.stringify(v)).toBeInstanceOf(ConfigError);
      expect((e as Error).message, JSON.stringify(v)).toMatch(re);
    }
  });

  it('tagged unions dispatch on kind', () => {
    const U = tagged({ a: obj({ kind: literal('a'), x: num() }), b: obj({ kind: literal('b'), y: str() }) });
    expect(parseConfig(U, { kind: 'b', y: 'q' })).toEqual({ kind: 'b', y: 'q' });
    expect(() => parseConfig(U, { kind: 'c' })).toThrow(/'kind' to be one of "a", "b"/);
  });

  it('property: every valid config round-trips through JSON to the same config and hash', () => {
    const valid = fc.record({
      kind: fc.constant('md-test'),
      particles: fc.integer({ min: 2, max: 1e6 }),
      dt: fc.double({ min: 1e-9, max: 10, noNaN: true }),
      integrator: fc.constantFrom('verlet', 'leapfrog'),
      box: fc.array(fc.double({ min: 0, max: 1e3, noNaN: true }), { minLength: 3, maxLength: 3 }),
      init: fc.record({ speed: fc.constantFrom('0', 'x + y*z', 'sin(pi*x)', '2^-z') }),
      label: fc.option(fc.string(), { nil: undefined }),
    }, { requiredKeys: ['kind'] });
    fc.assert(fc.property(valid, (v) => {
      const c = parseConfig(Sim, v);
      const back = parseConfig(Sim, JSON.parse(JSON.stringify(c)));
      expect(back).toEqual(c);
      expect(configHash(back)).toBe(configHash(c));
    }), { seed: SEED, numRuns: 200 });
  });

  it('fuzz: arbitrary JSON gives a frozen config or a ConfigError, never anything else', () => {
    const field = fc.oneof(fc.jsonValue(), fc.constantFrom('md-test', 'verlet', '0', 'x+', '[1]'));
    const arb = fc.oneof(
      fc.jsonValue(),
      fc.dictionary(fc.constantFrom('kind', 'particles', 'dt', 'integrator', 'periodic', 'box', 'init', 'label', 'extra', 'zzz'), field),
    );
    fc.assert(fc.property(arb, (v) => {
      try {
        const c = parseConfig(Sim, v);
        expect(Object.isFrozen(c)).toBe(true);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        expect((e as Error).message).toMatch(/^Expected '.+' to be .+ \(got .+\)/s);
      }
    }), { seed: SEED, numRuns: 500 });
  });

  it('fuzz: arbitrary text through the JSON loader gives data or a ConfigError with a position', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.json().map((s) => s.slice(0, Math.max(0, s.length - 1)))), (t) => {
      try {
        parseJsonText(t, 'c.json');
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
      }
    }), { seed: SEED, numRuns: 500 });
    expect(() => parseJsonText('{\n  "a": 1,\n  "b": }', 'c.json')).toThrow(/line 3, column/);
  });
});

describe('math expressions', () => {
  it('compiles and evaluates formulas with variables and constants', () => {
    const f = compileExpression('sin(pi * x) * exp(-y^2)', ['x', 'y'], 'init.f');
    expect(f({ x: 0.5, y: 0 })).toBeCloseTo(1, 12);
    const g = compileExpression('4 * U * y * (H - y) / H^2', ['y'], 'inflow', { U: 1.5, H: 0.41 });
    expect(g({ y: 0.205 })).toBeCloseTo(1.5, 12);
    expect(compileExpression('x > 0 ? 1 : -1', ['x'], 'p')({ x: -2 })).toBe(-1);
    const v = evaluateOnPoints(compileExpression('lat + 2*lon', ['lat', 'lon'], 'h'), { lat: [1, 2], lon: [10, 20] }, 2);
    expect(Array.from(v)).toEqual([21, 42]);
  });

  it('rejects unknown symbols, functions, assignments, strings and matrices with the path', () => {
    const bad: [string, RegExp][] = [
      ['x + q', /unknown symbol 'q'/],
      ['import(x)', /calling 'import'/],
      ['evaluate("1")', /calling 'evaluate'|string/],
      ['a = 3', /assignment/],
      ['f(x) = x', /assignment/],
      ['[1, 2]', /array/],
      ['"s"', /numbers only|string/],
      ['x +', /valid math expression/],
      ['', /math expression/],
      ['5 cm', /unknown symbol 'cm'/],
    ];
    for (const [src, re] of bad) {
      expect(() => compileExpression(src, ['x'], 'init.f'), src).toThrow(ConfigError);
      expect(() => compileExpression(src, ['x'], 'init.f'), src).toThrow(re);
    }
    expect(() => compileExpression('x', ['x'], 'init.f')).not.toThrow();
    expect(() => compileExpression('log(x)', ['x'], 'init.f')({ x: -1 })).toThrow(ValueError);
    expect(() => compileExpression('1/x', ['x'], 'init.f')({ x: 0 })).toThrow(/finite real number/);
  });

  it('fuzz: arbitrary strings compile to a function or give a ConfigError', () => {
    const tokens = fc.constantFrom('x', 'y', '+', '-', '*', '/', '^', '(', ')', '1', '2.5', 'sin', 'pi', 'q', '=', ',', '[', ']', '"', '?', ':', '.', 'e', ' ');
    fc.assert(fc.property(fc.oneof(fc.string(), fc.array(tokens, { maxLength: 12 }).map((a) => a.join(''))), (s) => {
      let f;
      try {
        f = compileExpression(s, ['x', 'y'], 'f');
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return;
      }
      try {
        const y = f({ x: 0.3, y: -0.7 });
        expect(Number.isFinite(y)).toBe(true);
      } catch (e) {
        expect(e).toBeInstanceOf(ValueError);
      }
    }), { seed: SEED, numRuns: 1000 });
  });
});

describe('hash, kind, sweeps, shards', () => {
  it('config hash ignores key order and rejects non-JSON', () => {
    expect(configHash({ b: 1, a: [1, { d: 2, c: 3 }] })).toBe(configHash({ a: [1, { c: 3, d: 2 }], b: 1 }));
    expect(configHash({ a: 1 })).not.toBe(configHash({ a: 2 }));
    expect(stableStringify({ b: 1, a: 'x' })).toBe('{"a":"x","b":1}');
    expect(() => stableStringify({ a: NaN })).toThrow(/'\$.a' to be a finite number/);
    expect(configHash({ a: 1 })).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('configKind', () => {
    expect(configKind({ kind: 'md' })).toBe('md');
    expect(() => configKind({})).toThrow(/'kind' to be a string \(got a missing field\)/);
    expect(() => configKind(3)).toThrow(ConfigError);
  });

  it('sweeps expand to the Cartesian product in a stable order with stable names', () => {
    const runs = expandSweep({ kind: 'k', dt: 0.1, model: { latent: 8 }, sweep: { dt: [0.01, 0.02], 'model.latent': [32, 64, 128] } });
    expect(runs.length).toBe(6);
    expect(runs.map((r) => [(r.config as { dt: number }).dt, (r.config as { model: { latent: number } }).model.latent])).toEqual([
      [0.01, 32], [0.01, 64], [0.01, 128], [0.02, 32], [0.02, 64], [0.02, 128],
    ]);
    expect(runs.every((r) => !('sweep' in (r.config as object)))).toBe(true);
    expect(runs[4].name).toMatch(/^0004-[0-9a-f]{8}$/);
    expect(expandSweep({ kind: 'k', sweep: { dt: [0.01, 0.02], 'model.latent': [32, 64, 128] } })[4].name.slice(0, 4)).toBe('0004');
    expect(new Set(runs.map((r) => r.name)).size).toBe(6);
    expect(expandSweep({ kind: 'k' }).length).toBe(1);
    expect(() => expandSweep({ kind: 'k', sweep: { dt: [] } })).toThrow(/'sweep.dt' to be a non-empty array/);
    expect(() => expandSweep({ kind: 'k', dt: 1, sweep: { 'dt.x': [1] } })).toThrow(/'dt' to be an object/);
    expect(() => expandSweep({ kind: 'k', sweep: { '__proto__.x': [1] } })).toThrow(ConfigError);
  });

  it('property: shards partition the runs (union = all, no overlap)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 9 }), (total, n) => {
      const runs = Array.from({ length: total }, (_, index) => ({ index }));
      const seen = new Array(total).fill(0);
      for (let k = 1; k <= n; k++) for (const r of selectShard(runs, { k, n })) seen[r.index]++;
      expect(seen.every((c) => c === 1)).toBe(true);
    }), { seed: SEED, numRuns: 100 });
    expect(parseShard('2/4')).toEqual({ k: 2, n: 4 });
    for (const bad of ['0/4', '5/4', '1/0', 'a/b', '2', true]) expect(() => parseShard(bad)).toThrow(/'--shard' to be 'k\/n'/);
  });
});
