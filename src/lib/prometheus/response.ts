/**
 * zod schemas of the Prometheus HTTP API responses (https://prometheus.io/docs/prometheus/latest/querying/api/).
 * Sample values arrive as strings so that NaN and ±Inf survive JSON; they are turned into numbers here.
 */
import * as z from 'zod';
import type { RangeSeries, Sample } from './types.js';

// Go's strconv.FormatFloat output plus Prometheus' spellings of the special values.
const NUMBER_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses a Prometheus sample value string: "0.5", "1e-3", "NaN", "+Inf", "-Inf". */
export function parseSampleValue(text: string): number | undefined {
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return NUMBER_RE.test(text) ? Number(text) : undefined;
}

const SampleValue = z.string().transform((text, ctx) => {
  const value = parseSampleValue(text);
  if (value === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a sample value` });
    return z.NEVER;
  }
  return value;
});

const Pair = z.tuple([z.number(), SampleValue]);
const Labels = z.record(z.string(), z.string());

const VectorData = z.object({
  resultType: z.literal('vector'),
  result: z.array(z.object({ metric: Labels, value: Pair })),
});
const MatrixData = z.object({
  resultType: z.literal('matrix'),
  result: z.array(z.object({ metric: Labels, values: z.array(Pair) })),
});
const ScalarData = z.object({ resultType: z.literal('scalar'), result: Pair });
const StringData = z.object({ resultType: z.literal('string'), result: z.tuple([z.number(), z.string()]) });

export const QueryData = z.discriminatedUnion('resultType', [VectorData, MatrixData, ScalarData, StringData]);
export type QueryData = z.infer<typeof QueryData>;

/** The envelope of every API answer, success or error (errors also come with 4xx/5xx statuses). */
export const Envelope = z.discriminatedUnion('status', [
  z.object({ status: z.literal('success'), data: z.unknown(), warnings: z.array(z.string()).optional() }),
  z.object({ status: z.literal('error'), errorType: z.string(), error: z.string(), data: z.unknown().optional() }),
]);
export type Envelope = z.infer<typeof Envelope>;

/** Instant-query data as samples; a scalar is one sample without labels. Returns a message when the shape does not fit. */
export function toSamples(data: QueryData): Sample[] | string {
  switch (data.resultType) {
    case 'vector':
      return data.result.map((s) => ({ labels: s.metric, value: s.value[1], timestamp: s.value[0] }));
    case 'scalar':
      return [{ labels: {}, value: data.result[1], timestamp: data.result[0] }];
    case 'matrix':
      return 'the query returned a range vector (matrix); a gate needs one value per series — wrap it in a function such as rate() or max_over_time()';
    case 'string':
      return 'the query returned a string; a gate needs a number';
  }
}

/** Range-query data as series; Prometheus always answers a range query with a matrix. */
export function toRangeSeries(data: QueryData): RangeSeries[] | string {
  if (data.resultType !== 'matrix') return `a range query returned a ${data.resultType}, expected a matrix`;
  return data.result.map((s) => ({ labels: s.metric, points: s.values.map(([t, v]) => [t, v] as [number, number]) }));
}

/** First zod issue as `path: message`, short enough for a one-line error. */
export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  return path ? `${path}: ${issue.message}` : issue.message;
}
