/**
 * playbooks/ is what users copy: each file is validated by name with the built binary (the same
 * `plan validate` a user runs after copying it), and each one teaches in comments before its YAML.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../support/cli.js';

const dir = path.join(ROOT, 'playbooks');

/** Rollout plans, with the shape each one must keep. */
const PLANS: Array<{ file: string; steps: number; gates: string[]; teaches: RegExp }> = [
  { file: 'canary-standard.yaml', steps: 4, gates: ['error-rate', 'p95-latency', 'stable-error-rate'], teaches: /10% → 25% → 50% → 100%/ },
  { file: 'canary-fast.yaml', steps: 2, gates: ['error-rate', 'p95-latency', 'stable-error-rate'], teaches: /low-risk services/ },
  { file: 'blue-green.yaml', steps: 1, gates: ['error-rate', 'p95-latency', 'green-error-rate', 'green-p95-latency', 'stable-error-rate'], teaches: /pre-promotion/ },
  { file: 'canary-vs-baseline.yaml', steps: 4, gates: ['error-rate', 'success-rate', 'latency-vs-stable', 'stable-error-rate'], teaches: /compared with stable/ },
  { file: 'traffic-nginx.yaml', steps: 4, gates: ['error-rate', 'p95-latency', 'stable-error-rate'], teaches: /split_clients/ },
  { file: 'traffic-envoy.yaml', steps: 4, gates: ['error-rate', 'p95-latency', 'stable-error-rate'], teaches: /runtime_fraction/ },
  { file: 'traffic-feature-flag.yaml', steps: 4, gates: ['error-rate', 'p95-latency', 'stable-error-rate'], teaches: /percentage rollout/ },
  { file: 'traffic-kubectl.yaml', steps: 4, gates: ['error-rate', 'p95-latency', 'stable-error-rate'], teaches: /kubectl scale/ },
  { file: 'traffic-http-router.yaml', steps: 4, gates: ['error-rate', 'p95-latency', 'stable-error-rate'], teaches: /weights API/ },
];

interface Validation {
  valid: boolean;
  files: Array<{ file: string; valid: boolean; kind: string | null; steps?: number; gates?: number; issues: unknown[] }>;
}

describe('playbooks', () => {
  for (const plan of PLANS) {
    it(`${plan.file} is a valid, commented rollout plan`, async () => {
      const file = path.join('playbooks', plan.file);
      const result = await runCli(['plan', 'validate', file, '--json']);
      expect(result.code, result.stderr).toBe(0);
      const doc = JSON.parse(result.stdout) as Validation;
      expect(doc.files[0]).toMatchObject({ valid: true, kind: 'RolloutPlan', steps: plan.steps, gates: plan.gates.length });
      const text = readFileSync(path.join(dir, plan.file), 'utf8');
      for (const gate of plan.gates) expect(text).toContain(`- name: ${gate}`);
      // It teaches before it configures: a comment block on top saying what it is for.
      const header = text.slice(0, text.indexOf('apiVersion:'));
      expect(header.split('\n').filter((line) => line.startsWith('#')).length).toBeGreaterThanOrEqual(6);
      expect(header).toMatch(plan.teaches);
      expect(header).toMatch(new RegExp(`rollgate plan validate (playbooks/)?${plan.file.replace(".", "\\.")}`));
      // And comments say why along the way, not just on top.
      expect(text.slice(header.length).split('\n').filter((line) => /#\s\S/.test(line)).length).toBeGreaterThanOrEqual(8);
      // Secrets never in a playbook.
      expect(text).not.toMatch(/Bearer\s+[A-Za-z0-9]/);
    });
  }

  it('the whole folder validates in one call (plans and the policies other parts bring)', async () => {
    const files = readdirSync(dir).filter((name) => /\.ya?ml$/.test(name));
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const plan of PLANS) expect(files).toContain(plan.file);
    const result = await runCli(['plan', 'validate', ...files.map((name) => path.join('playbooks', name)), '--json']);
    const doc = JSON.parse(result.stdout) as Validation;
    expect(doc.files.filter((f) => !f.valid), result.stderr).toEqual([]);
    expect(result.code).toBe(0);
  });
});
