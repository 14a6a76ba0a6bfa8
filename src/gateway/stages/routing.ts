// Stage 8, routing: the message_type must have a route in the (live) routing table.
import { Code } from "@connectrpc/connect";
import type { LiveConfig } from "../config.js";
import { GatewayRejection, requireEnvelope, type GatewayCall, type Stage } from "./stage.js";

export function routingStage(config: LiveConfig): Stage {
  return {
    name: "routing",
    run(call: GatewayCall) {
      const { messageType } = requireEnvelope(call);
      const routes = config.get().routes;
      const route = Object.hasOwn(routes, messageType) ? routes[messageType] : undefined;
      if (!route) throw new GatewayRejection(Code.Unimplemented, "unknown_message_type", "routing", `no route for message_type "${messageType}"`);
      call.route = route;
    },
  };
}
