/**
 * The main job, as a newcomer runs it (`bash .ci/demo`, or `pnpm demo` with the images built):
 * the example repository examples/calchat runs its `.drone.yml` here, like `drone exec`, against
 * servers on loopback (sshd + Docker Engine + a registry as the VPS, the Kubernetes, Gitea and
 * Proxmox stand-ins, a "VM" behind sshd with Appium and a stand-in Android SDK, an SMTP inbox, a
 * registry behind a Gitea-style login, an S3 store for the download site), in six builds: a push
 * to main, a push to a feature branch, a tag, a push to main whose deploy fails (an issue opens,
 * the team gets mail), the fix that closes the issue, and the promotion of the first build to
 * production. Each ends with its table of steps and what to look at.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  createTlsCertificate,
  freePort,
  imageExists,
  type LocalBuildResult,
  makeTempDir,
  readStepOutputs,
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
import { showDownloads, showImage, startReleaseLab } from "./demo-release.ts";
import { hangarPlugins } from "./drone-exec.ts";
import { tagImage } from "./registry-tag.ts";

/** What the demo reads of a Deployment the Kubernetes stand-in holds. */
type PodSpecOf = { template: { spec: { containers: { image: string }[] } } };

const root = path.resolve(import.meta.dirname, "..");
const repository = path.join(root, "examples/calchat");
/** The plugins examples/calchat uses: their images must be built (`pnpm images`). */
export const PLUGINS_USED = [
  "image-publish",
  "compose-deploy",
  "k3s-deploy",
  "proxmox-vm",
  "emulator-e2e",
  "gitea-release",
  "release-site",
  "gitea-issue",
  "notify-email",
];

const GOOD = "9c4e1f0b7a2d8e6c5b3a1f0e9d8c7b6a5f4e3d2c";
const BROKEN = "b4d0c0de5e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b";
/** The APK the build's earlier steps would make: a zip with a manifest, as emulator-e2e reads its package. */
const APK = standinApkBytes({ package: "com.example.calchat", versionName: "1.4.0" });

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
    const release = await startReleaseLab(registry);
    stops.push(() => release.stop());
    // The VPS's web and api images, one tag per commit; the deploys pull them through the login front.
    await tagImage(registry.url, images.prefix, ["web", "api"], "v1", GOOD.slice(0, 8));
    await tagImage(registry.url, images.prefix, ["web", "api"], "unhealthy", BROKEN.slice(0, 8));
    const prefix = release.viaFront(images.prefix);
    // What the deploys pull onto the "VPS" (this machine's Docker Engine) goes with the demo.
    stops.push(() =>
      runCommand("docker", [
        "image",
        "rm",
        "--force",
        ...["web", "api"].flatMap((name) =>
          [GOOD, BROKEN].map((sha) => `${prefix}/${name}:${sha.slice(0, 8)}`),
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
    const productionDir = await makeTempDir("calchat-production");
    stops.push(
      () => vpsDir.remove(),
      () => productionDir.remove(),
      () => removeProject("calchat"),
      () => removeProject("calchat-production"),
    );
    const web = await freePort();
    // Production is another directory and project on the same "VPS" (this machine's engine).
    const productionWeb = await freePort();

    const secrets = {
      vps_ssh_key: sshd.privateKey,
      production_ssh_key: sshd.privateKey,
      mongo_password: "mongo-demo-pw",
      production_mongo_password: "mongo-production-pw",
      k3s_kubeconfig: k8s.kubeconfig(),
      gitea_token: gitea.token,
      smtp_password: "smtp-demo-pw",
      ...lab.secrets,
      ...release.secrets,
    };
    const variables = {
      VPS_HOST: `${sshd.host}:${sshd.port}`,
      VPS_USER: sshd.username,
      VPS_DIR: vpsDir.path,
      VPS_FINGERPRINT: sshd.hostKeyFingerprint,
      IMAGES: prefix,
      WEB_PORT: String(web),
      API_PORT: String(await freePort()),
      PRODUCTION_HOST: `${sshd.host}:${sshd.port}`,
      PRODUCTION_USER: sshd.username,
      PRODUCTION_DIR: productionDir.path,
      PRODUCTION_FINGERPRINT: sshd.hostKeyFingerprint,
      PRODUCTION_WEB_PORT: String(productionWeb),
      PRODUCTION_API_PORT: String(await freePort()),
      SMTP_HOST: smtp.host,
      SMTP_PORT: String(smtp.port),
      ...lab.variables,
      ...release.variables,
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
    const run = async (
      title: string,
      simulated: SimulatedBuild,
      overrides: Record<string, Record<string, unknown>> = {},
    ): Promise<LocalBuildResult> => {
      console.log(`\n━━ ${title} ━━`);
      const result = await runLocalBuild({
        repository,
        build: simulated,
        secrets,
        variables,
        plugins,
        settingOverrides: { ...lab.overrides, ...overrides },
        // The build's own earlier steps (npm ci, the APK build) would leave these.
        buildOutputs: {
          "dist/calchat-1.4.0.apk": APK,
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
    const answers = async (who: string, port: number) => {
      const answer = await webAnswer({ web: port, api: 0 }).catch((e: Error) => e.message);
      expect(`${who} answers: ${answer}`, answer === "200 web v1");
    };

    const main = await run(
      "git push to main: the image, deploy to staging, E2E, an alpha download",
      build({ number: 41 }),
    );
    console.log("\nWhat to look at:");
    expect(`build succeeded`, main.status === "success");
    await answers("staging", web);
    await showImage(release, main, ["main", "sha-9c4e1f0"], expect);
    await showDownloads(release, "alpha", "0.0.0-main.41", APK, expect);
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

    // The workspace is a copy of the folder, not a clone holding the annotated tag `git tag -a
    // v1.4.0` makes, so the tag's type is said here (the table marks it).
    const tag = await run(
      "git tag v1.4.0: the image's version tags, staging by digest, a Gitea release, a stable download",
      build({ number: 43, event: "tag", tag: "v1.4.0" }),
      { image: { tag_type: "annotated" } },
    );
    const giteaRelease = gitea.release("v1.4.0");
    console.log("\nWhat to look at:");
    expect("build succeeded", tag.status === "success");
    expect(
      `release ${gitea.url}/calchat/server/releases/tag/v1.4.0 with ${giteaRelease?.assets.map((a) => a.name).join(", ")}`,
      giteaRelease?.assets.some((a) => a.name === "calchat-1.4.0.apk") === true &&
        giteaRelease.draft === false,
    );
    await showImage(release, tag, ["1.4.0", "1.4", "1", "latest"], expect);
    const refs = (await readStepOutputs(tag.workspace)).IMAGE_PUBLISH_REFS;
    const staged = k8s
      .list("apps/v1", "Deployment", "staging")
      .flatMap((d) => (d.spec as PodSpecOf).template.spec.containers.map((c) => c.image));
    expect(
      `staging runs calchat-server as ${staged.join(", ")}`,
      refs !== undefined && staged.includes(refs),
    );
    await showDownloads(release, "stable", "1.4.0", APK, expect);

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
    await answers("staging still", web);
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
      "git push to main with the fix: staging moves on and the issue is closed",
      build({ number: 45, commit: { ...build({}).commit, message: "fix: the health check, for real" } }),
    );
    const closed = gitea.issues().filter((issue) => issue.state === "closed");
    console.log("\nWhat to look at:");
    expect("build succeeded", fixed.status === "success");
    expect(
      `issue #${closed[0]?.number ?? "?"} closed by build #45`,
      closed.length === 1 && gitea.issues().every((issue) => issue.state === "closed"),
    );

    // `drone build promote calchat/server 41 production`: a new build of build 41's commit.
    const promoted = await run(
      "drone build promote calchat/server 41 production: the same images to production",
      build({ number: 46, event: "promote", deployTo: "production", parent: 41 }),
    );
    const production = promoted.steps.find((step) => step.name === "production");
    const summary = production?.stdout?.split("\n").find((line) => line.includes("promoted to")) ?? "";
    console.log("\nWhat to look at:");
    expect("build succeeded", promoted.status === "success");
    expect(
      `compose-deploy says: ${summary.trim() || "(no promotion line)"}`,
      summary.includes("build 41 promoted to production as build 46"),
    );
    await answers("production", productionWeb);
    await answers("staging still", web);
    return ok;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

if (import.meta.main) process.exitCode = (await demo()) ? 0 : 1;
