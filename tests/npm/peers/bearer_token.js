// Preloaded (NODE_OPTIONS=--require=.../bearer_token.js) into an unchanged peer
// client: every HTTP/2 request the process makes carries
// `authorization: Bearer $PEER_BEARER_TOKEN`, the way Cursor sends its JWT.
// connect-node and grpc-js both open sessions with http2.connect, so wrapping
// it covers either library without touching their options.
"use strict";
const http2 = require("node:http2");

const token = process.env.PEER_BEARER_TOKEN;
if (!token) throw new Error("bearer_token.js: set PEER_BEARER_TOKEN");

const connect = http2.connect;
http2.connect = function (...args) {
  const session = connect.apply(this, args);
  const request = session.request;
  session.request = function (headers, ...rest) {
    return request.call(this, { ...headers, authorization: `Bearer ${token}` }, ...rest);
  };
  return session;
};
