// Runs the conformance suite against an adapter that is broken on purpose (stream-duplicates); the suite
// must fail. Started only by sim-adapter-conformance-negative.test.ts.
import { runBrokenConformance } from "./broken-sim-adapters.js";

runBrokenConformance("stream-duplicates");
