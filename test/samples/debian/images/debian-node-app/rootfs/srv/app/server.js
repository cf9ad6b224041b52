// A typical small Node.js service: reads its config and package.json, resolves its database host,
// tries to connect (with retries and backoff, as services do at start-up), serves JSON over HTTP,
// writes a log file and a cache file under its own directories, and handles SIGTERM.
'use strict';
const http = require('node:http');
const net = require('node:net');
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, 'package.json'), 'utf8'));
const port = Number(process.env.PORT || 3000);
const dataDir = path.join(__dirname, 'data');
fs.mkdirSync(dataDir, { recursive: true });
const log = fs.createWriteStream(path.join(dataDir, 'app.log'), { flags: 'a' });
const say = (msg) => { const line = `${new Date().toISOString()} ${msg}`; console.log(line); log.write(line + '\n'); };

function connectDb(attempt = 1) {
  const sock = net.connect({ host: process.env.DATABASE_HOST, port: Number(process.env.DATABASE_PORT), timeout: 500 });
  sock.once('connect', () => { say('database connected'); sock.end(); });
  const retry = (err) => {
    sock.destroy();
    say(`database unavailable (${err.code || err.message}), attempt ${attempt}`);
    if (attempt < 3) setTimeout(() => connectDb(attempt + 1), 200 * attempt);
  };
  sock.once('error', retry);
  sock.once('timeout', () => retry(new Error('timeout')));
}

const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ name: pkg.name, version: pkg.version, host: os.hostname(), uptime: process.uptime() }));
});
server.listen(port, '0.0.0.0', () => {
  say(`${pkg.name} ${pkg.version} listening on ${port} (node ${process.version}, ${os.cpus().length} cpus)`);
  fs.writeFileSync(path.join(dataDir, 'cache.json'), JSON.stringify({ startedAt: Date.now() }));
  const local = http.get({ host: '127.0.0.1', port, path: '/health' }, (r) => { r.resume(); r.on('end', () => say(`self-check ${r.statusCode}`)); });
  local.on('error', (e) => say(`self-check failed: ${e.message}`));
  connectDb();
});
process.on('SIGTERM', () => { say('shutting down'); server.close(() => process.exit(0)); });
