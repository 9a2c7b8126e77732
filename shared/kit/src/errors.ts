/**
 * Errors a plugin reports to its user. Each has a stable code (for searching and for tests),
 * a one-line message, and a hint that says what to change. `main` prints them and exits
 * non-zero; anything that is not a HangarError is a bug and gets its stack printed.
 */

export interface ErrorDetails {
  /** What to change, one or more sentences. */
  hint?: string;
  /** A link to the relevant part of the plugin's docs page. */
  docs?: string;
  cause?: unknown;
}

export class HangarError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly docs: string | undefined;

  constructor(code: string, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "HangarError";
    this.code = code;
    this.hint = details.hint;
    this.docs = details.docs;
  }
}

/** One thing wrong with the settings. Collected, never thrown alone. */
export interface SettingProblem {
  code: string;
  /** The setting's documented name (`recipients`), or the environment variable for context problems. */
  setting: string;
  message: string;
  /** The offending value as given, already redacted for secrets; undefined when the value is missing. */
  value?: string | undefined;
  docs?: string | undefined;
}

/** Every problem with the settings, reported at once before anything happens. */
export class SettingsError extends HangarError {
  readonly problems: readonly SettingProblem[];

  constructor(problems: readonly SettingProblem[]) {
    const count = problems.length;
    super("E_SETTINGS", `${count} setting${count === 1 ? "" : "s"} must be fixed before anything can run`);
    this.name = "SettingsError";
    this.problems = problems;
  }
}

/** The step ran to a verdict that is a failure (a failed check, a refused deploy) rather than a crash. */
export class StepFailed extends HangarError {
  constructor(message: string, details: ErrorDetails & { code?: string } = {}) {
    super(details.code ?? "E_STEP_FAILED", message, details);
    this.name = "StepFailed";
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A file a setting names that was refused or could not be read, as that setting's problem with
 * the reader's own code (`E_PATH_OUTSIDE_WORKSPACE`, `E_FILE_NOT_FOUND` …). The reader names the
 * setting itself; the problem list names it already, so that prefix is dropped.
 */
export function fileProblem<S extends string>(
  problem: (setting: S, code: string, message: string, value?: string) => SettingProblem,
  setting: S,
  error: unknown,
  value: string,
): SettingProblem {
  const code = error instanceof HangarError ? error.code : "E_SETTING_FILE";
  const message = errorMessage(error).replace(new RegExp(`^${setting}: `), "");
  return problem(setting, code, `cannot be read: ${message}`, value);
}
