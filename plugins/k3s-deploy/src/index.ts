import { main } from "@hangar/kit";
import { k3sDeploy } from "./plugin.ts";

await main(k3sDeploy);
