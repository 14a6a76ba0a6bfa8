import { describe, expect, it } from "vitest";
import { consoleWindowOptions, secureWebPreferences } from "../../src/main/window-options.js";

describe("window options", () => {
  it("locks the renderer down", () => {
    expect(secureWebPreferences("/app/dist/preload/preload.cjs")).toEqual({
      preload: "/app/dist/preload/preload.cjs",
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    });
  });

  it("refuses a relative preload path", () => {
    expect(() => secureWebPreferences("dist/preload/preload.cjs")).toThrow(/absolute/);
  });

  it("builds hidden-until-ready window options around those preferences", () => {
    const options = consoleWindowOptions({ title: "T", preloadPath: "/p.cjs" });
    expect(options.show).toBe(false);
    expect(options.title).toBe("T");
    expect(options.webPreferences).toEqual(secureWebPreferences("/p.cjs"));
  });
});
