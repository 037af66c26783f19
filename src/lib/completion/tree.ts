/**
 * The commander tree as the completion scripts need it (bash.ts, zsh.ts, fish.ts), so a new
 * command or flag is completed without anyone touching those files. Each script holds a static
 * table of command paths (subcommands, flags, flag values, one-line descriptions) and asks
 * `rollgate __complete rollouts` at the one place it needs live data: the rollout ID or service
 * argument of `rollout status|approve|resume`, `rollback` and `evidence report|verify` (with
 * stdin from /dev/null: it must never read the keys a person types at the terminal meanwhile).
 */
import type { Command, Option } from 'commander';

export interface Flag {
  /** Long name first, then the short one: ['--quiet', '-q']. */
  names: string[];
  takesValue: boolean;
  choices?: string[];
  /** The value is a path. */
  files: boolean;
  summary: string;
}

/** What a positional argument is completed with. */
export type ArgKind = 'rollout' | 'file' | 'none' | 'words';

export interface CommandNode {
  /** Space-separated path below the program: '' for the program, 'rollout run'. */
  path: string;
  /** One line for a menu (zsh, fish): the description cut short. */
  summary: string;
  subcommands: string[];
  /** Long (and short) flags; `takesValue` flags complete a value next. */
  flags: Flag[];
  arg: ArgKind;
  /** For arg 'words': the fixed words (e.g. completion bash|zsh|fish). */
  words?: string[];
}

/** Positional arguments that name a rollout (or its service) in the state store. */
const ROLLOUT_ARGS = new Set(['rollout status', 'rollout approve', 'rollout resume', 'rollback', 'evidence report', 'evidence verify']);
/** A flag whose value is a path says so in its value's name: `--out <file>`, `--dir <dir>`. */
const PATH_VALUE = /<(file|dir|path)>|\[(file|dir|path)\]/;

/**
 * The start of a description, for a completion menu: up to its first `: `, `; ` or ` (` where
 * that leaves a few words ("state store: file:./.rollgate"), then at most 70 characters.
 */
export function summaryOf(description: string): string {
  const text = description.replace(/\s+/g, ' ').trim();
  const cuts = [': ', '; ', ' ('].map((sep) => text.indexOf(sep)).filter((i) => i >= 12);
  const short = cuts.length > 0 ? text.slice(0, Math.min(...cuts)) : text;
  if (short.length <= 70) return short;
  const room = short.slice(0, 69);
  return `${room.slice(0, room.lastIndexOf(' ') > 40 ? room.lastIndexOf(' ') : 69).replace(/[,;: ]+$/, '')}…`;
}

function flagOf(option: Option): Flag {
  const names = [option.long, option.short].filter((n): n is string => typeof n === 'string');
  const takesValue = option.required || option.optional;
  return { names, takesValue, ...(option.argChoices ? { choices: [...option.argChoices] } : {}), files: takesValue && PATH_VALUE.test(option.flags), summary: summaryOf(option.description ?? '') };
}

const HELP_FLAG: Flag = { names: ['--help', '-h'], takesValue: false, files: false, summary: 'help for this command' };

function argKind(path: string, command: Command): Pick<CommandNode, 'arg' | 'words'> {
  if (ROLLOUT_ARGS.has(path)) return { arg: 'rollout' };
  const first = command.registeredArguments[0];
  if (!first) return { arg: 'none' };
  if (first.argChoices) return { arg: 'words', words: [...first.argChoices] };
  return { arg: 'file' };
}

/** Every command of the tree, the program first; hidden commands left out. */
export function commandTree(program: Command): CommandNode[] {
  const nodes: CommandNode[] = [];
  const visit = (command: Command, path: string): void => {
    const visible = command.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
    nodes.push({
      path,
      summary: summaryOf(command.summary() || command.description()),
      subcommands: visible.map((c) => c.name()),
      flags: [...command.options.filter((o) => !o.hidden).map(flagOf), HELP_FLAG],
      ...argKind(path, command),
    });
    for (const sub of visible) visit(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  visit(program, '');
  return withHelpPaths(nodes);
}

/**
 * `rollgate help rollout run`: the help command takes a command path, so its words are completed
 * like the commands themselves (`help rollout <Tab>` → run, status, ...), plus the topic exit-codes.
 */
function withHelpPaths(nodes: CommandNode[]): CommandNode[] {
  const help = nodes.find((n) => n.path === 'help');
  if (!help) return nodes;
  const program = nodes.find((n) => n.path === '')!;
  const commands = nodes.filter((n) => n.path !== '' && n.path !== 'help' && !n.path.startsWith('help '));
  help.subcommands = [...program.subcommands.filter((s) => s !== 'help'), 'exit-codes'];
  help.arg = 'none';
  delete help.words;
  const mirrored = commands.map((n) => ({ path: `help ${n.path}`, summary: n.summary, subcommands: [...n.subcommands], flags: [HELP_FLAG], arg: 'none' as const }));
  const topic: CommandNode = { path: 'help exit-codes', summary: 'what each exit code means', subcommands: [], flags: [HELP_FLAG], arg: 'none' };
  return [...nodes, ...mirrored, topic];
}

/** A command's own flags, then the program's (inherited by every command; --version only at the top). */
export function flagsAt(node: CommandNode, program: CommandNode): Flag[] {
  if (node === program) return node.flags;
  return [...node.flags, ...program.flags.filter((g) => g.names[0] !== '--version' && !node.flags.some((f) => f.names[0] === g.names[0]))];
}

/** Every flag name that takes a value, anywhere in the tree: a completion skips the word after it. */
export function valueFlagNames(nodes: CommandNode[]): string[] {
  return [...new Set(nodes.flatMap((n) => n.flags.filter((f) => f.takesValue).flatMap((f) => f.names)))].sort();
}

/** POSIX single quotes (bash and zsh). */
export const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
