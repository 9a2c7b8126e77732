import { writeCard } from "./card.ts";
import { type BuildContext, readContext } from "./context.ts";
import { docsLink } from "./docs-link.ts";
import { HangarError, type SettingProblem, SettingsError } from "./errors.ts";
import { createExec, type Exec } from "./exec.ts";
import { Logger, type Streams } from "./log.ts";
import { outputKey, readOutputs, writeOutputs } from "./outputs.ts";
import type { PlanContext, PluginDefinition, Runtime } from "./plugin.ts";
import { parseDuration, type SettingsOf, type SettingsSchema, settings as s } from "./settings/define.ts";
import { formatDuration, helpText } from "./settings/describe.ts";
import { readSettings } from "./settings/read.ts";
import { sourceMappedStack } from "./stack.ts";

/** Settings every plugin has. */
export const commonSettings = {
  dry_run: s.boolean({
    description: "Print what would be done and stop, touching nothing.",
    default: false,
    env: ["HANGAR_DRY_RUN"],
  }),
  debug: s.boolean({ description: "Print debug lines.", default: false, env: ["HANGAR_DEBUG"] }),
  step_timeout: s.duration({ min: 1_000 })({
    description:
      "Deadline for the whole step, retries and waits included: past it the step is cancelled as on SIGTERM (clean-up still runs). `timeout` bounds each call or wait; this bounds their sum. Unset: only the runner's own build timeout.",
    env: ["HANGAR_STEP_TIMEOUT"],
    example: "20m",
  }),
};

/**
 * A plugin may declare a common setting itself (k3s-deploy's `dry_run` is `client` or `server`);
 * its own declaration then replaces the common one.
 */
export type WithCommon<S extends SettingsSchema> = Omit<typeof commonSettings, keyof S> & S;

export function withCommon<S extends SettingsSchema>(schema: S): WithCommon<S> {
  // The plugin's settings first, as before: the docs table and `--help` list them in this order.
  const common = Object.entries(commonSettings).filter(([name]) => !(name in schema));
  return { ...schema, ...Object.fromEntries(common) } as WithCommon<S>;
}

/** What `runPlugin` needs from the outside world; tests pass their own, `main` the process's. */
export interface Dependencies extends Streams {
  env: Readonly<Record<string, string | undefined>>;
  argv: readonly string[];
  cwd: string;
  fetch?: typeof fetch;
  exec?: Exec;
  now?: () => Date;
  signal?: AbortSignal;
  /** How long clean-up may take after a cancel (default HANGAR_CANCEL_GRACE or 10 s). */
  cancelGraceMs?: number;
}

export const DEFAULT_CANCEL_GRACE_MS = 10_000;
/** Clean-up must be done this long before the hard exit, so its last lines are written. */
const CLEANUP_MARGIN_MS = 1_000;

/**
 * Drone and Woodpecker stop a cancelled step's container with SIGTERM and kill it a few
 * seconds later. The plugin gets the same window: `HANGAR_CANCEL_GRACE` (a duration, default 10s).
 */
export function cancelGraceMs(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.HANGAR_CANCEL_GRACE;
  if (raw === undefined || raw.trim() === "") return DEFAULT_CANCEL_GRACE_MS;
  const parsed = parseDuration(raw);
  return parsed.ok && parsed.value >= 2_000 ? parsed.value : DEFAULT_CANCEL_GRACE_MS;
}

export const EXIT_FAILED = 1;
export const EXIT_BAD_SETTINGS = 2;

/**
 * parse → validate → plan → (dry run: print and stop) → run → outputs and card → exit code.
 * Nothing with a side effect happens before every setting is known to be good.
 */
export async function runPlugin<S extends SettingsSchema, P>(
  plugin: PluginDefinition<S, P>,
  deps: Dependencies,
): Promise<number> {
  const schema = withCommon(plugin.settings);
  const log = new Logger(deps);
  if (deps.argv.includes("--help") || deps.argv.includes("-h")) {
    deps.stdout.write(helpText(plugin.name, plugin.description, schema, docsLink(plugin.name)));
    return 0;
  }

  let runSignal: AbortSignal | undefined;
  try {
    const build = readContext(deps.env, deps.cwd);
    // Only what earlier steps of this build wrote: a committed `.hangar/` steers nothing.
    const outputs = await readOutputs(build, (reason) => log.warn(reason));
    const parsed = readSettings({
      plugin: plugin.name,
      schema,
      env: deps.env,
      context: build,
      outputs,
      masker: log.mask,
    });
    log.debugEnabled = parsed.values.debug === true;
    for (const warning of parsed.warnings) log.warn(warning);

    const planContext: PlanContext<S> = {
      build,
      env: deps.env,
      log,
      outputs,
      problem: (setting, code, message, value) => ({
        code,
        setting,
        message,
        value: value === undefined ? undefined : schema[setting]?.secret ? "[secret, redacted]" : value,
        docs: docsLink(plugin.name, setting),
      }),
    };
    const problems: SettingProblem[] = [...parsed.problems];
    if (plugin.check) {
      // A setting that did not parse is reported once, for what is wrong with its value.
      const unparsed = new Set(problems.map((problem) => problem.setting));
      const checked = await plugin.check(parsed.values, planContext);
      problems.push(...checked.filter((problem) => !unparsed.has(problem.setting)));
    }
    if (problems.length > 0) throw new SettingsError(problems);

    const settings = parsed.values as SettingsOf<S>;
    const plan = await plugin.plan(settings, planContext);
    const stopAfterPlan = plugin.dryRun ? plugin.dryRun(settings) : parsed.values.dry_run === true;
    if (stopAfterPlan) {
      log.section(`${plugin.name}: dry run, nothing is changed`);
      log.info(plugin.describe(plan));
      return 0;
    }

    const controller = new AbortController();
    const stepTimeout = parsed.values.step_timeout;
    const stopAt = typeof stepTimeout === "number" ? stepDeadline(stepTimeout) : undefined;
    const signal = AbortSignal.any(
      [deps.signal, controller.signal, stopAt].filter((one) => one !== undefined),
    );
    runSignal = signal;
    const cleanupSignal = graceAfter(
      signal,
      (deps.cancelGraceMs ?? cancelGraceMs(deps.env)) - CLEANUP_MARGIN_MS,
    );
    const runtime: Runtime = {
      build,
      env: deps.env,
      log,
      exec: deps.exec ?? createExec(log),
      // Resolved on first call: touching globalThis.fetch loads undici, which a dry run does not need.
      fetch: deps.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      signal,
      cleanupSignal,
      now: deps.now ?? (() => new Date()),
    };
    const result = await plugin.run(plan, runtime);
    if (result.outputs && Object.keys(result.outputs).length > 0) {
      const prefixed = Object.fromEntries(
        Object.entries(result.outputs).map(([key, value]) => [outputKey(plugin.name, key), value]),
      );
      await publishOutputs(build, prefixed, log);
    }
    if (result.card) await writeCard(build.cardPath, result.card, log.mask, deps.stdout);
    if (result.ok === false) {
      log.error(result.summary ?? `${plugin.name} failed`);
      return EXIT_FAILED;
    }
    if (result.summary) log.success(result.summary);
    return 0;
  } catch (error) {
    // A library's own AbortError (a timer, a socket) after a cancel or the step's deadline is that
    // cancel, not a bug: report why the step was stopped.
    if (runSignal?.aborted && error instanceof Error && error.name === "AbortError") {
      return report(runSignal.reason, log);
    }
    return report(error, log);
  }
}

/**
 * A workspace the image's user may not write to (Drone's clone step leaves it to root) must
 * not fail a step that did its job; the warning says how to let the outputs through.
 */
async function publishOutputs(
  build: BuildContext,
  outputs: Record<string, string>,
  log: Logger,
): Promise<void> {
  try {
    await writeOutputs(build, outputs, log.mask);
    log.debug(() => `outputs: ${Object.keys(outputs).join(", ")}`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EACCES" && code !== "EPERM" && code !== "EROFS") throw error;
    log.warn(
      `cannot write .hangar/outputs.env in the workspace (${code}), so later steps cannot read ${Object.keys(outputs).join(", ")}. ` +
        "The image runs as uid 1000 and the workspace belongs to root: add `user: root` to this step (Drone), or make the workspace writable in an earlier step.",
    );
  }
}

/** Aborts, like a cancel, when the whole step has run for `ms`. */
function stepDeadline(ms: number): AbortSignal {
  const deadline = new AbortController();
  setTimeout(
    () =>
      deadline.abort(
        new HangarError("E_STEP_TIMEOUT", `the step ran past its step_timeout of ${formatDuration(ms)}`, {
          hint: "Raise step_timeout, or find in the log above what took so long.",
        }),
      ),
    ms,
  ).unref();
  return deadline.signal;
}

/** A signal that aborts `graceMs` after `signal` does: what clean-up after a cancel runs under. */
function graceAfter(signal: AbortSignal, graceMs: number): AbortSignal {
  const grace = new AbortController();
  const start = () => {
    setTimeout(
      () => grace.abort(new HangarError("E_CANCELLED", "the grace period after the cancel ran out")),
      Math.max(graceMs, 0),
    ).unref();
  };
  if (signal.aborted) start();
  else signal.addEventListener("abort", start, { once: true });
  return grace.signal;
}

function report(error: unknown, log: Logger): number {
  if (error instanceof SettingsError) {
    const lines = error.problems.map((problem) => {
      const value = problem.value === undefined ? "" : `; got "${problem.value}"`;
      return `  - ${problem.setting}: ${problem.message}${value} [${problem.code}]${problem.docs ? `\n      ${problem.docs}` : ""}`;
    });
    log.error(`${error.message}:\n${lines.join("\n")}`);
    return EXIT_BAD_SETTINGS;
  }
  if (error instanceof HangarError) {
    const details = [error.hint, error.docs].filter(Boolean).map((line) => `\n  ${line}`);
    log.error(`${error.message} [${error.code}]${details.join("")}`);
    return EXIT_FAILED;
  }
  const detail = error instanceof Error ? sourceMappedStack(error.stack ?? error.message) : String(error);
  log.error(`unexpected error, please report it: ${detail}`);
  return EXIT_FAILED;
}

/** The entry point of a plugin's bundle: the process's environment and streams, and its exit code. */
export async function main<S extends SettingsSchema, P>(plugin: PluginDefinition<S, P>): Promise<void> {
  const cancel = new AbortController();
  const graceMs = cancelGraceMs(process.env);
  const onSignal = (name: NodeJS.Signals) => {
    if (cancel.signal.aborted) return;
    cancel.abort(new HangarError("E_CANCELLED", "the step was cancelled"));
    // Whatever a client library does with the abort, the step ends within the grace period.
    setTimeout(() => {
      process.stderr.write(
        `✖ cancelled (${name}): clean-up did not finish within ${formatDuration(graceMs)}; exiting\n`,
      );
      process.exit(name === "SIGINT" ? 130 : 143);
    }, graceMs).unref();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  process.exitCode = await runPlugin(plugin, {
    env: process.env,
    argv: process.argv.slice(2),
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    signal: cancel.signal,
  });
}
