/**
 * PromQL functions with their argument and result types, as Prometheus declares them
 * (promql/parser/functions.go). Functions of newer Prometheus versions are included too, so a query
 * written for a newer server is not refused here; a server that lacks one still says so at run time.
 *
 * Types: v = instant vector, m = range vector, s = scalar, S = string.
 */
export type ValueType = 'vector' | 'matrix' | 'scalar' | 'string';

export interface PromqlFunction {
  name: string;
  argTypes: ValueType[];
  /** 0: exactly argTypes; n > 0: up to n optional trailing arguments; -1: any number of the last type. */
  variadic: number;
  returnType: ValueType;
}

const CODES: Record<string, ValueType> = { v: 'vector', m: 'matrix', s: 'scalar', S: 'string' };

/** name → "args>result[,variadic]" */
const TABLE: Record<string, string> = {
  abs: 'v>v', absent: 'v>v', absent_over_time: 'm>v', acos: 'v>v', acosh: 'v>v', asin: 'v>v', asinh: 'v>v', atan: 'v>v', atanh: 'v>v',
  avg_over_time: 'm>v', ceil: 'v>v', changes: 'm>v', clamp: 'vss>v', clamp_max: 'vs>v', clamp_min: 'vs>v', cos: 'v>v', cosh: 'v>v',
  count_over_time: 'm>v', days_in_month: 'v>v,1', day_of_month: 'v>v,1', day_of_week: 'v>v,1', day_of_year: 'v>v,1', deg: 'v>v',
  delta: 'm>v', deriv: 'm>v', exp: 'v>v', first_over_time: 'm>v', floor: 'v>v',
  histogram_avg: 'v>v', histogram_count: 'v>v', histogram_sum: 'v>v', histogram_stddev: 'v>v', histogram_stdvar: 'v>v',
  histogram_fraction: 'ssv>v', histogram_quantile: 'sv>v', histogram_quantiles: 'vSss>v,9',
  double_exponential_smoothing: 'mss>v', holt_winters: 'mss>v', hour: 'v>v,1', idelta: 'm>v', increase: 'm>v', info: 'vv>v,1',
  integral: 'ms>v,1', irate: 'm>v', label_replace: 'vSSSS>v', label_join: 'vSSS>v,-1', last_over_time: 'm>v', ln: 'v>v', log10: 'v>v',
  log2: 'v>v', mad_over_time: 'm>v', max_over_time: 'm>v', min_over_time: 'm>v', ts_of_first_over_time: 'm>v', ts_of_max_over_time: 'm>v',
  ts_of_min_over_time: 'm>v', ts_of_last_over_time: 'm>v', minute: 'v>v,1', month: 'v>v,1', pi: '>s', predict_linear: 'ms>v',
  present_over_time: 'm>v', quantile_over_time: 'sm>v', rad: 'v>v', rate: 'm>v', resets: 'm>v', round: 'vs>v,1', scalar: 'v>s',
  sgn: 'v>v', sin: 'v>v', sinh: 'v>v', sort: 'v>v', sort_desc: 'v>v', sort_by_label: 'vS>v,-1', sort_by_label_desc: 'vS>v,-1',
  sqrt: 'v>v', stddev_over_time: 'm>v', stdvar_over_time: 'm>v', sum_over_time: 'm>v', tan: 'v>v', tanh: 'v>v', time: '>s',
  timestamp: 'v>v', vector: 's>v', year: 'v>v,1',
};

/** The function of that name, or undefined when PromQL has none. */
export function promqlFunction(name: string): PromqlFunction | undefined {
  const spec = Object.hasOwn(TABLE, name) ? TABLE[name] : undefined;
  if (spec === undefined) return undefined;
  const [signature, variadic] = spec.split(',');
  const [args, result] = signature!.split('>');
  return { name, argTypes: [...args!].map((code) => CODES[code]!), variadic: Number(variadic ?? 0), returnType: CODES[result!]! };
}
