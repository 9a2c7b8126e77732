/**
 * Where the registry client of shared/oci sends the login, against a hostile registry on loopback:
 * only to the registry's own origin, and to the token realm it names only over https (or on
 * loopback, or on its own origin). A second loopback port is another origin.
 */
import { afterEach, describe, expect, it } from "vitest";
import { sha256 } from "../../shared/oci/src/layer.ts";
import { RegistryClient } from "../../shared/oci/src/registry.ts";
import { hostileRegistry, type Recorder, startRecorder } from "./hostile-registry.ts";

const credentials = { username: "ci", password: "registry-Pa55word" };
const BASIC = `Basic ${Buffer.from("ci:registry-Pa55word").toString("base64")}`;
const BLOB = Buffer.from("layer bytes");

const servers: Recorder[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});
async function recorder(...args: Parameters<typeof startRecorder>): Promise<Recorder> {
  const server = await startRecorder(...args);
  servers.push(server);
  return server;
}

/** Another origin that accepts anything: an upload, a tags page, the blob. */
function elsewhereServer() {
  return recorder((req, res) => {
    if (req.url?.startsWith("/v2/tags")) res.writeHead(200).end('{"tags":["b"]}');
    else if (req.url === "/v2/blob") res.writeHead(200).end(BLOB);
    else res.writeHead(201).end();
  });
}

describe("the registry client's Authorization header", () => {
  it.each([
    ["Basic", (_: string) => 'Basic realm="registry"', (auth: string) => auth === BASIC],
    [
      "a token from the registry's realm",
      (origin: string) => `Bearer realm="${origin}/token",service="registry"`,
      (auth: string) => auth === "Bearer t0ken",
    ],
  ])(
    "goes to the registry only, never to an upload Location, next page or redirect on another origin (%s)",
    async (_, challenge, accepts) => {
      const elsewhere = await elsewhereServer();
      const registry = await recorder((req, res, origin) => {
        if (req.url?.startsWith("/token")) {
          res.writeHead(req.headers.authorization === BASIC ? 200 : 401).end('{"token":"t0ken"}');
          return;
        }
        hostileRegistry({ challenge, accepts, elsewhere: () => elsewhere.origin })(req, res, origin);
      });
      const client = new RegistryClient({ host: registry.origin, credentials });

      expect(await client.ensureBlob("acme/app", sha256(BLOB), () => BLOB)).toBe("uploaded");
      expect(await client.listTags("acme/app")).toEqual(["a", "b"]);
      expect(await client.getBlob("acme/app", sha256(BLOB))).toEqual(BLOB);

      expect(registry.seen.some((r) => r.authorization !== "")).toBe(true);
      expect(elsewhere.seen.map((r) => r.request.replace(/\?.*/, ""))).toEqual([
        "PUT /v2/upload/1",
        "GET /v2/tags",
        "GET /v2/blob",
      ]);
      expect(elsewhere.seen.map((r) => r.authorization)).toEqual(["", "", ""]);
    },
  );
});

describe("the Basic credentials for a token realm", () => {
  /** fetch for the client: loopback as usual; any other host is recorded and answered here, never reached. */
  function fetchWithFakeInternet(answers: Record<string, (authorization: string, url: URL) => Response>) {
    const offLoopback: { url: string; authorization: string }[] = [];
    const fake: typeof fetch = async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (url.hostname === "127.0.0.1") return fetch(input, init);
      const authorization = new Headers(init?.headers).get("authorization") ?? "";
      offLoopback.push({ url: url.origin, authorization });
      return answers[url.origin]?.(authorization, url) ?? new Response("", { status: 404 });
    };
    return { fake, offLoopback };
  }
  const tokenAnswer = () =>
    new Response('{"token":"t0ken"}', { headers: { "content-type": "application/json" } });

  it("are refused to a realm over plain http on another host, before any request to it", async () => {
    const registry = await recorder((_req, res) =>
      res.writeHead(401, { "www-authenticate": 'Bearer realm="http://auth.example.test/token"' }).end(),
    );
    const { fake, offLoopback } = fetchWithFakeInternet({ "http://auth.example.test": tokenAnswer });
    const client = new RegistryClient({ host: registry.origin, credentials, fetch: fake });
    await expect(client.listTags("acme/app")).rejects.toThrow(
      /named the token service http:\/\/auth\.example\.test\/token, over plain http on another host: the credentials go to a token service over https only/,
    );
    expect(offLoopback).toEqual([]);
  });

  it("go to a realm over https on another host, as Docker Hub's registry names auth.docker.io", async () => {
    const registry = await recorder((req, res) => {
      if (req.headers.authorization === "Bearer t0ken") res.writeHead(200).end('{"tags":["1.0.0"]}');
      else res.writeHead(401, { "www-authenticate": 'Bearer realm="https://auth.example.test/token"' }).end();
    });
    const { fake, offLoopback } = fetchWithFakeInternet({ "https://auth.example.test": tokenAnswer });
    const client = new RegistryClient({ host: registry.origin, credentials, fetch: fake });
    expect(await client.listTags("acme/app")).toEqual(["1.0.0"]);
    expect(offLoopback).toEqual([{ url: "https://auth.example.test", authorization: BASIC }]);
  });

  it("go to a realm over plain http on loopback, and an anonymous client asks any realm", async () => {
    const realm = await recorder((_req, res) => res.writeHead(200).end('{"token":"t0ken"}'));
    const registry = await recorder((req, res) => {
      if (req.headers.authorization === "Bearer t0ken") res.writeHead(200).end('{"tags":[]}');
      else res.writeHead(401, { "www-authenticate": `Bearer realm="${realm.origin}/token"` }).end();
    });
    expect(await new RegistryClient({ host: registry.origin, credentials }).listTags("acme/app")).toEqual([]);
    expect(realm.seen.map((r) => r.authorization)).toEqual([BASIC]);

    const { fake, offLoopback } = fetchWithFakeInternet({ "http://auth.example.test": tokenAnswer });
    const anonymous = await recorder((req, res) => {
      if (req.headers.authorization === "Bearer t0ken") res.writeHead(200).end('{"tags":[]}');
      else res.writeHead(401, { "www-authenticate": 'Bearer realm="http://auth.example.test/token"' }).end();
    });
    expect(await new RegistryClient({ host: anonymous.origin, fetch: fake }).listTags("acme/app")).toEqual(
      [],
    );
    expect(offLoopback).toEqual([{ url: "http://auth.example.test", authorization: "" }]);
  });

  it("go to a realm over plain http on the registry's own origin, which the pipeline named", async () => {
    const { fake, offLoopback } = fetchWithFakeInternet({
      "http://gitea.example.test": (authorization, url) => {
        if (url.pathname === "/v2/token") return tokenAnswer();
        if (authorization === "Bearer t0ken") return new Response('{"tags":[]}');
        const challenge = 'Bearer realm="http://gitea.example.test/v2/token"';
        return new Response("", { status: 401, headers: { "www-authenticate": challenge } });
      },
    });
    const client = new RegistryClient({ host: "http://gitea.example.test", credentials, fetch: fake });
    expect(await client.listTags("acme/app")).toEqual([]);
    expect(offLoopback.map((r) => r.authorization)).toEqual(["", BASIC, "Bearer t0ken"]);
  });
});
