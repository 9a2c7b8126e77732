import { quote, shellJoin } from "@hangar/kit";

/**
 * How a command runs on the host so that nothing outlives the step: in a session and process
 * group of its own (`setsid`), watched by a loop that reads the SSH channel's input. A line
 * `TERM`/`INT`/`HUP`/`KILL` signals the whole group; the end of the input (the plugin closed the
 * channel, or the connection dropped because the plugin was killed) kills it. With `announce`,
 * the group's id comes first on stdout as `pid N`.
 */
export function groupScript(inner: string, announce: boolean): string {
  return [
    "exec 3<&0",
    // Started in the background of a shell without job control, setsid does not fork: $! is the group.
    `setsid sh -c ${quote(inner)} </dev/null &`,
    "p=$!",
    ...(announce ? ['echo "pid $p"'] : []),
    '( while read -r s <&3; do case "$s" in TERM|INT|HUP|KILL) kill -s "$s" -- "-$p";; esac; done; kill -s KILL -- "-$p" ) >/dev/null 2>&1 &',
    "w=$!",
    'wait "$p"; c=$?',
    // What the group's leader left behind goes with it.
    'kill -s KILL -- "-$p" 2>/dev/null',
    'kill "$w" 2>/dev/null',
    'exit "$c"',
  ].join("\n");
}

export interface InnerOptions {
  env?: Record<string, string> | undefined;
  cwd?: string | undefined;
  /** Given to the command's stdin. */
  input?: string | undefined;
  /** The file the command's stdout and stderr are appended to, instead of the channel. */
  output?: string | undefined;
}

/** The command line run inside the group: every argument quoted, environment through `env`. */
export function innerCommand(file: string, args: readonly string[], options: InnerOptions = {}): string {
  const env = Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`);
  const argv = env.length > 0 ? ["env", ...env, file, ...args] : [file, ...args];
  let command = `exec ${shellJoin(argv)}`;
  if (options.output) command += ` >>${quote(options.output)} 2>&1`;
  if (options.input !== undefined) command = `printf '%s' ${quote(options.input)} | { ${command}; }`;
  else command += " </dev/null";
  return options.cwd ? `cd ${quote(options.cwd)} && ${command}` : command;
}
