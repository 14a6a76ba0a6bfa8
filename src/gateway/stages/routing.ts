// Stage 8, routing: the message_type must have a route in the (live) routing table, or be a type the
// mock backend has stub mappings for (backend/stub-types.ts), which the table wins over.
import { Code } from "@connectrpc/connect";
import type { StubTypes } from "../backend/stub-types.js";
import type { LiveConfig } from "../config.js";
import { GatewayRejection, requireEnvelope, type GatewayCall, type Stage } from "./stage.js";

export function routingStage(config: LiveConfig, stubTypes?: StubTypes): Stage {
  return {
    name: "routing",
    // Synchronous when the type is known (every call but the unknown ones).
    run(call: GatewayCall): void | Promise<void> {
      const { messageType } = requireEnvelope(call);
      const routes = config.get().routes;
      const route = Object.hasOwn(routes, messageType) ? routes[messageType] : stubTypes?.route(messageType);
      if (route) {
        call.route = route;
        return;
      }
      if (!stubTypes) throw unknownType(messageType);
      // Perhaps stubbed since the gateway last asked (through another gateway, or a restarted backend).
      return stubTypes.refreshOnMiss().then(() => {
        call.route = stubTypes.route(messageType);
        if (!call.route) throw unknownType(messageType);
      });
    },
  };
}

function unknownType(messageType: string): GatewayRejection {
  return new GatewayRejection(Code.Unimplemented, "unknown_message_type", "routing", `no route for message_type "${messageType}"`);
}
