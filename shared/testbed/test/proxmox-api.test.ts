import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type ProxmoxStandIn, startProxmoxStandIn } from "../src/index.ts";

let pve: ProxmoxStandIn;
beforeEach(async () => {
  pve = await startProxmoxStandIn({ taskMs: { qmclone: 60, qmstart: 20, qmstop: 10, qmdestroy: 10 } });
});
afterEach(() => pve.stop());

interface Answer {
  status: number;
  message: string;
  body: { data: unknown; errors?: Record<string, string> };
}

async function call(
  method: string,
  path: string,
  params: Record<string, string> = {},
  headers: Record<string, string> = { Authorization: `PVEAPIToken=${pve.tokenId}=${pve.tokenSecret}` },
): Promise<Answer> {
  const form = new URLSearchParams(params).toString();
  const write = method === "POST" || method === "PUT";
  const url = `${pve.url}/api2/json${path}${!write && form ? `?${form}` : ""}`;
  // node:http, not fetch: fetch hides the status line's text, where Proxmox puts its message.
  const { request } = await import("node:http");
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: write ? { ...headers, "Content-Type": "application/x-www-form-urlencoded" } : headers,
      },
      (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, message: res.statusMessage ?? "", body: JSON.parse(text) }),
        );
      },
    );
    req.on("error", reject);
    req.end(write ? form : undefined);
  });
}

async function waitTask(upid: string, node = "pve"): Promise<{ exitstatus?: string }> {
  // Bounded by time, not by polls: a loaded machine runs the simulated task slower.
  for (const until = Date.now() + 15_000; Date.now() < until; ) {
    const answer = await call("GET", `/nodes/${node}/tasks/${encodeURIComponent(upid)}/status`);
    const status = answer.body.data as { status: string; exitstatus?: string };
    if (status.status === "stopped") return status;
    await sleep(10);
  }
  throw new Error("task never ended");
}

describe("the Proxmox VE stand-in's strictness", () => {
  it("rejects unknown parameters, missing ones, wrong types and formats with Proxmox's errors map", async () => {
    const answer = await call("POST", "/nodes/pve/qemu/9000/clone", {
      newid: "abc",
      name: "not a dns name",
      color: "blue",
    });
    expect(answer.status).toBe(400);
    expect(answer.message).toBe("Parameter verification failed.");
    expect(answer.body.data).toBeNull();
    expect(answer.body.errors).toEqual({
      newid: "type check ('integer') failed - got 'abc'",
      name: "value does not look like a valid DNS name",
      color: "property is not defined in schema and the schema does not allow additional properties",
    });
    const missing = await call("POST", "/nodes/pve/qemu/9000/clone", {});
    expect(missing.body.errors).toEqual({ newid: "property is missing and it is not optional" });
    const small = await call("GET", "/cluster/nextid", { vmid: "99" });
    expect(small.body.errors?.vmid).toBe("value must have a minimum value of 100");
  });

  it("checks sshkeys' double encoding and tags' format", async () => {
    const clone = await call("POST", "/nodes/pve/qemu/9000/clone", { newid: "101", name: "ci-1" });
    await waitTask(clone.body.data as string);
    const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBxx ci@drone";
    // Form-encoded once only: the space arrives as a space, which Proxmox refuses.
    const once = await call("PUT", "/nodes/pve/qemu/101/config", { sshkeys: key });
    expect(once.status).toBe(400);
    expect(once.body.errors?.sshkeys).toContain("invalid urlencoded string");
    // Spaces as "+" before the form encoding are not percent-encoding either.
    const plus = await call("PUT", "/nodes/pve/qemu/101/config", { sshkeys: key.replaceAll(" ", "+") });
    expect(plus.body.errors?.sshkeys).toContain("invalid urlencoded string");
    const tags = await call("PUT", "/nodes/pve/qemu/101/config", { tags: "hangar;CI" });
    expect(tags.body.errors?.tags).toBe("invalid format - invalid tag 'CI'");
    const right = await call("PUT", "/nodes/pve/qemu/101/config", {
      sshkeys: encodeURIComponent(`${key}\nssh-rsa AAAAB3Nza+/= other@host`),
      tags: "hangar;ci",
    });
    expect(right.status).toBe(200);
    expect(pve.vm(101)?.sshkeys).toEqual([key, "ssh-rsa AAAAB3Nza+/= other@host"]);
    expect(pve.vm(101)?.tags).toEqual(["hangar", "ci"]);
  });

  it("checks the API token, and the ticket with its CSRF token on writes", async () => {
    expect((await call("GET", "/cluster/nextid", {}, {})).message).toBe("No ticket");
    const wrong = await call(
      "GET",
      "/cluster/nextid",
      {},
      { Authorization: `PVEAPIToken=${pve.tokenId}=nope` },
    );
    expect([wrong.status, wrong.message]).toEqual([401, "authentication failure"]);
    const badLogin = await call("POST", "/access/ticket", { username: pve.username, password: "nope" }, {});
    expect(badLogin.status).toBe(401);
    const login = await call(
      "POST",
      "/access/ticket",
      { username: pve.username, password: pve.password },
      {},
    );
    const { ticket, CSRFPreventionToken } = login.body.data as {
      ticket: string;
      CSRFPreventionToken: string;
    };
    const cookie = { Cookie: `PVEAuthCookie=${encodeURIComponent(ticket)}` };
    expect((await call("GET", "/cluster/nextid", {}, cookie)).body.data).toBe("100");
    const noCsrf = await call("POST", "/nodes/pve/qemu/9000/clone", { newid: "100" }, cookie);
    expect([noCsrf.status, noCsrf.message]).toEqual([401, "Permission check failed (invalid csrf token)"]);
    const withCsrf = await call(
      "POST",
      "/nodes/pve/qemu/9000/clone",
      { newid: "100" },
      { ...cookie, CSRFPreventionToken },
    );
    expect(withCsrf.status).toBe(200);
    expect(withCsrf.body.data).toMatch(/^UPID:pve:[0-9A-F]{8}:/);
  });

  it("answers 500 with the message in the status line: a locked VM, a missing one", async () => {
    pve.configure({ taskMs: { qmclone: 1500 } });
    const clone = await call("POST", "/nodes/pve/qemu/9000/clone", { newid: "150", name: "ci-1" });
    while (!pve.vm(150)) await sleep(5);
    const locked = await call("PUT", "/nodes/pve/qemu/150/config", { cores: "2" });
    expect([locked.status, locked.message, locked.body]).toEqual([
      500,
      "VM is locked (clone)",
      { data: null },
    ]);
    expect((await waitTask(clone.body.data as string)).exitstatus).toBe("OK");
    expect((await call("PUT", "/nodes/pve/qemu/150/config", { cores: "2" })).status).toBe(200);
    const gone = await call("DELETE", "/nodes/pve/qemu/999");
    expect(gone.message).toBe("Configuration file 'nodes/pve/qemu-server/999.conf' does not exist");
  });

  it("hands the same nextid to two callers; the second clone on it fails, at once or in its task", async () => {
    const [a, b] = await Promise.all([call("GET", "/cluster/nextid"), call("GET", "/cluster/nextid")]);
    expect(a.body.data).toBe(b.body.data);
    const id = String(a.body.data);
    // The window between the call and the config file being written, wide enough for a busy machine.
    pve.configure({ createDelayMs: 500 });
    const first = await call("POST", "/nodes/pve/qemu/9000/clone", { newid: id, name: "one" });
    const second = await call("POST", "/nodes/pve/qemu/9000/clone", { newid: id, name: "two" });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect((await waitTask(first.body.data as string)).exitstatus).toBe("OK");
    const failed = await waitTask(second.body.data as string);
    expect(failed.exitstatus).toBe(`unable to create VM ${id}: config file already exists`);
    const log = await call("GET", `/nodes/pve/tasks/${encodeURIComponent(second.body.data as string)}/log`);
    expect(JSON.stringify(log.body.data)).toContain("TASK ERROR: unable to create VM");
    const late = await call("POST", "/nodes/pve/qemu/9000/clone", { newid: id });
    expect(late.message).toBe(`unable to create VM ${id}: config file already exists`);
    expect(pve.vm(Number(id))?.name).toBe("one");
  });

  it("on two nodes, the clone that loses the id race fails in its task with pmxcfs's File exists", async () => {
    await pve.stop();
    pve = await startProxmoxStandIn({
      nodes: { pve: ["local-lvm"], pve2: ["local-lvm"] },
      vms: [
        { vmid: 9000, name: "tpl-a", template: true, node: "pve" },
        { vmid: 9001, name: "tpl-b", template: true, node: "pve2" },
      ],
      taskMs: { qmclone: 60 },
    });
    const id = String((await call("GET", "/cluster/nextid")).body.data);
    const first = await call("POST", "/nodes/pve/qemu/9000/clone", { newid: id, name: "one" });
    expect((await waitTask(first.body.data as string)).exitstatus).toBe("OK");
    // The id's config is on pve: the call on pve2 is accepted, its task fails.
    const second = await call("POST", "/nodes/pve2/qemu/9001/clone", { newid: id, name: "two" });
    expect(second.status).toBe(200);
    expect((await waitTask(second.body.data as string, "pve2")).exitstatus).toBe(
      `close (rename) atomic file '/etc/pve/nodes/pve2/qemu-server/${id}.conf' failed: File exists`,
    );
    expect(pve.vm(Number(id))).toMatchObject({ name: "one", node: "pve" });
  });

  it("starts the guest agent some time after boot, and never for a template without agent: 1", async () => {
    pve.addVm({ vmid: 9001, name: "no-agent", template: true, agent: false });
    for (const [template, id] of [
      ["9000", "120"],
      ["9001", "121"],
    ] as const) {
      await waitTask(
        (await call("POST", `/nodes/pve/qemu/${template}/clone`, { newid: id })).body.data as string,
      );
    }
    pve.configure({ agentDelayMs: 1000 });
    await waitTask((await call("POST", "/nodes/pve/qemu/120/status/start")).body.data as string);
    const early = await call("GET", "/nodes/pve/qemu/120/agent/network-get-interfaces");
    expect(early.message).toBe("QEMU guest agent is not running");
    await waitTask((await call("POST", "/nodes/pve/qemu/121/status/start")).body.data as string);
    await sleep(1100);
    const ready = await call("GET", "/nodes/pve/qemu/120/agent/network-get-interfaces");
    expect(JSON.stringify(ready.body.data)).toContain("10.0.0.120");
    const none = await call("GET", "/nodes/pve/qemu/121/agent/network-get-interfaces");
    expect(none.message).toBe("No QEMU guest agent configured");
  });

  it("ends an injected task failure in error with its log, and removes a half-made clone", async () => {
    pve.failNextTask("qmclone", "clone failed: storage full", ["copy failed: No space left on device"]);
    const clone = await call("POST", "/nodes/pve/qemu/9000/clone", { newid: "130" });
    expect((await waitTask(clone.body.data as string)).exitstatus).toBe("clone failed: storage full");
    expect(pve.vm(130)).toBeUndefined();
    expect(pve.tasks().at(-1)?.log).toEqual([
      "create linked clone of drive scsi0 (local-lvm:base-9000-disk-0)",
      'Logical volume "vm-130-disk-0" created.',
      "copy failed: No space left on device",
      "TASK ERROR: clone failed: storage full",
    ]);
  });

  it("refuses a linked clone to a node without the template's storage", async () => {
    await pve.stop();
    pve = await startProxmoxStandIn({ nodes: { pve: ["local-lvm"], pve2: ["local-zfs"] } });
    const answer = await call("POST", "/nodes/pve/qemu/9000/clone", { newid: "140", target: "pve2" });
    expect([answer.status, answer.message]).toEqual([
      500,
      "can't clone VM to node 'pve2' (VM uses local storage)",
    ]);
    expect(pve.problems()).toEqual([]);
  });
});
