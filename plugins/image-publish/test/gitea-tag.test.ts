/**
 * Whether the build's tag is annotated when the clone holds no tag object: Gitea is asked
 * (`gitea_url`, `gitea_token`), the Gitea stand-in holding an annotated and a lightweight tag.
 */
import { rmSync } from "node:fs";
import { RegistryClient } from "@hangar/oci";
import {
  type GiteaStandIn,
  type Registry,
  readStepOutputs,
  startGiteaStandIn,
  testbed,
} from "@hangar/testbed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildEnv, gitWorkspace, pushTwoPlatformBase, runImagePublish } from "./helpers.ts";

const registry: Registry | undefined = await testbed.registry();
let gitea: GiteaStandIn | undefined;
let dir = "";

describe.skipIf(!registry)("a tag the clone does not hold", () => {
  beforeAll(async () => {
    const reg = registry as Registry;
    await pushTwoPlatformBase(new RegistryClient({ host: reg.host }), "base/node", "24");
    gitea = await startGiteaStandIn({
      owner: "acme",
      repo: "app",
      tags: [{ name: "v2.0.0", message: "Release 2.0.0" }, { name: "v2.1.0" }],
    });
    dir = gitWorkspace({ "a.txt": "a" }); // no tags in this clone
  });
  afterAll(async () => {
    await gitea?.stop();
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("asks Gitea: an annotated tag moves latest, a lightweight one does not; without Gitea it counts as lightweight", async () => {
    const host = registry?.host;
    const settings = {
      repo: `${host}/acme/app`,
      base: `${host}/base/node:24`,
      gitea_url: gitea?.url ?? "",
      gitea_token: gitea?.token ?? "",
    };
    const dry = await runImagePublish({ ...buildEnv(dir, settings, "v2.0.0"), PLUGIN_DRY_RUN: "true" }, dir);
    expect(dry.output).toContain(`not in the clone: ${gitea?.url} is asked whether it is annotated`);

    const annotated = await runImagePublish(buildEnv(dir, settings, "v2.0.0"), dir);
    expect(annotated.code, annotated.output).toBe(0);
    expect(annotated.output).toContain("annotated git tag (asked of Gitea)");
    expect((await readStepOutputs(dir)).IMAGE_PUBLISH_TAGS).toBe("2.0.0,2.0,2,latest");
    expect(gitea?.requests().some((r) => r.operationId === "repoGetTag")).toBe(true);

    const light = await runImagePublish(buildEnv(dir, settings, "v2.1.0"), dir);
    expect(light.code, light.output).toBe(0);
    expect(light.output).toContain("lightweight git tag (asked of Gitea)");
    expect((await readStepOutputs(dir)).IMAGE_PUBLISH_TAGS).toBe("2.1.0");

    const { gitea_url: _, gitea_token: __, ...alone } = settings;
    const unasked = await runImagePublish(buildEnv(dir, alone, "v2.0.0"), dir);
    expect(unasked.output).toContain("is not in the clone: counted as lightweight");
  });
});
