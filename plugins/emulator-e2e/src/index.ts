import { main } from "@hangar/kit";
import { emulatorE2e } from "./plugin.ts";

await main(emulatorE2e);
