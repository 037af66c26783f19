/**
 * Queries as rollgate keeps them → queries as a Grafana panel runs them, and back to plain PromQL
 * (to check them with the PromQL parser and to run them against a Prometheus in tests).
 *
 * - `{{range}}` (the analysis window) becomes `$__rate_interval`, Grafana's safe rate() window;
 * - `{{weight}}` and `{{step}}` become dashboard variables `${weight}` / `${step}`;
 * - the service's name inside a string literal (`service="checkout"`) becomes `"$service"`, so the
 *   service variable switches every panel.
 */

/** Grafana's built-in and rollgate's dashboard variables, with the values used when checking queries. */
export interface ConcreteValues {
  service: string;
  rateInterval?: string;
  weight?: string;
  step?: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function toGrafana(query: string, service: string): string {
  let out = query.replaceAll('{{range}}', '$__rate_interval').replaceAll('{{weight}}', '${weight}').replaceAll('{{step}}', '${step}');
  // Only a whole string literal equal to the service name: `service="checkout"`, `app='checkout'`.
  if (service) out = out.replace(new RegExp(`(["'\`])${escapeRegExp(service)}\\1`, 'g'), '$1$service$1');
  return out;
}

/** Which of rollgate's own dashboard variables a Grafana expression uses. */
export function variablesUsed(expr: string): Set<'weight' | 'step'> {
  const used = new Set<'weight' | 'step'>();
  if (/\$\{?weight\b/.test(expr)) used.add('weight');
  if (/\$\{?step\b/.test(expr)) used.add('step');
  return used;
}

/** The PromQL a panel would send, with every variable replaced by a concrete value. */
export function toPromql(expr: string, values: ConcreteValues): string {
  return expr
    .replace(/\$__rate_interval\b|\$\{__rate_interval\}/g, values.rateInterval ?? '1m')
    .replace(/\$__interval\b|\$\{__interval\}/g, values.rateInterval ?? '1m')
    .replace(/\$\{weight\}|\$weight\b/g, values.weight ?? '50')
    .replace(/\$\{step\}|\$step\b/g, values.step ?? '1')
    .replace(/\$\{service\}|\$service\b/g, values.service);
}
