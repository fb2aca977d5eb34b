// Builds the views into single self-contained HTML files: scripts and styles inlined, nothing fetched at run time.
//   src/report.html + src/main.ts   -> ../keitaro_mcp/views/report.html  (served as ui://keitaro/report.html)
//   test-host/host.html + host.ts   -> ../tests/views/host.html           (the browser test's MCP Apps host)
// The output depends only on the sources and the locked packages: CI rebuilds and compares byte for byte.
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));

const PAGES = [
  { template: "src/report.html", entry: "src/main.ts", out: "../keitaro_mcp/views/report.html" },
  { template: "test-host/host.html", entry: "test-host/host.ts", out: "../tests/views/host.html" },
];

// zod (the SDK's message validation) re-exports its error messages in ~50 languages as one namespace object, which
// no bundler can trim; the views show no zod message, so only English (zod's default) is bundled.
const englishOnlyZod = {
  name: "english-only-zod",
  setup(build) {
    const stub = { path: "zod-locales", namespace: "english-only-zod" };
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes("node_modules/zod/") ? stub : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "english-only-zod" }, () => ({
      contents: 'export { default as en } from "zod/v4/locales/en.js";',
      resolveDir: here,
      loader: "js",
    }));
  },
};

async function bundle(entry) {
  const result = await esbuild.build({
    absWorkingDir: here,
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: "iife",
    target: ["es2020"],
    platform: "browser",
    legalComments: "inline",
    charset: "utf8",
    outdir: "out",
    write: false,
    logLevel: "warning",
    plugins: [englishOnlyZod],
  });
  const pick = (ext) =>
    result.outputFiles
      .filter((file) => file.path.endsWith(ext))
      .map((file) => file.text)
      .join("");
  return { js: pick(".js"), css: pick(".css") };
}

function inline(template, { js, css }) {
  // A "</script" or "</style" inside the code would end the element early.
  if (/<\/script/i.test(js) || /<\/style/i.test(css)) throw new Error("closing tag inside inlined code");
  const html = template
    .replace("<!-- inline:css -->", () => (css ? `<style>${css}</style>` : ""))
    .replace("<!-- inline:js -->", () => `<script>${js}</script>`);
  if (/<(script|link)[^>]+(src|href)=/i.test(html)) throw new Error("external reference in built page");
  return html;
}

for (const page of PAGES) {
  const template = await readFile(join(here, page.template), "utf8");
  const html = inline(template, await bundle(page.entry));
  const out = join(here, page.out);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, html);
  console.log(`${page.out}: ${html.length} bytes`);
}
