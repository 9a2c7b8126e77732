import { main } from "@hangar/kit";
import { releaseSite } from "./plugin.ts";

await main(releaseSite);
