// Runs the shared checks inside workerd and answers with the results as JSON.
import { Router, EdgerouteError, version } from "edgeroute";
import golden from "../golden/vectors.json";
import messages from "../shared/error-messages.json";
import { goldenChecks, errorChecks, strategyChecks } from "../shared/checks.js";
import { hostileChecks, reentranceChecks } from "../shared/hostile.js";

// Built at global scope: an unseeded random Router must not draw randomness here, which Workers forbid.
const atGlobalScope = new Router({ strategy: "random", nodes: [{ id: "a" }, { id: "b" }] });

export default {
  async fetch() {
    return Response.json({
      version,
      golden: goldenChecks(Router, golden),
      errors: errorChecks(Router, EdgerouteError, messages),
      strategies: strategyChecks(Router),
      reentrance: reentranceChecks(Router, EdgerouteError),
      hostile: [31, 32, 33].map((seed) => hostileChecks(Router, EdgerouteError, { seed, ops: 2000 })),
      globalScopePick: atGlobalScope.pick(),
    });
  },
};
