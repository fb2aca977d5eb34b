// A minimal MCP Apps host for the browser test: it renders a view in a sandboxed iframe (opaque origin, the spec's
// default Content-Security-Policy: no network), plays the host side of the protocol with the SDK's AppBridge, and
// hands the view's tool calls to the test (window.hostCallTool, bound by Playwright), which runs them on a real
// MCP server.

import {
  AppBridge,
  PostMessageTransport,
  type McpUiHostCapabilities,
  type McpUiHostContext,
} from "@modelcontextprotocol/ext-apps/app-bridge";

interface ShowSpec {
  html: string;
  tool: { name: string; inputSchema: Record<string, unknown>; description?: string };
  arguments: Record<string, unknown>;
  result: Record<string, unknown>;
  context: McpUiHostContext;
  width: number;
  canCallTools: boolean;
}

interface HostState {
  initialized: boolean;
  toolCalls: unknown[];
  modelContext: unknown[];
  height: number;
}

declare global {
  interface Window {
    hostCallTool?: (params: string) => Promise<string>;
    keitaroHost: {
      show(spec: ShowSpec): Promise<void>;
      setContext(context: McpUiHostContext): Promise<void>;
      state: HostState;
    };
  }
}

// What MCP Apps hosts apply when a resource declares no CSP domains: inline code only, nothing over the network.
const CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; " +
  "font-src data:; media-src data:; connect-src 'none'; frame-src 'none'; base-uri 'none'; form-action 'none'";

function withCsp(html: string): string {
  const meta = `<meta http-equiv="Content-Security-Policy" content="${CSP}">`;
  return html.replace(/<head[^>]*>/i, (head) => `${head}${meta}`);
}

const state: HostState = { initialized: false, toolCalls: [], modelContext: [], height: 0 };
let bridge: AppBridge | null = null;
let hostContext: McpUiHostContext = {};

async function show(spec: ShowSpec): Promise<void> {
  if (bridge) await bridge.close();
  state.initialized = false;
  state.toolCalls = [];
  state.modelContext = [];
  const frame = document.getElementById("frame") as HTMLElement;
  frame.style.width = `${spec.width}px`;
  document.body.classList.toggle("dark", spec.context.theme === "dark");
  const iframe = document.createElement("iframe");
  iframe.setAttribute("sandbox", "allow-scripts");
  iframe.title = spec.tool.name;
  frame.replaceChildren(iframe);
  const view = iframe.contentWindow as Window;

  const capabilities: McpUiHostCapabilities = spec.canCallTools
    ? { serverTools: {}, updateModelContext: { text: {} }, logging: {} }
    : { logging: {} };
  const context: McpUiHostContext = {
    ...spec.context,
    toolInfo: { id: 1, tool: { ...spec.tool, inputSchema: { type: "object", ...spec.tool.inputSchema } } },
    displayMode: "inline",
    availableDisplayModes: ["inline"],
  };
  hostContext = context;
  bridge = new AppBridge(null, { name: "keitaro-test-host", version: "1.0.0" }, capabilities, { hostContext });
  const current = bridge;
  current.oncalltool = async (params) => {
    state.toolCalls.push(params);
    if (!window.hostCallTool) throw new Error("this host runs no tools");
    return JSON.parse(await window.hostCallTool(JSON.stringify(params)));
  };
  current.onupdatemodelcontext = async (params) => {
    state.modelContext.push(params);
    return {};
  };
  current.onsizechange = ({ height }) => {
    if (height !== undefined) {
      state.height = height;
      iframe.style.height = `${height}px`;
    }
  };
  current.oninitialized = () => {
    void (async () => {
      await current.sendToolInput({ arguments: spec.arguments });
      await current.sendToolResult(spec.result as Parameters<AppBridge["sendToolResult"]>[0]);
      state.initialized = true;
    })();
  };
  await current.connect(new PostMessageTransport(view, view));
  iframe.srcdoc = withCsp(spec.html);
}

async function setContext(update: McpUiHostContext): Promise<void> {
  document.body.classList.toggle("dark", update.theme === "dark");
  hostContext = { ...hostContext, ...update };
  bridge?.setHostContext(hostContext);
}

window.keitaroHost = { show, setContext, state };
