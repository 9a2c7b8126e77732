import { tempWorkspace, type Workspace, type WorkspaceOptions } from "./workspace.ts";

/**
 * What most plugin tests set up for each test: a fresh workspace, and the stand-in the test
 * starts with its own options. setUp and tearDown go to the test runner's hooks (given as
 * `hooks: { beforeEach, afterEach }`, as the test bed does not import a runner); tearDown first
 * runs `check` on the stand-in, if the test started one, then stops it and removes the workspace.
 */
export interface PerTest<Server, Options> {
  /** The current test's workspace (its `dir` is there only while a test runs). */
  readonly workspace: { readonly dir: string };
  start(options?: Options): Promise<Server>;
  /** Replaces the test's workspace with a fresh one, for a test whose subject is the workspace. */
  newWorkspace(options?: WorkspaceOptions): Promise<void>;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
}

export interface PerTestOptions<Server, Options> {
  /** Names the temporary directory: `hangar-<purpose>-…`. */
  purpose: string;
  workspace?: WorkspaceOptions;
  start: (options: Options | undefined) => Promise<Server>;
  /** What must hold for the stand-in after every test that started one (no schema problems, …). */
  check?: (server: Server) => void;
  /** Registers setUp and tearDown around every test: vitest's `{ beforeEach, afterEach }`. */
  hooks?: TestHooks;
}

export interface TestHooks {
  beforeEach(fn: () => Promise<void>): void;
  afterEach(fn: () => Promise<void>): void;
}

export function perTest<Server extends { stop(): Promise<void> }, Options>(
  options: PerTestOptions<Server, Options>,
): PerTest<Server, Options> {
  let server: Server | undefined;
  let current: Workspace | undefined;
  const bed: PerTest<Server, Options> = {
    workspace: {
      get dir(): string {
        if (!current) throw new Error("the workspace exists only while a test runs");
        return current.dir;
      },
    },
    async start(startOptions) {
      server = await options.start(startOptions);
      return server;
    },
    async newWorkspace(workspace = options.workspace) {
      await current?.remove();
      current = await tempWorkspace(options.purpose, workspace);
    },
    async setUp() {
      current = await tempWorkspace(options.purpose, options.workspace);
    },
    async tearDown() {
      const started = server;
      server = undefined;
      try {
        if (started) options.check?.(started);
      } finally {
        await started?.stop();
        await current?.remove();
        current = undefined;
      }
    },
  };
  options.hooks?.beforeEach(bed.setUp);
  options.hooks?.afterEach(bed.tearDown);
  return bed;
}
