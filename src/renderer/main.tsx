import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.js";
import { initAccessToken } from "./api/http.js";
import { pickBridge } from "./host/bridge.js";
import { AppProvider } from "./state/app-state.js";
import "./styles.css";

initAccessToken();

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <AppProvider bridge={pickBridge()}>
      <App />
    </AppProvider>
  </StrictMode>,
);
