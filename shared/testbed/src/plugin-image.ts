import { type DroneStepResult, runDroneStep } from "./drone-step.ts";
import { readStepOutputs } from "./step-outputs.ts";
import { testbed } from "./testbed.ts";

/** What a step's card said: the `data` of the card Drone shows on the build's page. */
export interface StepCard {
  title?: string;
  status?: string;
  facts?: { name: string; value: string }[];
  [key: string]: unknown;
}

export interface ImageRun extends DroneStepResult {
  /** stdout and stderr together, as the build log shows them. */
  output: string;
  /** The outputs the step left for later steps, without the build's stamp. */
  outputs: Record<string, string>;
  /** The card the step wrote to Drone's DRONE_CARD_PATH (/dev/stdout), if it wrote one. */
  card: StepCard | undefined;
}

export interface PluginImage {
  name: string;
  /** Runs the image as one step of the build `env` describes, in `workspace`. */
  run(workspace: string, env: Record<string, string>, options?: { timeoutMs?: number }): Promise<ImageRun>;
}

/** The card in a step's stdout: Drone's runner reads it from the `ESC]1338;<base64>ESC]0m` sequence. */
export function cardIn(stdout: string): StepCard | undefined {
  const esc = String.fromCharCode(27);
  const match = new RegExp(`${esc}\\]1338;([A-Za-z0-9+/=]+)${esc}\\]0m`).exec(stdout);
  return match?.[1] ? JSON.parse(Buffer.from(match[1], "base64").toString()).data : undefined;
}

/**
 * A plugin image built by `pnpm images`, under the availability policy (undefined when it is
 * not there and skipping is allowed), run as Drone's docker runner runs a step: its card goes
 * to stdout, as DRONE_CARD_PATH is /dev/stdout on Drone's runners.
 *
 *   const image = await pluginImage("hangar/gitea-issue:dev");
 *   describe.skipIf(!image)("the gitea-issue image", () => { … await image?.run(ws.dir, env) … });
 */
export async function pluginImage(name: string): Promise<PluginImage | undefined> {
  if ((await testbed.image(name)) === undefined) return undefined;
  return {
    name,
    async run(workspace, env, options = {}) {
      const result = await runDroneStep({
        image: name,
        workspace,
        env: { DRONE_CARD_PATH: "/dev/stdout", ...env },
        ...options,
      });
      return {
        ...result,
        output: result.stdout + result.stderr,
        outputs: await readStepOutputs(workspace),
        card: cardIn(result.stdout),
      };
    },
  };
}
