// ESLint for the box's own scripts (`make test` runs it): ESLint's recommended rules plus a few.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["classbox/static/vendor/**", "tests/**", "node_modules/**", ".venv/**"] },
  js.configs.recommended,
  {
    files: ["classbox/**/*.js"],
    languageOptions: {
      ecmaVersion: 2020,
      sourceType: "module",
      globals: { ...globals.browser },
    },
    rules: {
      eqeqeq: ["error", "always"],
      "no-implicit-globals": "error",
      "no-unused-vars": ["error", { args: "none", caughtErrors: "none" }],
      "no-var": "off",
      "no-warning-comments": ["error", { terms: ["#[0-9]", "pages (#"], location: "anywhere" }],
    },
  },
  {  // classic scripts: the service worker, and a page helper configured by its <script> tag
    files: ["classbox/web/sw.js", "classbox/static/pages/live-refresh.js", "classbox/static/h5p/frame.js"],
    languageOptions: { sourceType: "script", globals: { ...globals.browser, ...globals.serviceworker } },
  },
  { files: ["classbox/web/sw.js"], rules: { "no-implicit-globals": "off" } },  // a worker's globals are its own
];
