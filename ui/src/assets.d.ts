// Stylesheets imported for their side effect: esbuild bundles them into the page's inline <style>.
declare module "*.css";
