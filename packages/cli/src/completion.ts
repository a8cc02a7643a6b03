import { Argument, type Command, type Option } from 'commander';

/**
 * Shell completion scripts generated from the commander tree itself, so a new command or option
 * completes as soon as it is registered. Every script completes subcommand names after the words
 * already typed, then that command's options (long and short flags); argument values (action refs,
 * execution ids) are not completed, they would need the server.
 */
export const completionShells = ['bash', 'zsh', 'fish'] as const;
export type CompletionShell = (typeof completionShells)[number];

interface CommandNode {
  /** The subcommand words after `packrun` ('' for the program itself). */
  path: string;
  description: string;
  subcommands: Array<{ name: string; description: string }>;
  options: Array<{ flag: string; description: string }>;
}

function visibleSubcommands(command: Command): Command[] {
  return command.commands.filter((sub) => !(sub as Command & { _hidden?: boolean })._hidden);
}

function optionFlags(option: Option): string[] {
  return [option.long, option.short].filter((flag): flag is string => typeof flag === 'string');
}

/** Every command of the tree, depth first, with what may follow it. */
export function commandNodes(program: Command, prefix = ''): CommandNode[] {
  const options = program.options.filter((option) => !option.hidden);
  const node: CommandNode = {
    path: prefix,
    description: program.description(),
    subcommands: visibleSubcommands(program).map((sub) => ({ name: sub.name(), description: sub.description() })),
    options: [
      ...options.flatMap((option) => optionFlags(option).map((flag) => ({ flag, description: option.description }))),
      { flag: '--help', description: 'display help for command' },
      { flag: '-h', description: 'display help for command' },
    ],
  };
  return [node, ...visibleSubcommands(program).flatMap((sub) => commandNodes(sub, prefix ? `${prefix} ${sub.name()}` : sub.name()))];
}

/** Single-quoted for any POSIX shell (and fish, which reads `'\''` the same way). */
function quote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').trim();
}

function bashScript(nodes: CommandNode[]): string {
  const known = nodes.filter((node) => node.path !== '').map((node) => quote(node.path));
  const cases = nodes.map((node) => {
    const words = [...node.subcommands.map((sub) => sub.name), ...node.options.map((option) => option.flag)].join(' ');
    return `    ${quote(node.path)}) words=${quote(words)} ;;`;
  });
  return `# packrun completion for bash: source <(packrun completion bash)
_packrun_completion() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" candidate word words="" i
  # The deepest known command among the words typed so far (options and their values skipped).
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && continue
    candidate="\${path:+$path }$word"
    case "$candidate" in
      ${known.join('|')}) path="$candidate" ;;
    esac
  done
  case "$path" in
${cases.join('\n')}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _packrun_completion packrun
`;
}

/** zsh's _describe wants `name:description`, with colons in the name escaped. */
function describeEntry(name: string, description: string): string {
  return quote(`${name.replaceAll(':', '\\:')}:${firstLine(description)}`);
}

function zshScript(nodes: CommandNode[]): string {
  const known = nodes.filter((node) => node.path !== '').map((node) => quote(node.path));
  const cases = nodes.map((node) => {
    const commands = node.subcommands.map((sub) => describeEntry(sub.name, sub.description)).join(' ');
    const options = node.options.map((option) => describeEntry(option.flag, option.description)).join(' ');
    return `    ${quote(node.path)}) commands=(${commands}); options=(${options}) ;;`;
  });
  // zsh ties `path` to PATH: the command words go in command_path.
  return `#compdef packrun
# packrun completion for zsh: source <(packrun completion zsh), after compinit
_packrun() {
  local command_path="" candidate word i
  local -a commands options
  for ((i = 2; i < CURRENT; i++)); do
    word="\${words[i]}"
    [[ "$word" == -* ]] && continue
    candidate="\${command_path:+$command_path }$word"
    case "$candidate" in
      ${known.join('|')}) command_path="$candidate" ;;
    esac
  done
  case "$command_path" in
${cases.join('\n')}
  esac
  if [[ "\${words[CURRENT]}" == -* ]]; then
    _describe -t options 'option' options
  else
    _describe -t commands 'command' commands
  fi
}
compdef _packrun packrun
`;
}

function fishScript(nodes: CommandNode[]): string {
  const lines = ['# packrun completion for fish: packrun completion fish | source', 'complete -c packrun -f'];
  for (const node of nodes) {
    const words = node.path === '' ? [] : node.path.split(' ');
    // At this node: every word of its path typed, and none of its own subcommands yet.
    const conditions = [
      ...(words.length === 0 ? [] : [`__fish_seen_subcommand_from ${words.at(-1)}`]),
      ...(node.subcommands.length === 0 ? [] : [`not __fish_seen_subcommand_from ${node.subcommands.map((sub) => sub.name).join(' ')}`]),
    ];
    const condition = words.length === 0 && node.subcommands.length > 0 ? '__fish_use_subcommand' : conditions.join('; and ');
    const when = condition ? ` -n ${quote(condition)}` : '';
    for (const sub of node.subcommands) lines.push(`complete -c packrun${when} -a ${quote(sub.name)} -d ${quote(firstLine(sub.description))}`);
    for (const option of node.options) {
      const flag = option.flag.startsWith('--') ? `-l ${option.flag.slice(2)}` : `-s ${option.flag.slice(1)}`;
      const optionWhen = words.length === 0 ? '' : ` -n ${quote(`__fish_seen_subcommand_from ${words.at(-1)}`)}`;
      lines.push(`complete -c packrun${optionWhen} ${flag} -d ${quote(firstLine(option.description))}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const scriptMakers: Record<CompletionShell, (nodes: CommandNode[]) => string> = { bash: bashScript, zsh: zshScript, fish: fishScript };

export function completionScript(program: Command, shell: CompletionShell): string {
  return scriptMakers[shell](commandNodes(program));
}

/** `packrun completion <shell>`: prints the script for the whole tree (every command module is loaded for it). */
export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description(`print a shell completion script (${completionShells.join(', ')}); e.g. source <(packrun completion bash)`)
    .addArgument(new Argument('<shell>', 'the shell the script is for').choices(completionShells))
    .action((shell: CompletionShell) => {
      process.stdout.write(completionScript(program, shell));
    });
}
