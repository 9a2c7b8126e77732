/**
 * Runs a repository's `.drone.yml` here the way `drone exec` does, with hangar's locally built
 * images (`pnpm images`) for its plugin steps:
 *
 *   node scripts/drone-exec.ts examples/calchat --event push --branch main \
 *     --repo calchat/server --secrets secrets.env --env-file servers.env
 *   node scripts/drone-exec.ts examples/calchat --event tag --tag v1.4.0
 *   node scripts/drone-exec.ts examples/calchat --branch feature/login-form
 *   node scripts/drone-exec.ts examples/calchat --event promote --target production --number 7
 *
 * Prints each step's log and ends with the table of steps; exits 1 when the build failed.
 * `when` is decided as Drone decides it; what cannot be known here (the cron job, the hook's
 * action, the Drone server's host) comes from --cron, --action and --instance, and a step
 * conditioned on one not given is skipped with a note. Secrets file sections (`[owner/name]`)
 * scope secrets to repositories; --repo names the one being run. A promotion (`drone build promote
 * <repo> <build> production`) is `--event promote --target production`: `DRONE_DEPLOY_TO` and
 * `when: target` follow it, and --number is the promoted build's number.
 */
import { readdir } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  readRepositorySecrets,
  readSecretsFile,
  runLocalBuild,
  type SimulatedBuild,
  stepTable,
} from "@hangar/testbed";

const root = path.resolve(import.meta.dirname, "..");

export async function hangarPlugins(): Promise<string[]> {
  const entries = await readdir(path.join(root, "plugins"), { withFileTypes: true });
  return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
}

const EVENTS = ["push", "tag", "pull_request", "promote", "rollback", "cron", "custom"] as const;

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      event: { type: "string", default: "push" },
      branch: { type: "string", default: "main" },
      tag: { type: "string" },
      target: { type: "string" },
      number: { type: "string", default: "1" },
      sha: { type: "string", default: "9c4e1f0b7a2d8e6c5b3a1f0e9d8c7b6a5f4e3d2c" },
      message: { type: "string", default: "a local build" },
      repo: { type: "string" },
      forge: { type: "string", default: "https://git.example.com" },
      cron: { type: "string" },
      action: { type: "string" },
      instance: { type: "string" },
      secrets: { type: "string" },
      "env-file": { type: "string" },
    },
  });
  const repository = positionals[0];
  const event = values.event as (typeof EVENTS)[number];
  const problems = [
    ...(repository ? [] : ["name the repository folder (the one holding .drone.yml)"]),
    ...(EVENTS.includes(event) ? [] : [`--event must be one of ${EVENTS.join(", ")}`]),
    ...(event === "tag" && !values.tag ? ["--event tag needs --tag"] : []),
    ...((event === "promote" || event === "rollback") && !values.target
      ? [
          `--event ${event} needs --target (the environment, as in \`drone build promote <repo> <build> production\`)`,
        ]
      : []),
    ...(values.target && event !== "promote" && event !== "rollback"
      ? ["--target goes with --event promote or rollback"]
      : []),
  ];
  if (problems.length > 0) {
    console.error(`drone-exec: ${problems.join("; ")}`);
    process.exit(2);
  }
  const repo = values.repo ?? "calchat/server";
  const secrets = values.secrets ? await readRepositorySecrets(values.secrets, repo) : undefined;
  if (secrets?.scoped && values.repo === undefined) {
    console.error(
      "drone-exec: the secrets file scopes secrets to repositories: name this one with --repo owner/name",
    );
    process.exit(2);
  }
  const build: SimulatedBuild = {
    event: values.tag ? "tag" : event,
    branch: values.branch,
    ...(values.tag ? { tag: values.tag } : {}),
    ...(values.target ? { deployTo: values.target } : {}),
    number: Number(values.number),
    repo,
    ...(values.cron !== undefined ? { cron: values.cron } : {}),
    ...(values.action !== undefined ? { action: values.action } : {}),
    ...(values.instance !== undefined ? { instance: values.instance } : {}),
    commit: {
      sha: values.sha,
      message: values.message,
      author: "dev",
      authorName: "Dev",
      authorEmail: "dev@example.com",
    },
    forge: values.forge,
    server: `https://${values.instance ?? "drone.example.com"}`,
  };
  const result = await runLocalBuild({
    repository: path.resolve(repository as string),
    build,
    secrets: secrets?.secrets ?? {},
    variables: values["env-file"] ? await readSecretsFile(values["env-file"]) : {},
    plugins: await hangarPlugins(),
    onStep: (step) => {
      console.log(`\n── ${step.name} (${step.image}): ${step.outcome}${step.why ? ` — ${step.why}` : ""}`);
      for (const note of step.notes ?? []) if (note !== step.why) console.log(`  note: ${note}`);
      for (const line of `${step.stdout ?? ""}${step.stderr ?? ""}`.trimEnd().split("\n").filter(Boolean)) {
        console.log(`  │ ${line}`);
      }
    },
  });
  console.log(`\n${stepTable(result.steps)}\n\nbuild: ${result.status}`);
  process.exitCode = result.status === "success" ? 0 : 1;
}
