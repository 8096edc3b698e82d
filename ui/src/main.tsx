// Entry point: applies the theme preference and renders the app.
import { render } from "preact";
import { App } from "./app";
import { prepareDateFormats } from "./dates";
import "./style.css";

const root = document.getElementById("app");
if (root) render(<App />, root);
prepareDateFormats();
