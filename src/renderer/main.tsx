import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.js";
import { pickBridge } from "./services/host-bridge.js";
import { takeAccessTokenFromUrl } from "./services/http.js";
import { createAppServices } from "./state/app-services.js";
import { ServicesProvider } from "./state/context.js";
import "./styles.css";
import "./features.css";

const accessToken = takeAccessTokenFromUrl(location, history);
const services = createAppServices({ bridge: pickBridge(window), origin: location.origin, storage: window.localStorage, ...(accessToken ? { accessToken } : {}) });
void services.app.load();

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <ServicesProvider services={services}>
      <App />
    </ServicesProvider>
  </StrictMode>,
);
