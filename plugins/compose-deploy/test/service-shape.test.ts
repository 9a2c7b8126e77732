import { describe, expect, it } from "vitest";
import { decideWays, mergeServiceShapes, readServiceShapes } from "../src/service-shape.ts";

const FILE = `# a stack
services:
  proxy:
    image: caddy:2
    ports: ["443:443", "80:80"]
  web:
    image: web:\${TAG}
    expose: ["8080"]
    ports:
      - "8080"            # container port only: a random host port
      - "127.0.0.1::9090" # no host port either
    healthcheck:
      test: ["CMD", "true"]
  db:
    image: mongo:7
    container_name: shop-db
    healthcheck: { test: ["CMD", "true"] }
  worker:
    image: worker:1
  hostnet:
    image: web:1
    network_mode: host
    healthcheck:
      test: ["CMD", "true"]
  long:
    image: web:1
    healthcheck:
      test: ["CMD", "true"]
    ports:
      - target: 80
        published: "8081"
volumes:
  data:
`;

describe("which services a rollout can roll", () => {
  it("reads health checks, container names, fixed host ports and the host network from block-style compose", () => {
    const { ways } = decideWays(readServiceShapes(FILE), undefined);
    const way = Object.fromEntries(ways.map((item) => [item.service, `${item.way}: ${item.why}`]));
    expect(way.web).toBe("rollout: health check, no fixed name or host port");
    expect(way.proxy).toMatch(/^recreate: it publishes a fixed host port \(443:443\)/);
    expect(way.db).toMatch(/^recreate: it has a `container_name`/);
    expect(way.worker).toMatch(/^recreate: it has no `healthcheck:`/);
    expect(way.hostnet).toMatch(/^recreate: it runs on the host's network/);
    expect(way.long).toMatch(/^recreate: it publishes a fixed host port \(published: 8081\)/);
    expect(Object.keys(way)).not.toContain("data");
  });

  it("reads flow style, anchors and `<<` merge keys as compose does", () => {
    const shapes = readServiceShapes(`x-probe: &probe
  healthcheck: { test: [CMD, "true"], interval: 2s }
services:
  web: { <<: *probe, image: "web:1" }
  api:
    <<: *probe
    ports: [{ target: 80, published: 8080 }]
  off: { healthcheck: { test: NONE } }
`);
    const { ways } = decideWays(shapes, undefined);
    const way = Object.fromEntries(ways.map((item) => [item.service, item.way]));
    expect(way).toEqual({ web: "rollout", api: "recreate", off: "recreate" });
    expect(ways.find((item) => item.service === "api")?.why).toContain("(published: 8080)");
    expect(readServiceShapes("services: [not, a, mapping]").size).toBe(0);
    expect(readServiceShapes("services:\n  web: {").size).toBe(0);
  });

  it("a later file adds to an earlier one; a disabled health check is none", () => {
    const base = readServiceShapes(
      "services:\n  web:\n    image: web:1\n    healthcheck:\n      test: [CMD, 'true']\n",
    );
    const prod = readServiceShapes(
      'services:\n  web:\n    ports: ["80:8080"]\n  api:\n    healthcheck:\n      disable: true\n',
    );
    const { ways } = decideWays(mergeServiceShapes([base, prod]), undefined);
    expect(ways.find((item) => item.service === "web")?.way).toBe("recreate");
    expect(ways.find((item) => item.service === "api")?.why).toMatch(/no `healthcheck:`/);
  });

  it("named services: one without a health check is rolled anyway, one that cannot run twice is refused", () => {
    const { ways, refused } = decideWays(readServiceShapes(FILE), ["worker", "db", "web"]);
    expect(ways.map((item) => `${item.service} ${item.way}`)).toEqual(["worker rollout", "web rollout"]);
    expect(refused.map((item) => item.service)).toEqual(["db"]);
  });
});
