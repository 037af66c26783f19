/**
 * Who is running rollgate, for approvals, evidence and reports: `user@host` in a terminal, or the
 * CI job (provider, job name, link to the run) when the usual CI variables are set.
 */
import os from 'node:os';
import { redactUrl } from './redact.js';

export interface CiJob {
  /** github-actions, gitlab-ci, jenkins, buildkite, circleci, or `ci` for an unknown provider. */
  provider: string;
  job?: string;
  url?: string;
}

export interface OperatorIdentity {
  user: string;
  host: string;
  ci?: CiJob;
  /** One line for people: `alice@laptop`, or `github-actions: deploy #42 (https://...)`. */
  display: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Set and not an explicit "false"/"0": CI=false is how people switch CI detection off. */
function isSet(value: string | undefined): value is string {
  return value !== undefined && value !== '' && value !== 'false' && value !== '0';
}

function join(...parts: (string | undefined)[]): string | undefined {
  const kept = parts.filter((part): part is string => isSet(part));
  return kept.length > 0 ? kept.join(' ') : undefined;
}

/** Recognises the CI provider from its documented environment variables. */
export function detectCi(env: Env): CiJob | undefined {
  if (isSet(env.GITHUB_ACTIONS)) {
    const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: runId } = env;
    return {
      provider: 'github-actions',
      job: join(env.GITHUB_WORKFLOW, env.GITHUB_JOB && `/ ${env.GITHUB_JOB}`, runId && `#${env.GITHUB_RUN_NUMBER ?? runId}`),
      url: server && repo && runId ? `${server}/${repo}/actions/runs/${runId}` : undefined,
    };
  }
  if (isSet(env.GITLAB_CI)) {
    return { provider: 'gitlab-ci', job: join(env.CI_PROJECT_PATH, env.CI_JOB_NAME, env.CI_JOB_ID && `#${env.CI_JOB_ID}`), url: env.CI_JOB_URL };
  }
  if (isSet(env.JENKINS_URL)) {
    return { provider: 'jenkins', job: join(env.JOB_NAME, env.BUILD_NUMBER && `#${env.BUILD_NUMBER}`), url: env.BUILD_URL };
  }
  if (isSet(env.BUILDKITE)) {
    return {
      provider: 'buildkite',
      job: join(env.BUILDKITE_PIPELINE_SLUG, env.BUILDKITE_LABEL, env.BUILDKITE_BUILD_NUMBER && `#${env.BUILDKITE_BUILD_NUMBER}`),
      url: env.BUILDKITE_BUILD_URL,
    };
  }
  if (isSet(env.CIRCLECI)) {
    return {
      provider: 'circleci',
      job: join(env.CIRCLE_PROJECT_REPONAME, env.CIRCLE_JOB, env.CIRCLE_BUILD_NUM && `#${env.CIRCLE_BUILD_NUM}`),
      url: env.CIRCLE_BUILD_URL,
    };
  }
  if (isSet(env.CI)) return { provider: 'ci' };
  return undefined;
}

function currentUser(env: Env): string {
  const fromEnv = env.USER ?? env.LOGNAME ?? env.USERNAME;
  if (isSet(fromEnv)) return fromEnv;
  try {
    // userInfo() throws when the uid has no passwd entry (common in containers).
    return os.userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The operator of this process: user@host, or the CI job when running in CI. */
export function operatorIdentity(env: Env = process.env): OperatorIdentity {
  const user = currentUser(env);
  const host = os.hostname() || 'localhost';
  const found = detectCi(env);
  if (!found) return { user, host, display: `${user}@${host}` };
  // A CI URL is a link for people; strip credentials in case a runner put some there.
  const ci: CiJob = { provider: found.provider };
  if (found.job) ci.job = found.job;
  if (isSet(found.url)) ci.url = redactUrl(found.url);
  const display = [`${ci.provider}${ci.job ? `: ${ci.job}` : ` (${user}@${host})`}`, ci.url && `(${ci.url})`].filter(Boolean).join(' ');
  return { user, host, ci, display };
}
