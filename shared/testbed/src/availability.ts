/**
 * The one availability policy for the test bed's real servers.
 *
 * Under CI (CI set to anything but "", "0" or "false"; Drone and GitHub set "true", Woodpecker
 * "woodpecker") or with HANGAR_TESTBED=require, a server that is missing or does not start fails
 * the run. On a developer's machine, or with HANGAR_TESTBED=optional, the tests that need it are
 * skipped and a boxed warning on stderr names what is missing and how to install it.
 */

export type TestbedPolicy = "require" | "optional";

export const SETUP_COMMAND = "bash .ci/setup";

/** Thrown by a start function when something the server needs is not installed on this machine. */
export class TestbedUnavailableError extends Error {
  readonly server: string;
  readonly debianPackage: string | undefined;

  constructor(server: string, problem: string, debianPackage?: string) {
    const install = debianPackage ? ` (Debian package ${debianPackage}; install with: ${SETUP_COMMAND})` : "";
    super(`${server}: ${problem}${install}`);
    this.name = "TestbedUnavailableError";
    this.server = server;
    this.debianPackage = debianPackage;
  }
}

const FALSY = new Set(["", "0", "false"]);

/** Reads HANGAR_TESTBED and CI; an unknown HANGAR_TESTBED value is an error that lists the accepted ones. */
export function testbedPolicy(env: NodeJS.ProcessEnv = process.env): TestbedPolicy {
  const raw = env.HANGAR_TESTBED?.trim().toLowerCase() ?? "";
  if (raw === "require" || raw === "optional") return raw;
  if (raw !== "") {
    throw new Error(
      `HANGAR_TESTBED=${JSON.stringify(env.HANGAR_TESTBED)} is not valid; use "require", "optional" or unset it`,
    );
  }
  return FALSY.has(env.CI?.trim().toLowerCase() ?? "") ? "optional" : "require";
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const warned = new Set<string>();

function box(lines: readonly string[]): string {
  const width = Math.min(110, Math.max(...lines.map((line) => line.length)));
  const wrapped = lines.flatMap((line) => {
    const parts: string[] = [];
    for (let rest = line; ; rest = rest.slice(width)) {
      parts.push(rest.slice(0, width));
      if (rest.length <= width) break;
    }
    return parts;
  });
  const bar = "═".repeat(width + 2);
  return [`╔${bar}╗`, ...wrapped.map((line) => `║ ${line.padEnd(width)} ║`), `╚${bar}╝`].join("\n");
}

/** Prints the loud skip warning (once per server and problem in a process). */
export function warnSkipped(server: string, error: unknown): void {
  const problem = messageOf(error);
  const key = `${server}\n${problem}`;
  if (warned.has(key)) return;
  warned.add(key);
  const lines = [
    `!!! hangar testbed: SKIPPING the tests that need ${server} !!!`,
    ...problem.split("\n").slice(0, 12),
    ...(problem.includes(SETUP_COMMAND) ? [] : [`Install what is missing with: ${SETUP_COMMAND}`]),
    "Under CI (or with HANGAR_TESTBED=require) this is a failure, not a skip.",
  ];
  process.stderr.write(`\n${box(lines)}\n\n`);
}

/**
 * Starts a server under the policy: resolves with it, or with undefined when it is unavailable
 * and skipping is allowed (after the loud warning); throws when the policy requires it.
 */
export async function requireServer<T>(
  server: string,
  start: () => Promise<T>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<T | undefined> {
  const policy = testbedPolicy(env);
  try {
    return await start();
  } catch (error) {
    if (policy === "require") {
      const problem = messageOf(error);
      const setup = problem.includes(SETUP_COMMAND) ? "" : `\nSet the machine up with: ${SETUP_COMMAND}`;
      const required = `${server} is required here (CI or HANGAR_TESTBED=require)`;
      throw new Error(`hangar testbed: ${required} but could not start: ${problem}${setup}`, {
        cause: error,
      });
    }
    warnSkipped(server, error);
    return undefined;
  }
}

/** The part of vitest's test context a fixture needs: `it("…", (ctx) => fixture.get(ctx))`. */
export interface SkipContext {
  skip(note?: string): never;
}

export interface ServerFixture<T> {
  /** For beforeAll: starts the server under the policy. */
  readonly setup: () => Promise<void>;
  /** For afterAll: stops it (if it has a stop()). */
  readonly teardown: () => Promise<void>;
  /** In a test: the running server, or skips the test when it is unavailable. */
  readonly get: (context: SkipContext) => T;
  /** The running server, undefined before setup or when skipped. */
  readonly server: T | undefined;
}

function hasStop(value: unknown): value is { stop(): Promise<void> } {
  return (
    typeof value === "object" && value !== null && typeof (value as { stop?: unknown }).stop === "function"
  );
}

/**
 * A server for one test file or describe block, without importing vitest here:
 *
 *   const smtp = serverFixture("SMTP server", () => startSmtpServer({ mode: "starttls" }));
 *   beforeAll(smtp.setup);
 *   afterAll(smtp.teardown);
 *   it("mails", async (ctx) => { const server = smtp.get(ctx); … });
 */
export function serverFixture<T>(server: string, start: () => Promise<T>): ServerFixture<T> {
  let state: "idle" | "running" | "skipped" = "idle";
  let running: T | undefined;
  return {
    setup: async () => {
      running = await requireServer(server, start);
      state = running === undefined ? "skipped" : "running";
    },
    teardown: async () => {
      const current = running;
      running = undefined;
      if (hasStop(current)) await current.stop();
    },
    get: (context) => {
      if (running !== undefined) return running;
      if (state === "skipped") return context.skip(`${server} is not available on this machine`);
      throw new Error(`the ${server} fixture is not running: call beforeAll(fixture.setup) in this file`);
    },
    get server() {
      return running;
    },
  };
}
