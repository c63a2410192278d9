// Takes a CPU profile of a node process whose inspector is open (after SIGUSR1).
import http from 'node:http';
const port = Number(process.argv[2] ?? 9229), secs = Number(process.argv[3] ?? 10);
const list = await new Promise((res, rej) => http.get(`http://127.0.0.1:${port}/json/list`, (r) => { let b=''; r.on('data', (c) => b += c); r.on('end', () => res(JSON.parse(b))); }).on('error', rej));
const ws = new WebSocket(list[0].webSocketDebuggerUrl);
let id = 0; const pending = new Map();
const send = (method, params = {}) => new Promise((res) => { const i = ++id; pending.set(i, res); ws.send(JSON.stringify({ id: i, method, params })); });
ws.onmessage = (m) => { const d = JSON.parse(m.data); if (d.id && pending.has(d.id)) { pending.get(d.id)(d.result); pending.delete(d.id); } };
await new Promise((r) => ws.onopen = r);
await send('Profiler.enable'); await send('Profiler.setSamplingInterval', { interval: 1000 }); await send('Profiler.start');
await new Promise((r) => setTimeout(r, secs * 1000));
const { profile } = await send('Profiler.stop');
// self time per function
const self = new Map(); const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const dt = profile.timeDeltas; const counts = new Map();
profile.samples.forEach((s, i) => counts.set(s, (counts.get(s) ?? 0) + (dt[i] ?? 0)));
for (const [nid, t] of counts) { const n = byId.get(nid); const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber}`; self.set(k, (self.get(k) ?? 0) + t); }
const total = [...self.values()].reduce((a, b) => a + b, 0);
console.log('total ms', (total / 1000).toFixed(0));
for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log((t / 1000).toFixed(0).padStart(7), k);
ws.close(); process.exit(0);
