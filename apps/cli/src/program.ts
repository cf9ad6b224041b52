import { Command, CommanderError } from 'commander';
import { registerCommands, type Io } from './commands.js';
import { CliError, EXIT, type ExitCode } from './exit-codes.js';

/** The `quarantine` program (commander). Built per run so tests can drive it with their own streams. */
export function buildProgram(io: Io): Command {
  const program = new Command('quarantine')
    .description('Quarantine: detonate container images in a sandbox and get a verdict (docs/cli.md)')
    .option('--url <url>', 'API address (QUARANTINE_URL; default http://127.0.0.1:3000)')
    .option('--api-key <key>', 'API key (QUARANTINE_API_KEY)')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();
  registerCommands(program, io);
  program
    .command('completion')
    .description('print a shell completion script: eval "$(quarantine completion bash)"')
    .argument('<shell>', 'bash or zsh')
    .action((shell: string) => {
      if (shell !== 'bash' && shell !== 'zsh') throw new CliError(`completion is for bash or zsh, got "${shell}"`, EXIT.usage);
      io.stdout.write(completionScript(program, shell));
    });
  for (const c of allCommands(program)) c.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  return program;
}

function allCommands(c: Command): Command[] {
  return c.commands.flatMap((s) => [s, ...allCommands(s)]);
}

/** Completion of command words and each command's long options, from the program's own tree. */
export function completionScript(program: Command, shell: 'bash' | 'zsh'): string {
  const cases: string[] = [];
  const walk = (c: Command, path: string[]) => {
    const words = [...c.commands.map((s) => s.name()), ...c.options.map((o) => o.long).filter((l): l is string => Boolean(l))];
    cases.push(`    "${path.join(' ')}") words="${words.join(' ')}" ;;`);
    for (const s of c.commands) walk(s, [...path, s.name()]);
  };
  walk(program, []);
  const body = `_quarantine() {
  local cur path="" w
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for w in "\${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    case "$w" in -*) ;; *) if [ -z "$path" ]; then path="$w"; else path="$path $w"; fi ;; esac
  done
  local words=""
  case "$path" in
${cases.join('\n')}
  esac
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}
`;
  return shell === 'bash' ? `${body}complete -F _quarantine quarantine\n` : `autoload -U +X bashcompinit && bashcompinit\n${body}complete -F _quarantine quarantine\n`;
}

/** Runs one command line; resolves with the exit code (never calls process.exit). */
export async function run(argv: string[], io: Io): Promise<ExitCode> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return io.exitCode;
  } catch (e) {
    if (e instanceof CliError) {
      io.stderr.write(`quarantine: ${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof CommanderError) {
      // --help / --version print and "exit" 0; every other commander error is a usage error (already printed).
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    io.stderr.write(`quarantine: ${(e as Error).message}\n`);
    return EXIT.failure;
  }
}
