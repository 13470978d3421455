// TLS or cleartext for the grpc-js peers, from the environment:
// PEER_TLS_CERT/PEER_TLS_KEY make a server speak TLS; PEER_CA makes a client
// use TLS trusting that CA (grpc-js itself goes through grpc_proxy=http://host:port).
"use strict";
const fs = require("node:fs");
const grpc = require("@grpc/grpc-js");

// Binds the server on 127.0.0.1:port and prints "ready" once it listens.
function listen(server, port) {
  const credentials = process.env.PEER_TLS_CERT
    ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: fs.readFileSync(process.env.PEER_TLS_CERT),
                                                private_key: fs.readFileSync(process.env.PEER_TLS_KEY) }])
    : grpc.ServerCredentials.createInsecure();
  server.bindAsync(`127.0.0.1:${port}`, credentials, (err) => {
    if (err) { console.error(err); process.exit(2); }
    console.log("ready");
  });
}

function clientCredentials() {
  return process.env.PEER_CA
    ? grpc.credentials.createSsl(fs.readFileSync(process.env.PEER_CA))
    : grpc.credentials.createInsecure();
}

module.exports = { listen, clientCredentials };
