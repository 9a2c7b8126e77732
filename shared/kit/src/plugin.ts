import type { Card } from "./card.ts";
import type { BuildContext } from "./context.ts";
import type { SettingProblem } from "./errors.ts";
import type { Exec } from "./exec.ts";
import type { Logger } from "./log.ts";
import type { SettingsOf, SettingsSchema } from "./settings/define.ts";

/** What a plugin hands to the kit: its settings, a pure planner, and the code that carries the plan out. */
export interface PluginDefinition<S extends SettingsSchema, P> {
  /** The image and docs page name: `notify-email`. */
  name: string;
  /** One line for `--help` and the docs. */
  description: string;
  settings: S;
  /**
   * Checks that span settings (`username` without `password`). Sees every setting that parsed,
   * so its problems are reported together with the parsing problems.
   */
  check?: (
    settings: Partial<SettingsOf<S>>,
    context: PlanContext<S>,
  ) => SettingProblem[] | Promise<SettingProblem[]>;
  /**
   * Settings + build → what will be done. Reads files but changes nothing and talks to no
   * server; `dry_run` prints its description and stops here.
   */
  plan: (settings: SettingsOf<S>, context: PlanContext<S>) => P | Promise<P>;
  describe: (plan: P) => string;
  /**
   * Whether this run stops after printing the plan. Default: the common `dry_run` setting is
   * true. A plugin that declares its own `dry_run` says here which of its values stop.
   */
  dryRun?: (settings: SettingsOf<S>) => boolean;
  run: (plan: P, runtime: Runtime) => Promise<RunResult>;
}

export interface PlanContext<S extends SettingsSchema = SettingsSchema> {
  build: BuildContext;
  env: Readonly<Record<string, string | undefined>>;
  log: Logger;
  /**
   * What earlier steps of this build handed on (`PROXMOX_VM_IP`), read once and checked to
   * come from this build; empty when none did.
   */
  outputs: Readonly<Record<string, string>>;
  /** A problem about one setting, with its docs link, its value redacted when it is a secret. */
  problem: (setting: keyof S & string, code: string, message: string, value?: string) => SettingProblem;
}

export interface Runtime {
  build: BuildContext;
  env: Readonly<Record<string, string | undefined>>;
  log: Logger;
  exec: Exec;
  fetch: typeof fetch;
  /** Aborted when the step is cancelled (SIGTERM from the runner). */
  signal: AbortSignal;
  /**
   * For clean-up after a cancel (roll back, remove a draft): aborted only when the grace
   * period after the cancel runs out, shortly before the kit exits the process regardless.
   */
  cleanupSignal: AbortSignal;
  now: () => Date;
}

export interface RunResult {
  /** `false` fails the step after outputs and card are written (a check that did not pass). */
  ok?: boolean;
  /** Published as `<PLUGIN>_<KEY>` in `.hangar/outputs.env` and `.hangar/outputs.json`. */
  outputs?: Record<string, string>;
  card?: Card;
  /** The closing line of the log. */
  summary?: string;
}
