/** Secret values the evidence fixtures were recorded with; no report format may contain any of them. */
export const SECRETS = {
  bearerToken: 'prom-bearer-Zq8rT3kLw',
  basicAuthPassword: 'basic-pw-Hx72mVq9',
  urlPassword: 'url-pw-Kd93nXe4',
  headerToken: 'router-token-Pj61sWb8',
} as const;
