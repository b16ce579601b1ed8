// The project's Upstash REST bridge (tools/bridge.ts), run in a worker
// thread so the load generator's event loop does not delay Redis replies.
import { parentPort, workerData } from "node:worker_threads";
import { type BridgeCommonOptions, startBridge } from "../../tools/bridge.ts";

const port = parentPort;
if (!port) throw new Error("bridge-thread.ts runs as a worker thread");
const { redisUrl, token, latency, labels } = workerData as {
  redisUrl: string;
  token: string;
  latency?: BridgeCommonOptions["latency"];
  labels?: boolean;
};
const bridge = await startBridge({ redisUrl, token, ...(latency ? { latency } : {}), labels: labels ?? false });
port.postMessage({ type: "ready", url: bridge.url });
port.on("message", (message: { type: string }) => {
  if (message.type === "calls") port.postMessage({ type: "calls", calls: bridge.calls() });
  if (message.type === "close") void bridge.close().then(() => port.close());
});
