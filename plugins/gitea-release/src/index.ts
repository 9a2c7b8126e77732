import { main } from "@hangar/kit";
import { giteaRelease } from "./plugin.ts";

await main(giteaRelease);
