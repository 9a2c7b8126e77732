/**
 * image-publish to a registry served over https with a certificate from a private CA (the test
 * bed's registry behind a TLS front): refused without `ca_cert`, published with it.
 */
import { rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:https";
import { RegistryClient } from "@hangar/oci";
import { createTlsCertificate, type Registry, type TlsCertificate, testbed } from "@hangar/testbed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forward, listenLoopback } from "../../../images/test/token-registry.ts";
import { buildEnv, gitWorkspace, pushTwoPlatformBase, runImagePublish } from "./helpers.ts";

const registry: Registry | undefined = await testbed.registry();
let tls: TlsCertificate | undefined;
let close = async () => {};
let origin = "";
let dir = "";

describe.skipIf(!registry)("a registry whose certificate a private CA signed", () => {
  beforeAll(async () => {
    const reg = registry as Registry;
    await pushTwoPlatformBase(new RegistryClient({ host: reg.host }), "base/node", "24");
    tls = await createTlsCertificate();
    const front = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) =>
      forward(reg.url, origin, req, res),
    );
    origin = await listenLoopback(front, "https");
    close = () => new Promise<void>((ok) => front.close(() => ok()));
    dir = gitWorkspace({ "a.txt": "a" });
    writeFileSync(`${dir}/registry-ca.pem`, tls.caPem);
  });
  afterAll(async () => {
    await close();
    await tls?.remove();
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("refuses the certificate without ca_cert, and publishes over https with it", async () => {
    // `registry` names the scheme: a registry on loopback is otherwise spoken to in plain http.
    const host = origin.slice("https://".length);
    const settings = { repo: `${host}/acme/tls`, registry: origin, base: `${host}/base/node:24` };
    const refused = await runImagePublish(buildEnv(dir, settings), dir);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toMatch(/certificate/i);

    const run = await runImagePublish(buildEnv(dir, { ...settings, ca_cert: "registry-ca.pem" }), dir);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("checked against ca_cert");
    expect(await new RegistryClient({ host: registry?.host ?? "" }).listTags("acme/tls")).toContain("main");
  });
});
