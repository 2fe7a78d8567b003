// Copies the front-end libraries from node_modules into static/vendor/ (git-ignored),
// so the site serves them itself and needs no CDN.
import { cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "node_modules");
const vendor = join(root, "static", "vendor");

// Only what the pages load: axe-core (a devDependency) stays in node_modules, where the
// accessibility sweep (helpdesk/tests/test_e2e_sweep.py) reads it; the site never serves it.
const copies = [
  ["bootstrap/dist/css/bootstrap.min.css", "bootstrap/css/bootstrap.min.css"],
  ["bootstrap/dist/css/bootstrap.min.css.map", "bootstrap/css/bootstrap.min.css.map"],
  ["bootstrap/dist/js/bootstrap.bundle.min.js", "bootstrap/js/bootstrap.bundle.min.js"],
  ["bootstrap/dist/js/bootstrap.bundle.min.js.map", "bootstrap/js/bootstrap.bundle.min.js.map"],
  ["bootstrap-icons/font/bootstrap-icons.min.css", "bootstrap-icons/bootstrap-icons.min.css"],
  ["bootstrap-icons/font/fonts", "bootstrap-icons/fonts"],
  ["sortablejs/modular/sortable.core.esm.js", "sortablejs/sortable.core.esm.js"],
  ["chart.js/dist/chart.umd.min.js", "chart.js/chart.umd.min.js"],
  ["chart.js/dist/chart.umd.min.js.map", "chart.js/chart.umd.min.js.map"],
  ["tributejs/dist/tribute.min.js", "tributejs/tribute.min.js"],
  ["tributejs/dist/tribute.min.js.map", "tributejs/tribute.min.js.map"],
  ["tributejs/dist/tribute.css", "tributejs/tribute.css"],
];

rmSync(vendor, { recursive: true, force: true });
for (const [from, to] of copies) {
  const source = join(modules, from);
  if (!existsSync(source)) {
    console.error(`missing ${source}: run npm ci first`);
    process.exit(1);
  }
  const target = join(vendor, to);
  mkdirSync(dirname(target), { recursive: true });
  cpSync(source, target, { recursive: true });
}
console.log(`copied ${copies.length} front-end assets into static/vendor/`);
