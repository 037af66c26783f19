import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { detectCi, operatorIdentity } from '../../src/lib/operator.js';

describe('operatorIdentity', () => {
  it('is user@host outside CI', () => {
    const id = operatorIdentity({ USER: 'alice' });
    expect(id).toEqual({ user: 'alice', host: os.hostname(), display: `alice@${os.hostname()}` });
  });

  it('treats CI=false as not CI', () => {
    expect(operatorIdentity({ USER: 'bob', CI: 'false' }).ci).toBeUndefined();
  });

  it('names the GitHub Actions run with a link', () => {
    const id = operatorIdentity({
      USER: 'runner',
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKFLOW: 'deploy',
      GITHUB_JOB: 'canary',
      GITHUB_RUN_ID: '123456',
      GITHUB_RUN_NUMBER: '42',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/shop',
    });
    expect(id.ci).toEqual({ provider: 'github-actions', job: 'deploy / canary #42', url: 'https://github.com/acme/shop/actions/runs/123456' });
    expect(id.display).toBe('github-actions: deploy / canary #42 (https://github.com/acme/shop/actions/runs/123456)');
  });

  it.each([
    [{ GITLAB_CI: 'true', CI_JOB_NAME: 'rollout', CI_JOB_ID: '7', CI_JOB_URL: 'https://gitlab.example/j/7' }, { provider: 'gitlab-ci', job: 'rollout #7', url: 'https://gitlab.example/j/7' }],
    [{ JENKINS_URL: 'https://ci/', JOB_NAME: 'shop/deploy', BUILD_NUMBER: '9', BUILD_URL: 'https://ci/job/9/' }, { provider: 'jenkins', job: 'shop/deploy #9', url: 'https://ci/job/9/' }],
    [{ BUILDKITE: 'true', BUILDKITE_PIPELINE_SLUG: 'shop', BUILDKITE_BUILD_NUMBER: '3', BUILDKITE_BUILD_URL: 'https://bk/3' }, { provider: 'buildkite', job: 'shop #3', url: 'https://bk/3' }],
    [{ CIRCLECI: 'true', CIRCLE_JOB: 'deploy', CIRCLE_BUILD_NUM: '5', CIRCLE_BUILD_URL: 'https://circle/5' }, { provider: 'circleci', job: 'deploy #5', url: 'https://circle/5' }],
    [{ CI: '1' }, { provider: 'ci' }],
  ])('recognises %o', (env, expected) => {
    expect(detectCi(env)).toMatchObject(expected);
  });

  it('falls back to user@host in the display of an unknown CI, and strips URL credentials', () => {
    expect(operatorIdentity({ USER: 'ci', CI: 'true' }).display).toBe(`ci (ci@${os.hostname()})`);
    expect(operatorIdentity({ USER: 'x', JENKINS_URL: 'y', BUILD_URL: 'https://u:p@ci/job/1' }).ci?.url).toBe('https://***@ci/job/1');
  });
});
