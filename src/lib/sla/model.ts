/**
 * The one internal SLO model. An SLAPolicy (rollgate/v1), a Sloth `prometheus/v1` spec and an
 * OpenSLO v1 `SLO` (+ `SLI`) file all load into this shape at the edge (src/lib/sla/load-*.ts), so
 * the audit maths, the rules generator, the dashboards and the renderers serve one shape.
 *
 * Queries are kept as templates: `{{range}}` stands for the length of the window a query is
 * evaluated over (Sloth's `{{.window}}` and OpenSLO's counters are rewritten to it when loading),
 * so one SLI yields the error ratio over 5m, 1h, 30d or an exact audit period alike.
 */
import type { PrometheusConfig } from '../plan/types.js';

/** Where a policy came from; `source` decides nothing after loading, it is shown in reports. */
export type { PolicySource } from './format.js';
import type { PolicySource } from './format.js';

/** A rolling window (`30d`), or a calendar period with exact local boundaries in an IANA time zone. */
export type SloWindow =
  | { kind: 'rolling'; durationMs: number }
  | { kind: 'calendar'; unit: 'week' | 'month' | 'quarter'; timezone: string };

/** A period removed from every calculation (maintenance), listed in every output. */
export interface Exclusion {
  /** RFC 3339 */
  from: string;
  /** RFC 3339 */
  to: string;
  reason: string;
}

/**
 * The service level indicator.
 * - errorRatio: occurrences; the SLI over a period is 1 - sum(errors)/sum(total) over exactly that
 *   period (event-weighted), `{{range}}` filled with the period's length.
 * - ratio: a ready error-ratio expression (0..1) with `{{range}}`; over a period it is time-averaged.
 * - timeslices: the fraction of `sliceMs` slices in which `query` met its threshold (`max`: good
 *   when value <= max; `min`: good when value >= min).
 */
export type Sli =
  | { kind: 'errorRatio'; errors: string; total: string }
  | { kind: 'ratio'; query: string }
  | { kind: 'timeslices'; query: string; max?: number; min?: number; sliceMs: number };

/** Labels and annotations added to one severity of the generated burn-rate alerts. */
export interface AlertTarget {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface SloAlerting {
  /** Base name of the generated alerts (Sloth's `alerting.name`); default derived from service and SLO. */
  name?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  page: AlertTarget & { disable: boolean };
  ticket: AlertTarget & { disable: boolean };
  runbookUrl?: string;
}

export interface Slo {
  name: string;
  description?: string;
  /** Percent, e.g. 99.9. */
  objective: number;
  window: SloWindow;
  sli: Sli;
  /** A slice or window with fewer events than this is never counted as bad (low-traffic guard). */
  minEvents?: number;
  /** Policy-level exclusions merged with the SLO's own. */
  exclude: Exclusion[];
  /** Extra labels for generated series and pushed metrics (Sloth `labels`). */
  labels: Record<string, string>;
  alerting: SloAlerting;
}

/** A sustained-breach trigger: "P95 above 120ms for more than 30 minutes". */
export interface SlaRule {
  name: string;
  query: string;
  max?: number;
  min?: number;
  /** Relative to the same query `offset offsetMs` (default 24h): 0.05 = 5%. */
  maxIncrease?: number;
  maxDecrease?: number;
  offsetMs?: number;
  forMs: number;
  severity: 'critical' | 'warning';
}

export interface SlaPolicyModel {
  name: string;
  service: string;
  source: PolicySource;
  /** Path as given by the user. */
  file: string;
  /** sha256 (hex) of the file's bytes as read. */
  sha256: string;
  /** Absent for Sloth and OpenSLO files: --prometheus / ROLLGATE_PROMETHEUS_URL supply it. */
  prometheus?: PrometheusConfig;
  slos: Slo[];
  rules: SlaRule[];
}
