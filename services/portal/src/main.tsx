import "@mantine/core/styles.css";
import "./app/app.css";
import "./i18n/i18n.js";
import { createRoot } from "react-dom/client";
import { App } from "./app/app.js";

createRoot(document.getElementById("root")!).render(<App />);
