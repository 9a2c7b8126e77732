import type { E2ePlan } from "../plan.ts";
import type { Runner } from "../runners/runner.ts";

export interface Item {
  name: string;
  ok: boolean;
  detail: string;
}

/**
 * What a host needs besides the SDK (checked by the common items): the tools the SSH runner uses,
 * Java for the SDK's command-line tools, Node for Appium, and a usable /dev/kvm for x86 images.
 */
export async function hostRequirements(runner: Runner, plan: E2ePlan, signal: AbortSignal): Promise<Item[]> {
  const probe = (script: string) =>
    runner.run("sh", ["-c", script], { quiet: true, signal, timeoutMs: 30_000 });
  const items: Item[] = [
    { name: "SSH", ok: true, detail: `logged in to ${runner.where.replace(/^host /, "")}` },
  ];

  const tools = await probe(
    'for t in setsid tail mktemp; do command -v "$t" >/dev/null 2>&1 || echo "$t"; done',
  );
  const lacking = tools.stdout.split("\n").filter(Boolean);
  items.push({
    name: "host tools",
    ok: tools.exitCode === 0 && lacking.length === 0,
    detail:
      lacking.length === 0
        ? "setsid, tail, mktemp"
        : `missing: ${lacking.join(", ")} (util-linux, coreutils)`,
  });

  const java = await probe("java -version 2>&1 | head -n 1");
  items.push({
    name: "Java",
    ok: java.exitCode === 0 && /version/i.test(java.stdout),
    detail: /version/i.test(java.stdout)
      ? java.stdout.trim()
      : "no `java` on PATH (sdkmanager and avdmanager need a JDK 17+)",
  });

  const node = await probe("node --version");
  const major = Number(/^v(\d+)/.exec(node.stdout.trim())?.[1] ?? 0);
  items.push({
    name: "Node.js",
    ok: node.exitCode === 0 && major >= 20,
    detail:
      node.exitCode !== 0
        ? "no `node` on PATH (Appium 3 needs Node 20.19+)"
        : major >= 20
          ? node.stdout.trim()
          : `${node.stdout.trim()} is too old for Appium 3 (needs 20.19+)`,
  });

  if (plan.avd.abi.endsWith("x86_64") || plan.avd.abi.endsWith("/x86")) {
    const kvm = await probe(
      "if [ ! -e /dev/kvm ]; then echo missing; elif [ -r /dev/kvm ] && [ -w /dev/kvm ]; then echo usable; else echo denied; fi",
    );
    const state = kvm.stdout.trim();
    items.push({
      name: "/dev/kvm",
      ok: state === "usable",
      detail:
        state === "usable"
          ? "present, readable and writable"
          : state === "denied"
            ? "present, but the SSH user may not use it (add it to the `kvm` group)"
            : "missing (enable nested virtualisation for the VM, or KVM on the machine)",
    });
  }
  return items;
}
