/**
 * The main job, as a newcomer runs it (`bash .ci/demo`, or `pnpm demo` with the images built):
 * the example repository examples/calchat runs its `.drone.yml` here, like `drone exec`, against
 * servers on loopback (sshd + Docker Engine + a registry as the VPS, the Kubernetes, Gitea and
 * Proxmox stand-ins, a "VM" behind sshd with Appium and a stand-in Android SDK, an SMTP inbox), in
 * five builds: a push to main, a push to a feature branch, a tag,
 * a push to main whose deploy fails (an issue opens, the team gets mail), and the fix that closes
 * the issue. Each ends with its table of steps and what to look at.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  createTlsCertificate,
  freePort,
  imageExists,
  type LocalBuildResult,
  makeTempDir,
  run as runCommand,
  runLocalBuild,
  type SimulatedBuild,
  standinApkBytes,
  startGiteaStandIn,
  startKubernetesStandIn,
  startSmtpServer,
  stepTable,
  testbed,
} from "@hangar/testbed";
import {
  pushTestImages,
  removeProject,
  staticBusybox,
  webAnswer,
} from "../plugins/compose-deploy/test/stack.ts";
import { startE2eLab } from "./demo-e2e.ts";
import { hangarPlugins } from "./drone-exec.ts";
import { tagImage } from "./registry-tag.ts";

const root = path.resolve(import.meta.dirname, "..");
const repository = path.join(root, "examples/calchat");
/** The plugins examples/calchat uses: their images must be built (`pnpm images`). */
export const PLUGINS_USED = [
  "compose-deploy",
  "k3s-deploy",
  "proxmox-vm",
  "emulator-e2e",
  "gitea-release",
  "gitea-issue",
  "notify-email",
];

const GOOD = "9c4e1f0b7a2d8e6c5b3a1f0e9d8c7b6a5f4e3d2c";
const BROKEN = "b4d0c0de5e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b";

export async function demo(): Promise<boolean> {
  const missing = [];
  for (const plugin of PLUGINS_USED) if (!(await imageExists(`hangar/${plugin}:dev`))) missing.push(plugin);
  if (missing.length > 0) {
    console.error(
      `images missing: ${missing.map((p) => `hangar/${p}:dev`).join(", ")}; build them with \`pnpm images\``,
    );
    return false;
  }
  const stops: (() => Promise<unknown>)[] = [];
  try {
    console.log("starting the servers the pipeline talks to …");
    const sshd = await testbed.sshd();
    const registry = await testbed.registry();
    const busybox = await staticBusybox();
    if (!sshd || !registry || !busybox)
      throw new Error("the test bed's sshd, registry or busybox is unavailable");
    stops.push(
      () => sshd.stop(),
      () => registry.stop(),
    );
    const images = await pushTestImages(registry, busybox);
    stops.push(() => images.remove());
    // CalChat's images as its image step would push them: one per commit.
    await tagImage(registry.url, images.prefix, ["web", "api"], "v1", GOOD.slice(0, 8));
    await tagImage(registry.url, images.prefix, ["web", "api"], "unhealthy", BROKEN.slice(0, 8));
    // What the deploys pull onto the "VPS" (this machine's Docker Engine) goes with the demo.
    stops.push(() =>
      runCommand("docker", [
        "image",
        "rm",
        "--force",
        ...["web", "api"].flatMap((name) =>
          [GOOD, BROKEN].map((sha) => `${images.prefix}/${name}:${sha.slice(0, 8)}`),
        ),
      ]),
    );
    const tls = await createTlsCertificate();
    stops.push(() => tls.remove());
    const k8s = await startKubernetesStandIn({ tls });
    stops.push(() => k8s.stop());
    const lab = await startE2eLab(tls);
    stops.push(() => lab.stop());
    // The repository holds the commits the builds below are for, as the forge of a real build would.
    const gitea = await startGiteaStandIn({
      owner: "calchat",
      repo: "server",
      commits: [
        { message: "chore: start CalChat" },
        { sha: GOOD, message: "feat(chat): suggest meeting times from the calendar" },
        { sha: BROKEN, message: "fix: the health check (not really)" },
      ],
    });
    stops.push(() => gitea.stop());
    const smtp = await startSmtpServer({
      mode: "starttls",
      auth: { username: "ci", password: "smtp-demo-pw" },
    });
    stops.push(() => smtp.stop());
    const vpsDir = await makeTempDir("calchat-vps");
    stops.push(
      () => vpsDir.remove(),
      () => removeProject("calchat"),
    );
    const web = await freePort();

    const secrets = {
      vps_ssh_key: sshd.privateKey,
      registry_token: "registry-demo-token",
      mongo_password: "mongo-demo-pw",
      k3s_kubeconfig: k8s.kubeconfig(),
      gitea_token: gitea.token,
      smtp_password: "smtp-demo-pw",
      ...lab.secrets,
    };
    const variables = {
      VPS_HOST: `${sshd.host}:${sshd.port}`,
      VPS_USER: sshd.username,
      VPS_DIR: vpsDir.path,
      VPS_FINGERPRINT: sshd.hostKeyFingerprint,
      REGISTRY: registry.host,
      IMAGES: images.prefix,
      WEB_PORT: String(web),
      API_PORT: String(await freePort()),
      SMTP_HOST: smtp.host,
      SMTP_PORT: String(smtp.port),
      ...lab.variables,
    };
    const plugins = await hangarPlugins();
    const build = (over: Partial<SimulatedBuild>): SimulatedBuild => ({
      event: "push",
      branch: "main",
      number: 1,
      repo: "calchat/server",
      commit: {
        sha: GOOD,
        message: "feat(chat): suggest meeting times from the calendar",
        author: "lea",
        authorName: "Lea Example",
        authorEmail: "lea@example.com",
      },
      forge: gitea.url,
      server: "https://drone.example.com",
      ...over,
    });
    const run = async (title: string, simulated: SimulatedBuild): Promise<LocalBuildResult> => {
      console.log(`\n━━ ${title} ━━`);
      const result = await runLocalBuild({
        repository,
        build: simulated,
        secrets,
        variables,
        plugins,
        settingOverrides: lab.overrides,
        // The build's own earlier steps (npm ci, the APK build) would leave these.
        buildOutputs: {
          // A zip with a manifest, as emulator-e2e reads the app's package from it.
          "dist/calchat-1.4.0.apk": standinApkBytes({ package: "com.example.calchat", versionName: "1.4.0" }),
          "ci/smtp-ca.pem": smtp.caPem,
        },
        onStep: (step) => {
          if (step.outcome !== "success" && step.outcome !== "failure") return;
          console.log(`\n  ${step.name} (${step.image}) → ${step.outcome}`);
          for (const line of `${step.stdout ?? ""}${step.stderr ?? ""}`.trimEnd().split("\n").filter(Boolean))
            console.log(`    │ ${line}`);
        },
      });
      console.log(`\n${stepTable(result.steps)}\n\nbuild #${simulated.number}: ${result.status}`);
      return result;
    };

    let ok = true;
    const expect = (what: string, good: boolean) => {
      console.log(`  ${good ? "✔" : "✖"} ${what}`);
      if (!good) ok = false;
    };

    const main = await run("git push to main: deploy to production", build({ number: 41 }));
    console.log("\nWhat to look at:");
    expect(`build succeeded`, main.status === "success");
    expect(
      `production answers: ${await webAnswer({ web, api: 0 }).catch((e: Error) => e.message)}`,
      (await webAnswer({ web, api: 0 }).catch(() => "")) === "200 web v1",
    );
    const junit = await readFile(path.join(main.workspace, ".hangar/e2e/junit.xml"), "utf8").catch(() => "");
    const testcases = junit.match(/<testcase /g)?.length ?? 0;
    expect(
      `E2E on VM e2e-calchat-server-41 (${lab.variables.VM_USER}@127.0.0.1): ${testcases} tests in ${path.join(main.workspace, ".hangar/e2e/junit.xml")}, none failed`,
      testcases === 2 && !junit.includes("<failure"),
    );
    expect(
      "the VM is destroyed and the emulator stopped",
      !lab.pve.vms().some((vm) => vm.name === "e2e-calchat-server-41") && lab.sdk.running().length === 0,
    );
    expect("no mail on success", smtp.messages.length === 0);

    const feature = await run(
      "git push to feature/login-form: a preview namespace",
      build({ number: 42, branch: "feature/login-form" }),
    );
    const previewObjects = k8s
      .list("apps/v1", "Deployment", "preview-feature-login-form")
      .map((d) => String((d.metadata as { name?: string } | undefined)?.name));
    console.log("\nWhat to look at:");
    expect("build succeeded", feature.status === "success");
    expect(
      `namespace preview-feature-login-form holds Deployment ${previewObjects.join(", ")}`,
      previewObjects.includes("calchat-server"),
    );

    const tag = await run(
      "git tag v1.4.0: staging and a Gitea release",
      build({ number: 43, event: "tag", tag: "v1.4.0" }),
    );
    const release = gitea.release("v1.4.0");
    console.log("\nWhat to look at:");
    expect("build succeeded", tag.status === "success");
    expect(
      `release ${gitea.url}/calchat/server/releases/tag/v1.4.0 with ${release?.assets.map((a) => a.name).join(", ")}`,
      release?.assets.some((a) => a.name === "calchat-1.4.0.apk") === true && release.draft === false,
    );
    expect("staging holds calchat-server", k8s.list("apps/v1", "Deployment", "staging").length > 0);

    const before = smtp.messages.length;
    const failing = await run(
      "git push to main with a broken image: the deploy fails and the team gets mail",
      build({
        number: 44,
        commit: { ...build({}).commit, sha: BROKEN, message: "fix: the health check (not really)" },
      }),
    );
    const mails = await smtp.waitForMessages(before + 1, 10_000).catch(() => []);
    const mail = mails.find((one) => one.parsed.subject?.includes(BROKEN.slice(0, 8)));
    console.log("\nWhat to look at:");
    expect("build failed", failing.status === "failure");
    expect(
      `production still answers: ${await webAnswer({ web, api: 0 }).catch((e: Error) => e.message)}`,
      (await webAnswer({ web, api: 0 }).catch(() => "")) === "200 web v1",
    );
    expect(
      `mail "${mail?.parsed.subject ?? "(none)"}" to ${mail?.envelope.rcptTo.join(", ") ?? "nobody"}`,
      mail !== undefined,
    );
    const opened = gitea.issues().filter((issue) => issue.state === "open");
    expect(
      `issue #${opened[0]?.number ?? "?"} "${opened[0]?.title ?? "(none)"}" is open in ${gitea.url}/calchat/server/issues`,
      opened.length === 1,
    );
    if (mail) {
      const file = path.join(failing.workspace, "notify-email.html");
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, mail.parsed.html || "");
      console.log(`  the mail as HTML: ${file}`);
    }

    const fixed = await run(
      "git push to main with the fix: production moves on and the issue is closed",
      build({ number: 45, commit: { ...build({}).commit, message: "fix: the health check, for real" } }),
    );
    const closed = gitea.issues().filter((issue) => issue.state === "closed");
    console.log("\nWhat to look at:");
    expect("build succeeded", fixed.status === "success");
    expect(
      `issue #${closed[0]?.number ?? "?"} closed by build #45`,
      closed.length === 1 && gitea.issues().every((issue) => issue.state === "closed"),
    );
    return ok;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

if (import.meta.main) process.exitCode = (await demo()) ? 0 : 1;
