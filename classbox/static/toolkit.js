/* classbox's browser toolkit, shared by the scripts of every page (an ES module):
 *   _(french, params)     the page's text in its language, from the dictionary the server renders
 *                         into <script id="classbox-i18n" type="application/json"> (French when
 *                         absent); params fill "%(name)s" placeholders
 *   el(tag, attrs, text)  a new element with these attributes and text
 *   say(node, text)       show a line in a status element (an aria-live region)
 *   classroomSocket()     the /classroom Socket.IO connection (vendor/socket.io.min.js, loaded
 *                         before the page's modules, provides io)
 *   uuid()                a random uuid made on the device */
var dictionary = null;

export function _(text, params) {
  if (dictionary === null) {
    var node = document.getElementById("classbox-i18n");
    try { dictionary = node ? JSON.parse(node.textContent) : {}; } catch (e) { dictionary = {}; }
  }
  var out = Object.prototype.hasOwnProperty.call(dictionary, text) ? dictionary[text] : text;
  return params ? out.replace(/%\((\w+)\)s/g, function (all, key) {
    return Object.prototype.hasOwnProperty.call(params, key) ? String(params[key]) : all;
  }) : out;
}

export function el(tag, attrs, text) {
  var node = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
  if (text !== undefined) { node.textContent = text; }
  return node;
}

export function say(node, text) {
  if (node) { node.textContent = text; }
}

export function classroomSocket() {
  // the page's language, never the one the WebSocket handshake's Accept-Language would pick
  return window.io("/classroom", { transports: ["websocket", "polling"], auth: { lang: document.documentElement.lang } });
}

export function uuid() {
  if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
  var b = new Uint8Array(16);
  window.crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
  return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
}
