/**
 * The pieces every rollgate dashboard shares, built with Grafana's own builders
 * (@grafana/grafana-foundation-sdk): the datasource and service variables, Prometheus targets on
 * the datasource variable, time series with threshold lines, stats, runbook links.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

/** Every panel queries the datasource the viewer picked. */
export const DATASOURCE: common.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

export interface DashboardHeader {
  title: string;
  uid: string;
  tags: string[];
  /** Datasource UID preselected in the variable (--datasource); the viewer can still switch. */
  datasourceUid?: string;
  service: string;
  /** How the service variable finds its values: a label_values() query, or just the one service. */
  serviceValues: { kind: 'query'; query: string } | { kind: 'fixed' };
  runbooks: Array<{ title: string; url: string }>;
  time: { from: string; to: string };
}

export function dashboardBuilder(header: DashboardHeader): dashboard.DashboardBuilder {
  const datasource = new dashboard.DatasourceVariableBuilder('datasource').label('Data source').type('prometheus');
  if (header.datasourceUid) datasource.current({ text: header.datasourceUid, value: header.datasourceUid, selected: true });
  const current: dashboard.VariableOption = { text: header.service, value: header.service, selected: true };
  const service =
    header.serviceValues.kind === 'query'
      ? new dashboard.QueryVariableBuilder('service')
          .label('Service')
          .datasource(DATASOURCE)
          .query({ query: header.serviceValues.query, refId: 'service' })
          .definition(header.serviceValues.query)
          .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
          .current(current)
      : new dashboard.CustomVariableBuilder('service').label('Service').values(header.service).current(current);
  const builder = new dashboard.DashboardBuilder(header.title)
    .uid(header.uid)
    .tags(header.tags)
    .editable()
    .timezone('browser')
    .refresh('30s')
    .time(header.time)
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .withVariable(datasource)
    .withVariable(service);
  for (const runbook of header.runbooks) builder.link(runbookLink(runbook));
  return builder;
}

export function runbookLink(runbook: { title: string; url: string }): dashboard.DashboardLinkBuilder {
  return new dashboard.DashboardLinkBuilder(runbook.title).type(dashboard.DashboardLinkType.Link).url(runbook.url).icon('doc').targetBlank(true).tooltip('Runbook');
}

export function target(expr: string, legend: string, refId: string): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder().datasource(DATASOURCE).expr(expr).legendFormat(legend).refId(refId).range();
}

export interface ThresholdLine {
  value: number;
  /** `above`: values at or above the line are bad (red); `below`: values under it are bad. */
  bad: 'above' | 'below';
  color?: string;
}

function thresholdSteps(lines: ThresholdLine[]): dashboard.Threshold[] {
  if (lines.length === 0) return [{ value: null, color: 'green' }];
  const sorted = [...lines].sort((a, b) => a.value - b.value);
  // Colour the bands between lines: below the lowest is bad when that line says so, and so on up.
  const first = sorted[0]!;
  const steps: dashboard.Threshold[] = [{ value: null, color: first.bad === 'below' ? 'red' : 'green' }];
  for (const line of sorted) steps.push({ value: line.value, color: line.color ?? (line.bad === 'above' ? 'red' : 'green') });
  return steps;
}

export interface SeriesPanel {
  title: string;
  description?: string;
  targets: prometheus.DataqueryBuilder[];
  thresholds?: ThresholdLine[];
  unit?: string;
  min?: number;
  max?: number;
  width?: number;
  height?: number;
  links?: Array<{ title: string; url: string }>;
}

export function seriesPanel(spec: SeriesPanel): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder()
    .title(spec.title)
    .datasource(DATASOURCE)
    .span(spec.width ?? 12)
    .height(spec.height ?? 8)
    .unit(spec.unit ?? 'short')
    .lineWidth(2)
    .fillOpacity(5)
    .spanNulls(false)
    .thresholds(new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(thresholdSteps(spec.thresholds ?? [])))
    .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode((spec.thresholds ?? []).length > 0 ? common.GraphThresholdsStyleMode.Dashed : common.GraphThresholdsStyleMode.Off))
    .targets(spec.targets);
  if (spec.description) panel.description(spec.description);
  if (spec.min !== undefined) panel.min(spec.min);
  if (spec.max !== undefined) panel.max(spec.max);
  if (spec.links && spec.links.length > 0) panel.links(spec.links.map(runbookLink));
  return panel;
}

export function statPanel(spec: SeriesPanel): stat.PanelBuilder {
  const panel = new stat.PanelBuilder()
    .title(spec.title)
    .datasource(DATASOURCE)
    .span(spec.width ?? 6)
    .height(spec.height ?? 8)
    .unit(spec.unit ?? 'short')
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.Area)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .thresholds(new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(thresholdSteps(spec.thresholds ?? [])))
    .targets(spec.targets);
  if (spec.description) panel.description(spec.description);
  if (spec.min !== undefined) panel.min(spec.min);
  if (spec.max !== undefined) panel.max(spec.max);
  return panel;
}

/** Every Prometheus expression of a built dashboard, with the panel it is in (for checks and tests). */
export function dashboardQueries(built: dashboard.Dashboard): Array<{ panel: string; expr: string }> {
  const out: Array<{ panel: string; expr: string }> = [];
  const visit = (panels: unknown[] | undefined): void => {
    for (const p of panels ?? []) {
      const panel = p as { title?: string; targets?: Array<{ expr?: string }>; panels?: unknown[] };
      for (const t of panel.targets ?? []) if (typeof t.expr === 'string') out.push({ panel: panel.title ?? '', expr: t.expr });
      visit(panel.panels);
    }
  };
  visit(built.panels as unknown[] | undefined);
  return out;
}
