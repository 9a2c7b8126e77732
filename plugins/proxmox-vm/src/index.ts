import { main } from "@hangar/kit";
import { proxmoxVm } from "./plugin.ts";

await main(proxmoxVm);
