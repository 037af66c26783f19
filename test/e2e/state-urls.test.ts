/** Sentinel and Cluster state URLs as a user meets them on the command line: bad ones, literal passwords, unreachable ones. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { freePort } from '../support/redis.js';

describe('state URLs on the command line', () => {
  it('a bad Sentinel URL: exit 2 with an example, nothing contacted', async () => {
    const result = await runCli(['rollout', 'status', '--state', 'redis-sentinel://127.0.0.1:26379']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('names no master');
    expect(result.stderr).toContain('for example: --state redis-sentinel://');
  });

  it('a literal password is refused and never echoed (text and --json)', async () => {
    for (const args of [[], ['--json']]) {
      const result = await runCli(['rollout', 'status', ...args, '--state', 'redis-cluster://app:hunter2@127.0.0.1:7000']);
      expect(result.code).toBe(2);
      expect(result.stdout + result.stderr).not.toContain('hunter2');
      expect(result.stdout + result.stderr).toContain('ROLLGATE_STATE_PASSWORD_FILE');
    }
  });

  it('unreachable sentinels or cluster nodes: exit 3 naming the addresses, no credentials', async () => {
    const [a, b] = [await freePort(), await freePort()];
    const sentinel = await runCli(['rollout', 'status', '--state', `redis-sentinel://app:\${PW}@127.0.0.1:${a},127.0.0.1:${b}/prod/0`], { env: { PW: 's3cret-pw' } });
    expect(sentinel.code).toBe(3);
    expect(sentinel.stderr).toContain(`redis-sentinel://127.0.0.1:${a},127.0.0.1:${b}/prod/0`);
    expect(sentinel.stderr).not.toContain('s3cret-pw');
    const cluster = await runCli(['rollout', 'status', '--state', `redis-cluster://127.0.0.1:${a},127.0.0.1:${b}`]);
    expect(cluster.code).toBe(3);
    expect(cluster.stderr).toContain(`redis-cluster://127.0.0.1:${a},127.0.0.1:${b}`);
  });
});
