// Walking shoppers for benchmarks/store_load.py, over real websockets (the `ws` package).
// A client in Python costs ~50 us a frame; here a few, so the clients leave the CPU to the server
// they measure. Usage: node loadgen.mjs URL[,URL...] CLIENTS SECONDS WARMUP MOVE_HZ JOINS_PER_S -> one JSON line on stdout:
// {"latencies_ms": [...], "bytes": N, "joined": N, "errors": {code: count}}
import WebSocket from 'ws';

const [urls, clients, seconds, warmup, moveHz, joinsPerSecond] = [process.argv[2].split(','), ...process.argv.slice(3).map(Number)];
const now = () => performance.timeOrigin + performance.now(); // ms since 1970, sub-millisecond
const start = now();
const measureFrom = start + warmup * 1000;
const stopAt = start + seconds * 1000;
const latencies = [];
const errors = {};
let bytes = 0;
let joined = 0;

function shopper(index) {
  const ws = new WebSocket(urls[index % urls.length], { perMessageDeflate: false, maxPayload: 1 << 24 });
  const angle = index * 2.399; // golden-angle spiral over the floor
  const radius = 1.0 + (index % 50) * 0.1;
  let walker = null;
  ws.on('open', () => {
    ws.send(JSON.stringify({ type: 'join', name: `load-${index}` }));
    walker = setInterval(() => {
      const t = (now() / 1000) * 0.3 + angle;
      const heading = ((t * 180) / Math.PI) % 360;
      ws.send(`{"type":"move","x":${(radius * Math.cos(t)).toFixed(3)},"z":${(radius * Math.sin(t)).toFixed(3)},"heading":${heading.toFixed(1)}}`);
    }, 1000 / moveHz);
  });
  ws.on('message', (data, isBinary) => {
    const at = now();
    if (!isBinary) {
      const head = data.toString('latin1', 0, 18);
      if (head === '{"type":"snapshot"') joined += 1;
      else if (head.startsWith('{"type":"error"')) {
        const code = JSON.parse(data.toString()).code;
        errors[code] = (errors[code] || 0) + 1;
      }
    }
    if (at < measureFrom || at > stopAt) return;
    bytes += data.length;
    if (isBinary) latencies.push(at - data.readDoubleLE(8) * 1000);
    else if (data.length > 20 && data.toString('latin1', 0, 16) === '{"type":"state",') {
      const match = /"t":([0-9.]+)/.exec(data.toString('latin1', 0, 80));
      if (match) latencies.push(at - Number(match[1]) * 1000);
    }
  });
  ws.on('error', (e) => { errors[e.code || 'socket'] = (errors[e.code || 'socket'] || 0) + 1; });
  ws.on('close', () => clearInterval(walker));
  return ws;
}

const sockets = [];
for (let i = 0; i < clients; i++) {
  sockets.push(shopper(i));
  await new Promise((resolve) => setTimeout(resolve, 1000 / joinsPerSecond)); // a crowd arriving, not all at once
}
setTimeout(() => {
  for (const ws of sockets) ws.terminate();
  process.stdout.write(JSON.stringify({ latencies_ms: latencies, bytes, joined, errors }) + '\n', () => process.exit(0));
}, Math.max(0, stopAt - now()));
