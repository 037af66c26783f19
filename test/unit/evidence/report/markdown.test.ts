import { describe, expect, it } from 'vitest';
import { renderReport } from '../../../../src/lib/evidence/report/render.js';
import { mdText } from '../../../../src/lib/evidence/report/markdown.js';
import { fixtureEvents, FIXTURE_NAMES } from './fixtures.js';

describe('markdown report', () => {
  it.each(FIXTURE_NAMES)('%s: outcome first, then facts, timeline, a section per gate with links', (name) => {
    const events = fixtureEvents(name);
    const { text, summary } = renderReport(events, 'md');
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    expect(lines[0]).toMatch(/^# Rollout checkout-\S+: (promoted|rolled back)$/);
    // The outcome sentence is the first thing after the title.
    expect(lines[1]).toBe(`**${mdText(summary.outcome)}**`);
    expect(summary.outcome).toMatch(name.includes('roll') ? /^Rolled back/ : /^Promoted/);
    expect(text).toContain(`| plan sha256 | \` ${summary.planSha256} \` |`);
    expect(text).toMatch(/\| operator \| .+ \|/);
    expect(text).toMatch(/\| rollgate version \| \d+\.\d+\.\d+ \|/);
    expect(text).toMatch(/\| state store \| ` file:.+ ` \|/);
    expect(text).toContain(`| evidence chain | intact: ${events.length} events, head ${events.at(-1)!.hash} |`);

    const order = ['## Steps', '## Timeline', '## Gates', '## Approvals', '## Rollback'].map((h) => text.indexOf(`\n${h}\n`));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(text).toMatch(/\| time \| step \| weight \| event \| detail \|/);
    expect(text).toContain('` rollout.started `');

    for (const gate of summary.gates.filter((g) => g.measurements.length > 0)) {
      const at = text.indexOf(`### Gate ${gate.name} (${gate.severity})`);
      expect(at, gate.name).toBeGreaterThan(0);
      const section = text.slice(at, text.indexOf('\n### ', at + 1) > 0 ? text.indexOf('\n### ', at + 1) : text.indexOf('\n## ', at));
      expect(section).toContain(`- threshold: \` ${gate.threshold} \``);
      expect(section).toMatch(/\[Prometheus graph over the rollout\]\(<http:\/\/127\.0\.0\.1:\d+\/graph\?g0\.expr=[^>\s]+>\)/);
      expect(section).toContain('```promql\n');
      // One table row per measurement.
      expect(section.split('\n').filter((l) => /^\| \d\d:\d\d:\d\d\.\d{3}Z \|/.test(l))).toHaveLength(gate.measurements.length);
    }
  });

  it('shows approvals with who and when, and the emergency rollback with who and why', () => {
    const approved = renderReport(fixtureEvents('approved'), 'md').text;
    expect(approved).toMatch(/\| 1 \| \d\d:\d\d:\d\d\.\d{3}Z \| step 1 \(10%\) asks for approval \| approve \| .*deploy.* \| \d\d:\d\d:\d\d\.\d{3}Z \| dashboards look fine \|/);
    const emergency = renderReport(fixtureEvents('emergency rollback'), 'md').text;
    expect(emergency).toMatch(/- requested by .+ at 20\d\d-.+ \(severity major\): pager: 5xx spike in checkout/);
    expect(emergency).toContain('- stable verification: passed');
  });

  it('says on top when the rollout is still running', () => {
    const events = fixtureEvents('promoted');
    const { text } = renderReport(events.slice(0, 10), 'md');
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    expect(lines[0]).toMatch(/still running \(running\)$/);
    expect(lines[1]).toMatch(/^> \*\*⚠️ This rollout is still running\.\*\*/);
    expect(lines[2]).toMatch(/^\*\*Still running: checkout at step 1 of 3 \(10%\)/);
  });

  it('escapes recorded text so it cannot break a table or inject HTML', () => {
    expect(mdText('a|b <script>x</script> *bold* `code`\nnext')).toBe('a\\|b \\<script\\>x\\</script\\> \\*bold\\* \\`code\\` next');
    expect(mdText('# not a heading')).toBe('\\# not a heading');
  });
});
