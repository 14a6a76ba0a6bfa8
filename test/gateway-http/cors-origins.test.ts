// The `cors_origins` entries: normalised to what browsers send in Origin, bad ones refused with a
// message, and the matcher grants exactly the listed origins (exact, or any port of a wildcard).
import { describe, expect, it } from "vitest";
import { LiveConfig } from "../../src/gateway/config.js";
import { DEFAULT_CORS_ORIGINS, normaliseOriginPattern, originMatcher } from "../../src/gateway/http/cors-origins.js";

describe("normaliseOriginPattern", () => {
  it.each([
    ["http://localhost:5173", "http://localhost:5173"],
    [" HTTP://LocalHost:5173/ ", "http://localhost:5173"],
    ["https://game.example:443", "https://game.example"],
    ["http://game.example:80", "http://game.example"],
    ["http://game.example:8080", "http://game.example:8080"],
    ["http://LOCALHOST:*", "http://localhost:*"],
    ["http://[0:0:0:0:0:0:0:1]:*", "http://[::1]:*"],
    ["http://127.1:3000", "http://127.0.0.1:3000"],
    ["https://bücher.example", "https://xn--bcher-kva.example"],
    ["Tauri://LocalHost", "tauri://localhost"],
  ])("%j → %j", (entry, normal) => {
    expect(normaliseOriginPattern(entry)).toBe(normal);
  });

  it.each([
    ["*", /port wildcard/],
    ["null", /cannot be granted/],
    ["localhost:5173", /scheme:\/\/host/],
    ["http://localhost:5173/app", /no path/],
    ["http://localhost:5173?x=1", /no path/],
    ["http://user:pw@localhost", /scheme:\/\/host/],
    ["http://*.example.com", /only the port may be a wildcard/],
    ["http://localhost:65536", /port/],
    ["http://", /scheme:\/\/host/],
    [`http://${"a".repeat(300)}.example`, /at most/],
  ])("refuses %j", (entry, message) => {
    expect(() => normaliseOriginPattern(entry)).toThrow(message);
  });
});

describe("originMatcher", () => {
  const allows = originMatcher(["https://game.example", "http://localhost:*", "http://[::1]:*"]);

  it("grants exact origins exactly and wildcards on any port", () => {
    expect(allows("https://game.example")).toBe(true);
    expect(allows("https://game.example:8443")).toBe(false);
    expect(allows("http://game.example")).toBe(false);
    expect(allows("http://localhost")).toBe(true);
    expect(allows("http://localhost:5173")).toBe(true);
    expect(allows("http://[::1]:8080")).toBe(true);
    expect(allows("https://localhost:5173")).toBe(false);
  });

  it("refuses what no browser sends for a listed origin", () => {
    for (const origin of [undefined, "", "null", "HTTP://LOCALHOST:5173", "http://localhost:5173/", "http://localhost.evil.example", "http://localhost:5173, http://evil.example", "http://evil.example#http://localhost:1"]) {
      expect(allows(origin), String(origin)).toBe(false);
    }
  });

  it("an empty list grants nothing", () => {
    expect(originMatcher([])("http://localhost:5173")).toBe(false);
  });
});

describe("LiveConfig cors_origins", () => {
  it("defaults to loopback on any port", () => {
    expect(new LiveConfig().get().cors_origins).toEqual(DEFAULT_CORS_ORIGINS);
  });

  it("normalises the initial list and refuses a bad one naming the entry", () => {
    expect(new LiveConfig({ cors_origins: ["HTTPS://Game.Example/"] }).get().cors_origins).toEqual(["https://game.example"]);
    expect(() => new LiveConfig({ cors_origins: ["http://ok.example", "nope"] })).toThrow(/^cors_origins\[1\]: must be an origin/);
  });

  it("a PATCH replaces the whole list; other fields keep their dotted names in messages", () => {
    const config = new LiveConfig();
    expect(config.patch({ cors_origins: ["http://a.example"] }).cors_origins).toEqual(["http://a.example"]);
    expect(config.patch({ freshness_window_ms: 1000 }).cors_origins).toEqual(["http://a.example"]);
    expect(() => config.patch({ cors_origins: "http://a.example" })).toThrow(/^cors_origins: /);
    expect(() => config.patch({ cors_origins: Array.from({ length: 101 }, (_, i) => `http://h${i}.example`) })).toThrow(/^cors_origins: /);
    expect(() => config.patch({ rate_limits: { per_ip: { rate_per_s: -1, burst: 1 } } })).toThrow(/^rate_limits\.per_ip\.rate_per_s: /);
  });
});
