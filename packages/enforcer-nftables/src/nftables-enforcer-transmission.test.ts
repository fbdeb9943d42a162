/**
 * Real transmission seller, real qbittorrent-nox buyers (uTP and TCP), the enforcer in the seller's own
 * network namespace. See nftables-scenario.test.helper.ts for what is measured.
 */
import { describeEnforcement } from "./nftables-scenario.test.helper.js";

describeEnforcement("transmission");
