/** Result of one action (exec or http), captured for the evidence log. Output is truncated and redacted. */
export interface ActionResult {
  ok: boolean;
  kind: 'exec' | 'http';
  /** exec: argv after substitution; http: [METHOD, url] (credentials removed). */
  command: string[];
  exitCode?: number;
  signal?: string;
  status?: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  attempts: number;
  timedOut: boolean;
  /** Why it failed, in one line a person can act on. */
  error?: string;
}
