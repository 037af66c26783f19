/** The SLA playbooks: one checkout SLA written in the three formats, each valid, meaning the same where the formats allow. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSlaPolicyFile } from '../../../src/lib/sla/load.js';

const PLAYBOOKS = join(import.meta.dirname, '../../../playbooks');
const check = (name: string) => checkSlaPolicyFile(name, { cwd: PLAYBOOKS, env: {} });

describe('SLA playbooks', () => {
  it('sla-checkout.yaml: a valid SLAPolicy carrying its cron line', async () => {
    const checked = await check('sla-checkout.yaml');
    expect(checked.issues).toEqual([]);
    expect(checked.format).toBe('rollgate');
    expect(readFileSync(join(PLAYBOOKS, 'sla-checkout.yaml'), 'utf8')).toMatch(/^# +0 2 \* \* \* rollgate sla audit /m);
  });

  it.each(['sla-checkout.sloth.yaml', 'sla-checkout.openslo.yaml'])('%s: valid, the same service, SLO names and objectives as the SLAPolicy', async (name) => {
    const [native, other] = await Promise.all([check('sla-checkout.yaml'), check(name)]);
    expect(other.issues).toEqual([]);
    expect(other.policy!.service).toBe(native.policy!.service);
    expect(other.policy!.slos.map((slo) => [slo.name, slo.objective])).toEqual(native.policy!.slos.map((slo) => [slo.name, slo.objective]));
    expect(other.policy!.slos[0]!.window).toEqual(native.policy!.slos[0]!.window);
    expect(readFileSync(join(PLAYBOOKS, name), 'utf8')).toMatch(/rollgate sla audit /);
  });

  it('the OpenSLO file keeps the calendar month and the p95 timeslices of the SLAPolicy', async () => {
    const [native, openslo] = await Promise.all([check('sla-checkout.yaml'), check('sla-checkout.openslo.yaml')]);
    expect(openslo.policy!.slos[1]!.window).toEqual(native.policy!.slos[1]!.window);
    expect(openslo.policy!.slos[1]!.sli).toEqual(native.policy!.slos[1]!.sli);
  });
});
