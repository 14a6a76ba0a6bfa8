import type { ReactNode } from "react";
import { Header, paneId, tabId } from "./components/Header.js";
import { Commands } from "./features/commands/Commands.js";
import { Events } from "./features/events/Events.js";
import { History } from "./features/history/History.js";
import { Inspector } from "./features/inspector/Inspector.js";
import { Overview } from "./features/overview/Overview.js";
import { Settings } from "./features/settings/Settings.js";
import { SignIn } from "./features/signin/SignIn.js";
import { TamperLab } from "./features/tamper/TamperLab.js";
import { World } from "./features/world/World.js";
import type { Tab } from "./state/app-store.js";
import { useApp } from "./state/context.js";

export function App() {
  const app = useApp();
  if (!app.ready) return <div className="loading">Loading…</div>;
  // Every tab stays mounted (hidden when not current) so forms and results survive tab switches.
  const pane = (tab: Tab, node: ReactNode) => (
    <section className="pane" role="tabpanel" id={paneId(tab)} aria-labelledby={tabId(tab)} hidden={app.tab !== tab} data-testid={`pane-${tab}`}>
      {node}
    </section>
  );
  return (
    <div className="app">
      <Header />
      {app.loadError && <div className="banner bad">{app.loadError}</div>}
      <main>
        {pane("overview", <Overview visible={app.tab === "overview"} />)}
        {pane("signin", <SignIn visible={app.tab === "signin"} />)}
        {pane("commands", <Commands visible={app.tab === "commands"} />)}
        {pane("history", <History />)}
        {pane("events", <Events />)}
        {pane("inspector", <Inspector visible={app.tab === "inspector"} />)}
        {pane("world", <World visible={app.tab === "world"} />)}
        {pane("tamper", <TamperLab />)}
        {pane("settings", <Settings visible={app.tab === "settings"} />)}
      </main>
    </div>
  );
}
