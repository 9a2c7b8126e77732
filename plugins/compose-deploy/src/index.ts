import { main } from "@hangar/kit";
import { composeDeploy } from "./plugin.ts";

await main(composeDeploy);
