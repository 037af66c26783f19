/**
 * Which SLA policy format a parsed document is in, from its identifying keys alone. Kept free of
 * the loaders (zod schemas, PromQL parser) so the plan loader can tell a policy from a plan on
 * the one parse it already did.
 */
export type PolicySource = 'rollgate' | 'sloth' | 'openslo';

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
const asText = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The format of a document, from its identifying keys; undefined when it is not an SLA policy. */
export function policyFormatOf(data: unknown): { format: PolicySource; kind: string | null } | undefined {
  const doc = asRecord(data);
  if (!doc) return undefined;
  const kind = asText(doc.kind) ?? null;
  const apiVersion = asText(doc.apiVersion);
  if (kind === 'SLAPolicy') return { format: 'rollgate', kind };
  if (asText(doc.version) === 'prometheus/v1' || (doc.version !== undefined && doc.service !== undefined && doc.slos !== undefined)) return { format: 'sloth', kind };
  if (apiVersion?.startsWith('sloth.slok.dev/') || kind === 'PrometheusServiceLevel') return { format: 'sloth', kind };
  if (apiVersion?.startsWith('openslo/')) return { format: 'openslo', kind };
  return undefined;
}
