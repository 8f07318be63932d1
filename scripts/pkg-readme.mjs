// The npm package's README, written from the project's: npm readers get install and usage first, not the
// project's `make` commands (which do not exist in an installed package) or its development notes. Every file the
// result links (docs, examples) is copied into pkg/ beside it, so each link resolves in the installed package.
//
//   import { writePackageReadme } from "./pkg-readme.mjs";   (scripts/build-pkg.mjs)
//   node scripts/pkg-readme.mjs --check                       (make test: every relative link in pkg/README.md
//                                                              names a file that `npm pack` ships)
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";

const root = path.resolve(import.meta.dirname, "..");

/** Cuts `from` (inclusive) up to `to` (exclusive) out of `text`; both must be found, so a README edit that
 * breaks the transform fails the build instead of shipping the wrong text. */
function cut(text, from, to) {
  const a = text.indexOf(from);
  const b = to === null ? text.length : text.indexOf(to, a + from.length);
  if (a < 0 || b < 0) throw new Error(`pkg-readme: README.md no longer contains ${JSON.stringify(a < 0 ? from : to)}; update scripts/pkg-readme.mjs`);
  return text.slice(0, a) + text.slice(b);
}

/** The package README's text. */
export function packageReadme(readme) {
  let t = readme;
  // The project's two set-up commands and the paragraph about them: a repository concern.
  t = cut(t, "```sh\nmake demo", "edgeroute chooses which origin");
  // The demo page lives in the repository (`make demo`), and its picture is 250 KB.
  t = cut(t, "![The demo page", "## Install and entry points");
  // The Python package is not in the npm package (docs/python.md stays in the repository).
  t = cut(t, "## Python\n", "## Examples");
  // Development notes are for people working on edgeroute itself; the license line stays.
  t = cut(t, "## Development", "License:");
  const install = "```sh\nnpm install edgeroute\n```\n\n";
  t = t.replace("edgeroute chooses which origin", install + "edgeroute chooses which origin");
  return t;
}

/** Relative link targets in markdown text (no URLs, no in-page anchors). */
export function relativeLinks(text) {
  const out = new Set();
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const href = m[1].split("#")[0];
    if (href && !/^[a-z][a-z0-9+.-]*:/i.test(href)) out.add(href);
  }
  return [...out].sort();
}

/** Writes pkg/README.md and copies what it links; returns the shipped paths (for package.json `files`). */
export function writePackageReadme(pkgDir) {
  const text = packageReadme(fs.readFileSync(path.join(root, "README.md"), "utf8"));
  fs.writeFileSync(path.join(pkgDir, "README.md"), text);
  const shipped = [];
  for (const rel of relativeLinks(text)) {
    const src = path.join(root, rel);
    if (!fs.existsSync(src)) throw new Error(`pkg-readme: README.md links ${rel}, which does not exist`);
    fs.mkdirSync(path.dirname(path.join(pkgDir, rel)), { recursive: true });
    fs.copyFileSync(src, path.join(pkgDir, rel));
    shipped.push(rel);
  }
  return shipped;
}

if (process.argv.includes("--check")) {
  // What `npm pack` would put in the tarball, as npm itself lists it.
  const listing = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json"], { cwd: path.join(root, "pkg"), encoding: "utf8" }));
  const packed = new Set(listing[0].files.map((f) => f.path));
  const text = fs.readFileSync(path.join(root, "pkg/README.md"), "utf8");
  const missing = relativeLinks(text).filter((rel) => !packed.has(path.posix.normalize(rel)));
  const problems = missing.map((rel) => `pkg/README.md links ${rel}, which the package does not ship`);
  for (const bad of [/^make (demo|test)/m, /## Development/]) {
    if (bad.test(text)) problems.push(`pkg/README.md still contains ${bad}: a repository instruction in the npm README`);
  }
  if (!text.includes("npm install edgeroute")) problems.push("pkg/README.md does not say how to install the package");
  if (!packed.has("CHANGELOG.md")) problems.push("the package does not ship CHANGELOG.md");
  if (problems.length) {
    console.error(problems.join("\n"));
    process.exit(1);
  }
  console.log(`pkg/README.md: ${relativeLinks(text).length} relative links, all shipped; ${packed.size} files in the package`);
}
