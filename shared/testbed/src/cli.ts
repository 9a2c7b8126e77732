// Command-line entry for CI scripts: `node shared/testbed/src/cli.ts ensure-docker`.
import { ensureDockerEngine } from "./docker-engine.ts";

const USAGE = "usage: node shared/testbed/src/cli.ts ensure-docker";

async function main(args: readonly string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command !== "ensure-docker" || rest.length > 0) {
    process.stderr.write(`${USAGE}\n`);
    return command === "--help" || command === "help" ? 0 : 2;
  }
  const engine = await ensureDockerEngine();
  const how = engine.startedByUs
    ? `started dockerd (pid ${engine.pid}, log ${engine.logFile}); it keeps running`
    : "already running";
  process.stdout.write(`Docker Engine ${engine.serverVersion}: ${how}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`ensure-docker: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
