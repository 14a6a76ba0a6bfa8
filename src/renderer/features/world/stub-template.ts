// What the stub editor starts with: the worked mapping of issue 12 (README "Your own game"), every
// part of a mapping in use, to edit rather than to remember.
export const STUB_TEMPLATE = {
  id: "shop-buy-laser",
  message_type: "game.shop.buy",
  priority: 5,
  match: { payload: { item: "laser", qty: { regex: "^[1-9]$" } }, email: "pilot@example.com" },
  respond: {
    payload: { item: "{{payload.item}}", qty: "{{payload.qty}}", order_id: "{{uuid}}", at_ms: "{{now_ms}}" },
    result_code: "ok",
    delay_ms: 0,
  },
  push: [{ event_type: "game.shop.delivered", payload: { order: "{{response.payload.order_id}}" }, delay_ms: 2000, to: "caller" }],
  scenario: { name: "shop", required_state: "Started", new_state: "Bought" },
};

/** The server's refusal split into the JSON path it starts with (`$.push[0].to`) and the rule. */
export function splitProblem(message: string): { path?: string; rule: string } {
  const m = /^(?:invalid fault: )?(\$[^\s:]*): ([\s\S]*)$/.exec(message);
  return m ? { path: m[1]!, rule: m[2]! } : { rule: message };
}
