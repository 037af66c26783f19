/**
 * Request headers for a Prometheus server: the plan's extra headers (tenant IDs) and credentials.
 * Secrets are read at call time (a rotated token file is picked up without a restart) and never
 * appear in an error message: messages name the file or the variable, not its content.
 */
import { readFile } from 'node:fs/promises';
import { ProviderError } from '../errors.js';
import type { PrometheusConfig } from '../plan/types.js';

async function readSecretFile(path: string, what: string, address: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ProviderError(`cannot read the ${what} file ${path} (${code})`, address, 'config', { cause: error });
  }
}

function readSecretEnv(name: string, what: string, env: NodeJS.ProcessEnv, address: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ProviderError(`the ${what} variable ${name} is empty or not set`, address, 'config');
  return value;
}

/**
 * Builds the headers of one request. Bearer token precedence follows the contract (env > plan):
 * ROLLGATE_PROMETHEUS_TOKEN_FILE, then the plan's bearerTokenFile, then bearerTokenEnv.
 */
export async function requestHeaders(config: PrometheusConfig, env: NodeJS.ProcessEnv, address: string): Promise<Record<string, string>> {
  const headers: Record<string, string> = { ...config.headers };
  const envTokenFile = env.ROLLGATE_PROMETHEUS_TOKEN_FILE?.trim();
  let token: string | undefined;
  if (envTokenFile) token = await readSecretFile(envTokenFile, 'bearer token (ROLLGATE_PROMETHEUS_TOKEN_FILE)', address);
  else if (config.bearerTokenFile) token = await readSecretFile(config.bearerTokenFile, 'bearer token', address);
  else if (config.bearerTokenEnv) token = readSecretEnv(config.bearerTokenEnv, 'bearer token', env, address);
  if (token !== undefined) {
    if (token === '') throw new ProviderError('the bearer token is empty', address, 'config');
    headers.Authorization = `Bearer ${token}`;
  } else if (config.basicAuth) {
    const { username, passwordFile, passwordEnv } = config.basicAuth;
    let password = '';
    if (passwordFile) password = await readSecretFile(passwordFile, 'basic auth password', address);
    else if (passwordEnv) password = readSecretEnv(passwordEnv, 'basic auth password', env, address);
    headers.Authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }
  return headers;
}
