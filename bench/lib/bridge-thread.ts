// The project's Upstash REST bridge (tools/bridge.ts), run in a worker
// thread so the load generator's event loop does not delay Redis replies.
import { parentPort, workerData } from "node:worker_threads";
import { startBridge } from "../../tools/bridge.ts";

const port = parentPort;
if (!port) throw new Error("bridge-thread.ts runs as a worker thread");
const { redisUrl, token } = workerData as { redisUrl: string; token: string };
const bridge = await startBridge({ redisUrl, token });
port.postMessage({ type: "ready", url: bridge.url });
port.on("message", (message: { type: string }) => {
  if (message.type === "close") void bridge.close().then(() => port.close());
});
