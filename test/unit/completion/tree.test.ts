/** The command tree the completion scripts are generated from, and the one-line summaries. */
import { Argument, Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { commandTree, flagsAt, summaryOf, valueFlagNames } from '../../../src/lib/completion/tree.js';

describe('summaryOf', () => {
  it('keeps a short description whole', () => {
    expect(summaryOf('validate and show rollout plans')).toBe('validate and show rollout plans');
  });
  it("cuts at the first ': ', '; ' or ' (' that leaves a few words", () => {
    expect(summaryOf('help for a command (nested too: help rollout run), or a topic: exit-codes')).toBe('help for a command');
    expect(summaryOf('state store: file:./.rollgate (default), redis://host:port/db')).toBe('state store: file:./.rollgate');
    expect(summaryOf('the resolved plan: steps, bake times, gates')).toBe('the resolved plan');
  });
  it('caps a long one at a word, with an ellipsis, on one line', () => {
    const long = summaryOf('SLO compliance, error budget, burn rates, alert firing intervals and rule violation intervals over a period, recorded as evidence');
    expect(long.length).toBeLessThanOrEqual(70);
    expect(long).toBe('SLO compliance, error budget, burn rates, alert firing intervals and…');
    expect(summaryOf('two\n   lines')).toBe('two lines');
  });
});

describe('commandTree', () => {
  const program = new Command('rollgate').option('--json', 'machine output').option('--state <url>', 'state store').version('1.0.0', '-V, --version');
  const rollout = program.command('rollout').description('run and steer canary rollouts');
  rollout.command('status').description('current and recent rollouts').argument('[id]').option('--watch', 'keep refreshing');
  rollout.command('run').description('run the canary').argument('<plan>').addOption(new Option('--on-approval <mode>', 'at an approval step').choices(['wait', 'exit'])).option('--out <file>', 'where');
  program.command('completion').addArgument(new Argument('<shell>').choices(['bash', 'zsh']));
  program.command('__complete', { hidden: true }).argument('<what>');
  const nodes = commandTree(program);
  const at = (path: string) => nodes.find((n) => n.path === path)!;

  it('lists every visible command path with its subcommands, hidden ones left out', () => {
    expect(nodes.map((n) => n.path)).toEqual(['', 'rollout', 'rollout status', 'rollout run', 'completion']);
    expect(at('').subcommands).toEqual(['rollout', 'completion']);
    expect(at('rollout').summary).toBe('run and steer canary rollouts');
  });

  it('knows what each argument is completed with', () => {
    expect(at('rollout status').arg).toBe('rollout');
    expect(at('rollout run').arg).toBe('file');
    expect(at('completion')).toMatchObject({ arg: 'words', words: ['bash', 'zsh'] });
    expect(at('rollout').arg).toBe('none');
  });

  it('describes flags: value, choices, files; global flags inherited without --version', () => {
    expect(at('rollout run').flags.find((f) => f.names[0] === '--on-approval')).toMatchObject({ takesValue: true, choices: ['wait', 'exit'], files: false });
    expect(at('rollout run').flags.find((f) => f.names[0] === '--out')).toMatchObject({ takesValue: true, files: true });
    expect(at('').flags.find((f) => f.names[0] === '--state')).toMatchObject({ takesValue: true, files: false });
    const inherited = flagsAt(at('rollout status'), at('')).map((f) => f.names[0]);
    expect(inherited).toEqual(['--watch', '--help', '--json', '--state']);
    expect(flagsAt(at(''), at('')).map((f) => f.names[0])).toContain('--version');
    expect(valueFlagNames(nodes)).toEqual(['--on-approval', '--out', '--state']);
  });
});

describe('commandTree with a help command', () => {
  it('completes help like the command path it takes, plus the exit-codes topic', () => {
    const program = new Command('rollgate');
    program.command('help [topic...]').description('help for a command');
    program.command('sla').description('SLA governance').command('audit').description('audit');
    const nodes = commandTree(program);
    expect(nodes.find((n) => n.path === 'help')).toMatchObject({ subcommands: ['sla', 'exit-codes'], arg: 'none' });
    expect(nodes.find((n) => n.path === 'help sla')).toMatchObject({ subcommands: ['audit'], summary: 'SLA governance', arg: 'none' });
    expect(nodes.map((n) => n.path)).toEqual(['', 'help', 'sla', 'sla audit', 'help sla', 'help sla audit', 'help exit-codes']);
  });
});
