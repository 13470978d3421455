// Reaching an https:// server through an HTTP CONNECT proxy (cursor-proxy's
// --listen-connect), for Node's http2 client: the tunnel is opened first, then
// http2.connect's createConnection wraps it in TLS. One tunnel: enough for a
// client that keeps one HTTP/2 connection, as these peers do.
"use strict";
const fs = require("node:fs");
const net = require("node:net");
const tls = require("node:tls");

function openTunnel(proxy, authority) {
  const [host, port] = proxy.split(":");
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(port), host, () =>
      sock.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`));
    let reply = "";
    const onData = (d) => {
      reply += d.toString("latin1");
      const end = reply.indexOf("\r\n\r\n");
      if (end < 0) return;
      sock.removeListener("data", onData);
      if (!reply.startsWith("HTTP/1.1 200")) return reject(new Error("CONNECT refused: " + reply.split("\r\n")[0]));
      resolve(sock);
    };
    sock.on("data", onData);
    sock.on("error", reject);
  });
}

// Extra createConnectTransport options: none without PEER_PROXY.
async function transportOptions(baseUrl) {
  if (!process.env.PEER_PROXY) return {};
  const url = new URL(baseUrl);
  const sock = await openTunnel(process.env.PEER_PROXY, url.host);
  const ca = fs.readFileSync(process.env.PEER_CA);
  return {
    nodeOptions: {
      createConnection: () => tls.connect({ socket: sock, servername: url.hostname, ALPNProtocols: ["h2"], ca }),
    },
  };
}

module.exports = { transportOptions };
