import { Masker } from "./mask.ts";

/** Where the plugin's text goes. Tests pass their own; `main` passes process.stdout/stderr. */
export interface Streams {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
}

/**
 * Plain readable lines for the Drone log. Every line passes through the masker, so a secret
 * cannot reach the log by any path that uses the logger, including error messages.
 */
export class Logger {
  readonly mask: Masker;
  readonly #streams: Streams;
  #debug: boolean;

  constructor(streams: Streams, options: { debug?: boolean; mask?: Masker } = {}) {
    this.#streams = streams;
    this.#debug = options.debug ?? false;
    this.mask = options.mask ?? new Masker();
  }

  set debugEnabled(on: boolean) {
    this.#debug = on;
  }

  get debugEnabled(): boolean {
    return this.#debug;
  }

  info(message: string): void {
    this.#write("stdout", message);
  }

  success(message: string): void {
    this.#write("stdout", `✔ ${message}`);
  }

  warn(message: string): void {
    this.#write("stderr", `! warning: ${message}`);
  }

  error(message: string): void {
    this.#write("stderr", `✖ ${message}`);
  }

  debug(message: string | (() => string)): void {
    if (this.#debug) this.#write("stdout", `· ${typeof message === "function" ? message() : message}`);
  }

  /** A titled block of related lines; the title is what a reader scans the log for. */
  section(title: string): void {
    this.#write("stdout", `\n── ${title}`);
  }

  /** Writes text as it is (after masking), for output such as a rendered plan or a command's tail. */
  raw(text: string, stream: "stdout" | "stderr" = "stdout"): void {
    this.#streams[stream].write(this.mask.apply(text));
  }

  #write(stream: "stdout" | "stderr", message: string): void {
    this.#streams[stream].write(`${this.mask.apply(message)}\n`);
  }
}
