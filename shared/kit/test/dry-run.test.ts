import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type PluginDefinition,
  runCaptured,
  type SettingsSchema,
  settings as s,
  withCommon,
} from "../src/index.ts";

let workspace: string;
beforeEach(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), "kit-dry-run-"));
});
afterEach(() => rm(workspace, { recursive: true, force: true }));

function plugin<
  S extends Record<string, ReturnType<ReturnType<typeof s.enum>> | ReturnType<typeof s.boolean>>,
>(schema: S, ran: string[], dryRun?: PluginDefinition<S, string>["dryRun"]): PluginDefinition<S, string> {
  return {
    name: "probe",
    description: "a probe",
    settings: schema,
    plan: (settings) => JSON.stringify(settings.dry_run ?? null),
    describe: (plan) => `plan ${plan}`,
    ...(dryRun ? { dryRun } : {}),
    async run(plan) {
      ran.push(plan);
      return {};
    },
  };
}

async function run<S extends SettingsSchema>(
  definition: PluginDefinition<S, string>,
  env: Record<string, string>,
) {
  const { code, output } = await runCaptured(definition, env, workspace);
  return { code, out: output };
}

describe("dry_run", () => {
  it("is the common boolean that stops after the plan, unless a plugin declares its own", async () => {
    const ran: string[] = [];
    const common = plugin({}, ran);
    expect((await run(common, { PLUGIN_DRY_RUN: "true" })).out).toContain("plan true");
    expect(ran).toEqual([]);
    expect((await run(common, { PLUGIN_DRY_RUN: "client" })).code).toBe(2);
    await run(common, {});
    expect(ran).toEqual(["false"]);
  });

  it("takes a plugin's own declaration, which decides which values stop", async () => {
    const ran: string[] = [];
    const own = plugin(
      { dry_run: s.enum(["client", "server"])({ description: "client or server" }) },
      ran,
      (settings) => settings.dry_run === "client",
    );
    expect(withCommon(own.settings).dry_run.type).toBe("one of client, server");
    const client = await run(own, { PLUGIN_DRY_RUN: "client" });
    expect(client.out).toContain('plan "client"');
    expect(ran).toEqual([]);
    await run(own, { PLUGIN_DRY_RUN: "server" });
    expect(ran).toEqual(['"server"']);
    const bad = await run(own, { PLUGIN_DRY_RUN: "true" });
    expect(bad.code).toBe(2);
    expect(bad.out).toContain("must be one of client, server");
  });
});
