/** `rollgate serve` spawned as a user runs it (the built binary), on a free loopback port. */
import { startCli, type CliOptions, type CliResult, type RunningCli } from './cli.js';
import { freePort } from './prometheus.js';

export interface ServeProcess {
  url: string;
  port: number;
  cli: RunningCli;
  /** SIGTERM, then the process' result. */
  stop(): Promise<CliResult>;
}

export async function startServe(args: string[], options: CliOptions & { port?: number } = {}): Promise<ServeProcess> {
  const port = options.port ?? (await freePort());
  const cli = startCli(['serve', '--listen', `127.0.0.1:${port}`, ...args], { timeoutMs: 300_000, ...options });
  const deadline = Date.now() + 20_000;
  let exited: CliResult | undefined;
  void cli.done.then((result) => (exited = result));
  while (!/listening/.test(cli.output().stderr)) {
    if (exited) throw new Error(`serve exited (${exited.code}) before listening: ${exited.stderr}`);
    if (Date.now() > deadline) throw new Error(`serve did not start: ${cli.output().stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    cli,
    async stop() {
      if (cli.child.exitCode === null) cli.child.kill('SIGTERM');
      return cli.done;
    },
  };
}
