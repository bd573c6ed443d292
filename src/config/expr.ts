/**
 * Formula fields in configs: math expressions compiled once with mathjs, evaluated many times.
 *
 * ```ts
 * const f = compileExpression('sin(pi * x) * exp(-y^2)', ['x', 'y'], 'init.vorticity');
 * f({ x: 0.5, y: 0 }); // 1
 * const g = compileExpression('4 * U * y * (H - y) / H^2', ['y'], 'inflow', { U: 1.5, H: 0.41 });
 * ```
 *
 * Allowed: numbers, the variables named by the caller, named constants (`pi`, `e`, `tau`, plus
 * any `constants` passed in), arithmetic `+ - * / ^ %`, comparisons, `a ? b : c`, and the
 * whitelisted functions in {@link EXPRESSION_FUNCTIONS}. Anything else — assignments, unknown
 * symbols, matrices, property access, strings, units — is a ConfigError naming the config path,
 * with the allowed symbols as the hint. The result must be a finite real number.
 */
import { compile, parse, type MathNode } from 'mathjs';
import { ConfigError, ValueError, describe } from '../util/errors.js';

/** Functions a formula may call. */
export const EXPRESSION_FUNCTIONS: readonly string[] = [
  'abs', 'sign', 'sqrt', 'cbrt', 'exp', 'expm1', 'log', 'log10', 'log2', 'log1p', 'pow',
  'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'atan2', 'sinh', 'cosh', 'tanh',
  'asinh', 'acosh', 'atanh', 'min', 'max', 'floor', 'ceil', 'round', 'mod', 'hypot',
];

/** Constants every formula may use. */
export const EXPRESSION_CONSTANTS: Readonly<Record<string, number>> = Object.freeze({ pi: Math.PI, e: Math.E, tau: 2 * Math.PI });

const NODE_TYPES = new Set(['ConstantNode', 'SymbolNode', 'OperatorNode', 'ParenthesisNode', 'FunctionNode', 'ConditionalNode']);

/** A compiled formula: a pure function of the named variables. */
export type CompiledExpression = ((vars: Readonly<Record<string, number>>) => number) & {
  readonly source: string;
  readonly variables: readonly string[];
};

/**
 * Compiles `source` as a function of `variables`. `path` is the config path for errors
 * (`init.height`); `constants` adds named numbers (e.g. config parameters).
 */
export function compileExpression(source: unknown, variables: readonly string[], path: string, constants: Readonly<Record<string, number>> = {}): CompiledExpression {
  if (typeof source === 'number' && Number.isFinite(source)) source = String(source);
  if (typeof source !== 'string' || source.trim() === '') throw new ConfigError(path, `a math expression in ${variables.join(', ') || 'constants'} (string)`, describe(source));
  let node: MathNode;
  try {
    node = parse(source);
  } catch (e) {
    throw new ConfigError(path, 'a valid math expression', `${JSON.stringify(source)}: ${(e as Error).message}`);
  }
  const consts = { ...EXPRESSION_CONSTANTS, ...constants };
  const known = new Set([...variables, ...Object.keys(consts)]);
  const hint = `Allowed symbols: ${[...variables, ...Object.keys(consts)].join(', ')}; functions: ${EXPRESSION_FUNCTIONS.join(', ')}`;
  node.traverse((n: MathNode, _p: string, parent: MathNode | null) => {
    if (!NODE_TYPES.has(n.type)) throw new ConfigError(path, 'an arithmetic expression', `${JSON.stringify(source)} containing a ${n.type.replace('Node', '').toLowerCase()} (${n.toString().slice(0, 40)})`, hint);
    if (n.type === 'ConstantNode' && typeof (n as unknown as { value: unknown }).value !== 'number') {
      throw new ConfigError(path, 'numbers only', `${JSON.stringify(source)} containing ${n.toString()}`, hint);
    }
    if (n.type === 'FunctionNode') {
      const fn = (n as unknown as { fn: MathNode }).fn;
      const name = fn.type === 'SymbolNode' ? (fn as unknown as { name: string }).name : '';
      if (!EXPRESSION_FUNCTIONS.includes(name)) throw new ConfigError(path, 'a known function', `${JSON.stringify(source)} calling '${name || fn.toString()}'`, hint);
    }
    if (n.type === 'SymbolNode') {
      const isCallee = parent?.type === 'FunctionNode' && (parent as unknown as { fn: MathNode }).fn === n;
      const name = (n as unknown as { name: string }).name;
      if (!isCallee && !known.has(name)) throw new ConfigError(path, 'an expression in known symbols', `${JSON.stringify(source)} using unknown symbol '${name}'`, hint);
    }
  });
  const code = compile(source);
  const f = (vars: Readonly<Record<string, number>>): number => {
    const scope: Record<string, number> = { ...consts };
    for (const v of variables) {
      const x = vars[v];
      if (typeof x !== 'number') throw new ValueError(`${path} variable '${v}'`, 'a number', describe(x));
      scope[v] = x;
    }
    const y = code.evaluate(scope) as unknown;
    const num = typeof y === 'boolean' ? Number(y) : y;
    if (typeof num !== 'number' || !Number.isFinite(num)) {
      throw new ValueError(path, 'a finite real number', `${describe(y)} at ${JSON.stringify(vars)}`, `Formula: ${source}`);
    }
    return num;
  };
  return Object.assign(f, { source, variables: [...variables] });
}

/** Evaluates a compiled formula on `n` points given as flat coordinate arrays. */
export function evaluateOnPoints(f: CompiledExpression, coords: Readonly<Record<string, ArrayLike<number>>>, n: number): Float64Array {
  // [n]
  const out = new Float64Array(n);
  const vars: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    for (const v of f.variables) vars[v] = coords[v][i];
    out[i] = f(vars);
  }
  return out;
}
