import { main } from "@hangar/kit";
import { imagePublish } from "./plugin.ts";

await main(imagePublish);
