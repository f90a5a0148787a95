/* Inminban stamp verifier: the offline checks of inminban/stamps/verify.py, in plain JavaScript.
   Base45, a small CBOR decoder, COSE_Sign1 with WebCrypto Ed25519, zlib via DecompressionStream.
   Same checks, same order, same reason codes as the Python verifier. No third-party code. */
"use strict";
(function () {
  var DATA = JSON.parse(document.getElementById("inminban-trust-data").textContent);
  var MESSAGES = DATA.messages;
  var PREFIX = DATA.prefixes[0];
  var PREFIX_COMPRESSED = DATA.prefixes[1];
  var VOUCHER_PREFIX = DATA.prefixes[2];
  var VOUCHER_PREFIX_COMPRESSED = DATA.prefixes[3];
  var SKEW_MS = DATA.clock_skew_seconds * 1000;
  var MAX_STATUS_AGE_MS = DATA.max_status_age_seconds == null ? null : DATA.max_status_age_seconds * 1000;
  var MAX_TEXT_LENGTH = 4000;
  var KIND_NAMES = { 1: "labour", 2: "levy", 3: "directive", 4: "voucher", 5: "clearance" };
  var TAG_SIGN1 = 18;

  function Failure(reason, detail) {
    this.reason = reason;
    this.detail = detail || "";
  }

  // Bytes ------------------------------------------------------------------------------------------------------

  function toHex(bytes) {
    var out = "";
    for (var i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    return out;
  }
  function fromHex(text) {
    var out = new Uint8Array(text.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
    return out;
  }
  function fromBase64(text) {
    var raw = atob(text), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  function sameBytes(a, b) {
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  function concat(parts) {
    var length = 0, i, offset = 0;
    for (i = 0; i < parts.length; i++) length += parts[i].length;
    var out = new Uint8Array(length);
    for (i = 0; i < parts.length; i++) { out.set(parts[i], offset); offset += parts[i].length; }
    return out;
  }

  // Base45 (RFC 9285) ------------------------------------------------------------------------------------------

  var B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  function b45decode(text) {
    if (text.length % 3 === 1) throw new Error("not Base45: wrong length");
    var out = [], a, b, c, x;
    for (var i = 0; i < text.length; i += 3) {
      a = B45.indexOf(text.charAt(i));
      b = B45.indexOf(text.charAt(i + 1));
      if (a < 0 || b < 0) throw new Error("not Base45: character outside the alphabet");
      if (i + 2 < text.length) {
        c = B45.indexOf(text.charAt(i + 2));
        if (c < 0) throw new Error("not Base45: character outside the alphabet");
        x = a + b * 45 + c * 2025;
        if (x > 0xffff) throw new Error("not Base45: group out of range");
        out.push(x >> 8, x & 0xff);
      } else {
        x = a + b * 45;
        if (x > 0xff) throw new Error("not Base45: group out of range");
        out.push(x);
      }
    }
    return new Uint8Array(out);
  }

  // CBOR (RFC 8949), just what stamps use: definite lengths, integers, byte and text strings, arrays, maps, tags ----

  function Tagged(tag, value) {
    this.tag = tag;
    this.value = value;
  }

  function cborDecode(bytes) {
    var reader = { b: bytes, p: 0 };
    var value = readItem(reader, 0);
    if (reader.p !== bytes.length) throw new Error("trailing bytes after the CBOR item");
    return value;
  }
  function need(r, n) {
    if (n > r.b.length - r.p) throw new Error("truncated CBOR");
  }
  function readArgument(r, info) {
    var v, hi;
    if (info < 24) return info;
    if (info === 24) { need(r, 1); return r.b[r.p++]; }
    if (info === 25) { need(r, 2); v = r.b[r.p] * 256 + r.b[r.p + 1]; r.p += 2; return v; }
    if (info === 26) {
      need(r, 4);
      v = r.b[r.p] * 16777216 + r.b[r.p + 1] * 65536 + r.b[r.p + 2] * 256 + r.b[r.p + 3];
      r.p += 4;
      return v;
    }
    if (info === 27) {
      need(r, 8);
      hi = r.b[r.p] * 16777216 + r.b[r.p + 1] * 65536 + r.b[r.p + 2] * 256 + r.b[r.p + 3];
      v = r.b[r.p + 4] * 16777216 + r.b[r.p + 5] * 65536 + r.b[r.p + 6] * 256 + r.b[r.p + 7];
      r.p += 8;
      if (hi > 0x1fffff) throw new Error("integer too large for this verifier");
      return hi * 4294967296 + v;
    }
    throw new Error("indefinite or reserved length");
  }
  var utf8 = new TextDecoder("utf-8", { fatal: true });
  function readItem(r, depth) {
    if (depth > 16) throw new Error("CBOR nested too deeply");
    need(r, 1);
    var initial = r.b[r.p++], major = initial >> 5, info = initial & 31, n, i, out, key, view;
    if (major === 7) {
      if (info === 20) return false;
      if (info === 21) return true;
      if (info === 22) return null;
      if (info === 23) return undefined;
      view = new DataView(r.b.buffer, r.b.byteOffset);
      if (info === 26) { need(r, 4); out = view.getFloat32(r.p); r.p += 4; return out; }
      if (info === 27) { need(r, 8); out = view.getFloat64(r.p); r.p += 8; return out; }
      throw new Error("unsupported CBOR simple value");
    }
    n = readArgument(r, info);
    switch (major) {
      case 0: return n;
      case 1: return -1 - n;
      case 2: need(r, n); out = r.b.slice(r.p, r.p + n); r.p += n; return out;
      case 3:
        need(r, n);
        try { out = utf8.decode(r.b.subarray(r.p, r.p + n)); } catch (e) { throw new Error("text is not UTF-8"); }
        r.p += n;
        return out;
      case 4:
        need(r, n);  // every item takes at least one byte
        out = [];
        for (i = 0; i < n; i++) out.push(readItem(r, depth + 1));
        return out;
      case 5:
        need(r, n * 2);
        out = new Map();
        for (i = 0; i < n; i++) {
          key = readItem(r, depth + 1);
          if (typeof key !== "number" && typeof key !== "string") throw new Error("map keys must be numbers or text");
          if (out.has(key)) throw new Error("duplicate map key " + key);
          out.set(key, readItem(r, depth + 1));
        }
        return out;
      default: return new Tagged(n, readItem(r, depth + 1));
    }
  }
  function head(major, n) {
    if (n < 24) return new Uint8Array([(major << 5) | n]);
    if (n < 256) return new Uint8Array([(major << 5) | 24, n]);
    if (n < 65536) return new Uint8Array([(major << 5) | 25, n >> 8, n & 255]);
    return new Uint8Array([(major << 5) | 26, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
  }
  function isInt(v) { return typeof v === "number" && Number.isInteger(v); }
  function isBytes(v) { return v instanceof Uint8Array; }

  // COSE_Sign1 (RFC 9052) with EdDSA --------------------------------------------------------------------------

  function decodeSign1(bytes) {
    var message = cborDecode(bytes);
    if (message instanceof Tagged) {
      if (message.tag !== TAG_SIGN1) throw new Error("CBOR tag " + message.tag + " is not a COSE_Sign1 (18)");
      message = message.value;
    }
    if (!Array.isArray(message) || message.length !== 4) throw new Error("a COSE_Sign1 is an array of four items");
    var prot = message[0], unprotected = message[1], payload = message[2], signature = message[3];
    if (!isBytes(prot) || !isBytes(payload) || !isBytes(signature))
      throw new Error("protected header, payload and signature must be byte strings");
    if (!(unprotected instanceof Map)) throw new Error("the unprotected header must be a map");
    if (signature.length !== 64) throw new Error("an Ed25519 signature has 64 bytes, not " + signature.length);
    var header = cborDecode(prot);
    if (!(header instanceof Map)) throw new Error("the protected header must be a map");
    if (header.get(1) !== -8) throw new Error("algorithm " + header.get(1) + " is not EdDSA (-8)");
    var kid = header.get(4);
    if (!isBytes(kid) || kid.length < 1 || kid.length > 32) throw new Error("the protected header has no key id");
    return { protected: prot, kid: kid, payload: payload, signature: signature };
  }
  function sigStructure(prot, payload) {
    var label = new TextEncoder().encode("Signature1");
    return concat([head(4, 4), head(3, label.length), label, head(2, prot.length), prot, head(2, 0),
                   head(2, payload.length), payload]);
  }
  var keyCache = {};
  function ed25519Key(raw) {
    var id = toHex(raw);
    if (!keyCache[id]) keyCache[id] = crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
    return keyCache[id];
  }
  async function verifySign1(message, rawKey) {
    var key = await ed25519Key(rawKey);
    return crypto.subtle.verify({ name: "Ed25519" }, key, message.signature, sigStructure(message.protected, message.payload));
  }
  async function kidOf(rawKey) {
    var digest = new Uint8Array(await crypto.subtle.digest("SHA-256", rawKey));
    return digest.slice(0, 8);
  }
  async function inflate(bytes, limit) {
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    var out = new Uint8Array(await new Response(stream).arrayBuffer());
    if (out.length > limit) throw new Error("the compressed data is too large");
    return out;
  }

  // Trust list and status lists, signed by the pinned root key -----------------------------------------------

  var ROOT_KEY = fromHex(DATA.root_key);
  async function openSigned(bytes, what, type) {
    var message;
    try { message = decodeSign1(bytes); } catch (e) { throw new Error("the " + what + " is not a signed document: " + e.message); }
    if (!sameBytes(message.kid, await kidOf(ROOT_KEY)))
      throw new Error("the " + what + " is signed by root key " + toHex(message.kid) + ", not the pinned root key");
    if (!(await verifySign1(message, ROOT_KEY))) throw new Error("the " + what + "'s root signature does not match: it was altered");
    var payload = cborDecode(message.payload);
    if (!(payload instanceof Map) || payload.get("type") !== type) throw new Error("the document is not a " + what);
    return payload;
  }
  function areaPath(value, what) {
    if (typeof value !== "string" || value.charAt(0) !== "/" || value.charAt(value.length - 1) !== "/")
      throw new Error(what + " is not an area path");
    return value;
  }
  var trustPromise = (async function () {
    var payload = await openSigned(fromBase64(DATA.trust_list), "trust list", "inminban-trust-list");
    var keys = {};
    payload.get("keys").forEach(function (entry) {
      var kid = toHex(entry.get("kid"));
      keys[kid] = {
        kid: kid, publicKey: entry.get("key"), office: entry.get("office"), officeName: entry.get("office_name"),
        area: areaPath(entry.get("area"), "the area of key " + kid),
        validFrom: entry.get("valid_from") * 1000, validUntil: entry.get("valid_until") * 1000, kinds: entry.get("kinds"),
      };
    });
    // Where each unit is, from the signed list (never from the stamp): unit code -> path.
    var units = new Map();
    if (!(payload.get("units") instanceof Map)) throw new Error("the trust list has no unit table");
    payload.get("units").forEach(function (codes, parent) {
      areaPath(parent, "a unit's parent");
      codes.forEach(function (code) {
        if (typeof code !== "string" || !code || code.indexOf("/") >= 0) throw new Error("a unit code is not valid");
        units.set(code, parent + code + "/");
      });
    });
    return { issuedAt: payload.get("issued_at") * 1000, keys: keys, units: units };
  })();
  trustPromise.catch(function () {});  // reported per stamp as trust_list_invalid
  var statusCache = {};
  function statusList(kid) {
    if (!statusCache[kid]) statusCache[kid] = (async function () {
      var document = DATA.status_lists[kid];
      if (!document) return "No status list for key " + kid + ".";
      try {
        var payload = await openSigned(fromBase64(document), "status list", "inminban-status-list");
        if (toHex(payload.get("kid")) !== kid) throw new Error("the status list is for another key");
        var size = payload.get("size");
        var bits = await inflate(payload.get("bits"), (size + 7) / 8 + 1);
        if (bits.length !== Math.floor((size + 7) / 8)) throw new Error("the status list bits do not match its size");
        return { version: payload.get("version"), issuedAt: payload.get("issued_at") * 1000, size: size, bits: bits };
      } catch (e) {
        return "The status list for key " + kid + " is unusable: " + e.message + ".";
      }
    })();
    return statusCache[kid];
  }

  // Claims ------------------------------------------------------------------------------------------------------

  var REQUIRED = [[1, "int", "version"], [2, "bytes", "serial"], [3, "int", "issued at"], [5, "str", "household"],
                  [7, "int", "duty kind"], [8, "str", "duty ref"], [9, "str", "duty title"], [12, "int", "period start"],
                  [13, "int", "period end"], [14, "str", "unit"], [16, "int", "status index"]];
  var OPTIONAL = [[4, "int", "expires at"], [6, "int", "person"], [11, "str", "measure"]];
  function hasType(v, kind) {
    return kind === "int" ? isInt(v) : kind === "bytes" ? isBytes(v) : typeof v === "string";
  }
  function decimalText(v) {
    if (isInt(v)) return String(v);
    if (v instanceof Tagged && v.tag === 4 && Array.isArray(v.value) && v.value.length === 2 &&
        isInt(v.value[0]) && isInt(v.value[1])) {
      var exponent = v.value[0], mantissa = v.value[1], negative = mantissa < 0, digits = String(Math.abs(mantissa));
      if (exponent >= 0) return (negative ? "-" : "") + digits + "0".repeat(exponent);
      while (digits.length <= -exponent) digits = "0" + digits;
      return (negative ? "-" : "") + digits.slice(0, exponent) + "." + digits.slice(exponent);
    }
    return null;
  }
  function uuidText(bytes) {
    var h = toHex(bytes);
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  // Dates as the site writes them (Korean 2026년 12월 1일, English 1 Dec 2026), times in the office's time zone
  // (embedded with the trust list), so the verifier and the stamp page agree. ISO and UTC where Intl cannot.
  var LOCALE = (DATA.language || "en").indexOf("ko") === 0 ? "ko-KR" : "en-GB";
  function formatted(ms, options, fallback) {
    try { return new Intl.DateTimeFormat(LOCALE, options).format(new Date(ms)); } catch (e) { return fallback; }
  }
  function day(epochDays) {
    var ms = epochDays * 86400000;
    return formatted(ms, { year: "numeric", month: LOCALE === "ko-KR" ? "long" : "short", day: "numeric", timeZone: "UTC" },
                     new Date(ms).toISOString().slice(0, 10));
  }
  function when(ms) {
    return formatted(ms, { year: "numeric", month: LOCALE === "ko-KR" ? "long" : "short", day: "numeric",
                           hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: DATA.time_zone || "UTC" },
                     new Date(ms).toISOString().slice(0, 16).replace("T", " ") + " UTC");
  }
  function decodeClaims(payload) {
    var values = cborDecode(payload), i, spec, v;
    if (!(values instanceof Map)) throw new Error("the claims are not a CBOR map");
    for (i = 0; i < REQUIRED.length; i++) {
      spec = REQUIRED[i];
      if (!hasType(values.get(spec[0]), spec[1]))
        throw new Error("the claim '" + spec[2] + "' " + (values.has(spec[0]) ? "has the wrong type" : "is missing"));
    }
    for (i = 0; i < OPTIONAL.length; i++) {
      spec = OPTIONAL[i];
      v = values.get(spec[0]);
      if (v !== undefined && v !== null && !hasType(v, spec[1])) throw new Error("the claim '" + spec[2] + "' has the wrong type");
    }
    if (values.get(1) !== 1) throw new Error("claims version " + values.get(1) + " is not known to this verifier");
    if (values.get(2).length !== 16) throw new Error("the claim 'serial' is not 16 bytes");
    var kind = KIND_NAMES[values.get(7)];
    if (!kind) throw new Error("the claim 'duty kind' is not a known kind");
    var quantity = decimalText(values.get(10));
    if (quantity === null) throw new Error("the claim 'quantity' " + (values.has(10) ? "is not a number" : "is missing"));
    if (values.get(16) < 0 || (isInt(values.get(6)) && values.get(6) < 0)) throw new Error("an index is negative");
    return {
      serial: uuidText(values.get(2)),
      issuedAt: values.get(3) * 1000,
      expiresAt: isInt(values.get(4)) ? values.get(4) * 1000 : null,
      household: values.get(5),
      person: isInt(values.get(6)) ? values.get(6) : null,
      dutyKind: kind,
      dutyRef: values.get(8),
      dutyTitle: values.get(9),
      quantity: quantity,
      measure: values.get(11) || "",
      periodStart: day(values.get(12)),
      periodEnd: day(values.get(13)),
      unit: values.get(14),
      statusIndex: values.get(16),
    };
  }

  // Verification: the order and reasons of verify.py -------------------------------------------------------------

  async function verifyStamp(text, now) {
    var data, message, trust, key, claims, status;
    text = (text || "").trim();
    if (text.length > MAX_TEXT_LENGTH) throw new Failure("malformed", "(longer than " + MAX_TEXT_LENGTH + " characters)");
    var colon = text.indexOf(":");
    var prefix = colon < 0 ? text.slice(0, 8) : text.slice(0, colon);
    var isVoucher = prefix === VOUCHER_PREFIX || prefix === VOUCHER_PREFIX_COMPRESSED;
    if (colon < 0 || (prefix !== PREFIX && prefix !== PREFIX_COMPRESSED && !isVoucher))
      throw new Failure("bad_prefix", "(starts with '" + prefix.slice(0, 8) + "')");
    try {
      data = b45decode(text.slice(colon + 1));
      if (prefix === PREFIX_COMPRESSED || prefix === VOUCHER_PREFIX_COMPRESSED) data = await inflate(data, 16 * MAX_TEXT_LENGTH);
      message = decodeSign1(data);
    } catch (e) {
      throw new Failure("malformed", "(" + (e && e.message ? e.message : "damaged data") + ")");
    }
    try { trust = await trustPromise; } catch (e) { throw new Failure("trust_list_invalid", "(" + e.message + ")"); }
    var kid = toHex(message.kid);
    key = trust.keys[kid];
    if (!key) throw new Failure("unknown_key", "Key id " + kid + "; the trust list is of " + when(trust.issuedAt) + ".");
    var found = { key: key };
    var fail = function (reason, detail) { var f = new Failure(reason, detail); f.found = found; return f; };
    if (!(await verifySign1(message, key.publicKey))) throw fail("bad_signature", "");
    try { claims = decodeClaims(message.payload); } catch (e) { throw fail("malformed", "(" + e.message + ")"); }
    found.claims = claims;
    if (isVoucher !== (claims.dutyKind === "voucher"))
      throw fail("malformed", isVoucher ? "(a voucher prefix on a stamp)" : "(a stamp prefix on a voucher)");
    if (key.kinds.indexOf(claims.dutyKind) < 0)
      throw fail("kind_not_allowed", "Key " + kid + " signs " + key.kinds.join(", ") + ", not " + claims.dutyKind + ".");
    var unitPath = trust.units.get(claims.unit);
    if (!key.area || !unitPath || unitPath.indexOf(key.area) !== 0)
      throw fail("key_not_valid_for_unit", "Key " + kid + " of " + key.office + " signs for " +
                 (key.area ? "units under " + key.area : "no units") + "; unit " + claims.unit + " is " +
                 (unitPath ? "at " + unitPath : "not on the trust list") + ".");
    if (now < key.validFrom) throw fail("key_not_yet_valid", "Key " + kid + " of " + key.office + " is valid from " + when(key.validFrom) + ".");
    if (now >= key.validUntil) throw fail("key_expired", "Key " + kid + " of " + key.office + " was valid until " + when(key.validUntil) + ".");
    if (claims.issuedAt > now + SKEW_MS) throw fail("not_yet_valid", "It says it was issued " + when(claims.issuedAt) + ".");
    status = await statusList(kid);
    if (typeof status === "string") throw fail("status_unknown", status);
    if (!(claims.statusIndex < status.size))
      throw fail("status_unknown", "The status list (version " + status.version + ", " + when(status.issuedAt) + ") is older than the stamp.");
    if (status.bits[claims.statusIndex >> 3] & (0x80 >> (claims.statusIndex % 8)))
      throw fail("revoked", "Status list version " + status.version + " of " + when(status.issuedAt) + ".");
    if (claims.expiresAt !== null && now >= claims.expiresAt)
      throw fail("expired", "It was valid until " + when(claims.expiresAt) + ".");
    if (MAX_STATUS_AGE_MS !== null && now - status.issuedAt > MAX_STATUS_AGE_MS)
      throw fail("status_too_old", "The status list is of " + when(status.issuedAt) + ", older than the limit of " +
                 MAX_STATUS_AGE_MS / 86400000 + " days.");
    return { ok: true, reason: "valid", detail: "", found: found };
  }

  async function check(text) {
    try {
      return await verifyStamp(text, Date.now());
    } catch (e) {
      if (e instanceof Failure) return { ok: false, reason: e.reason, detail: e.detail, found: e.found || {} };
      return { ok: false, reason: "malformed", detail: "(" + (e && e.message ? e.message : String(e)) + ")", found: {} };
    }
  }

  // The page ------------------------------------------------------------------------------------------------------

  var LABELS = DATA.labels, KINDS = DATA.kinds || {}, MEASURES = DATA.measures || {};
  function show(result) {
    var box = document.getElementById("result");
    box.hidden = false;
    box.className = result.ok ? "ok" : "bad";
    box.setAttribute("data-reason", result.reason);
    document.getElementById("result-title").textContent = result.ok ? LABELS.valid : LABELS.invalid;
    document.getElementById("result-message").textContent = MESSAGES[result.reason];
    document.getElementById("result-reason").textContent = result.reason;
    document.getElementById("result-detail").textContent = result.detail;
    var list = document.getElementById("result-claims"), technical = document.getElementById("result-technical");
    list.textContent = "";
    technical.textContent = "";
    var c = result.found.claims, k = result.found.key;
    if (!c) return;
    var rows = [
      [LABELS.household, c.household],
      [LABELS.person, c.person === null ? null : String(c.person)],
      [LABELS.duty, (KINDS[c.dutyKind] || c.dutyKind) + ": " + c.dutyTitle],
      [LABELS.quantity, (c.quantity + " " + (MEASURES[c.measure] || c.measure)).trim()],
      [LABELS.period, c.periodStart === c.periodEnd ? c.periodStart : c.periodStart + " – " + c.periodEnd],
      [LABELS.office, k ? k.officeName : null],
      [LABELS.issued, when(c.issuedAt)],
      [LABELS.expires, c.expiresAt === null ? LABELS.noEnd : when(c.expiresAt)],
    ];
    var details = [
      [LABELS.dutyRef, c.dutyRef],
      [LABELS.unit, c.unit],
      [LABELS.office, k ? k.office : null],
      [LABELS.serial, c.serial],
      [LABELS.key, k ? k.kid : null],
    ];
    function fill(target, pairs) {
      pairs.forEach(function (row) {
        if (row[1] === null) return;
        var dt = document.createElement("dt"), dd = document.createElement("dd");
        dt.textContent = row[0];
        dd.textContent = row[1];
        target.appendChild(dt);
        target.appendChild(dd);
      });
    }
    fill(list, rows);
    fill(technical, details);
  }

  var input = document.getElementById("stamp-input");
  async function run() {
    show(await check(input.value));
  }
  document.getElementById("verify-form").addEventListener("submit", function (event) {
    event.preventDefault();
    run();
  });
  document.getElementById("text-file").addEventListener("change", function (event) {
    var file = event.target.files[0];
    if (!file) return;
    file.text().then(function (text) { input.value = text.trim(); run(); });
  });
  // A photo of the QR code: read in the browser where it can (BarcodeDetector), else by the server when this page
  // came from one (the standalone copy has none); where neither can, the button is not shown.
  var scanLabel = document.getElementById("scan-label"), DECODE_URL = scanLabel.getAttribute("data-decode-url");
  async function readInBrowser(file) {
    var codes = await new window.BarcodeDetector({ formats: ["qr_code"] }).detect(await createImageBitmap(file));
    return codes.length ? codes[0].rawValue : null;
  }
  async function readOnServer(file) {
    var body = new FormData(), token = document.querySelector("input[name=csrfmiddlewaretoken]");
    body.append("image", file);
    var answer = await fetch(DECODE_URL, { method: "POST", body: body, credentials: "same-origin",
                                           headers: token ? { "X-CSRFToken": token.value } : {} });
    var data = await answer.json();
    if (!answer.ok) throw new Error(data.error || answer.statusText);
    return data.text;
  }
  if ("BarcodeDetector" in window || DECODE_URL) {
    scanLabel.hidden = false;
    document.getElementById("qr-image").addEventListener("change", async function (event) {
      var file = event.target.files[0];
      if (!file) return;
      var text = null, problem = LABELS.noCode;
      try {
        if ("BarcodeDetector" in window) text = await readInBrowser(file);
      } catch (e) { text = null; }
      if (text === null && DECODE_URL) {
        try { text = await readOnServer(file); } catch (e) { problem = e.message; }
      }
      event.target.value = "";
      if (text === null) {
        showProblem(problem);
        return;
      }
      input.value = text;
      run();
    });
  }
  function showProblem(text) {
    var box = document.getElementById("result");
    box.hidden = false;
    box.className = "bad";
    box.setAttribute("data-reason", "no_qr_code");
    document.getElementById("result-title").textContent = LABELS.noCodeTitle;
    document.getElementById("result-message").textContent = text;
    document.getElementById("result-reason").textContent = "no_qr_code";
    document.getElementById("result-detail").textContent = "";
    document.getElementById("result-claims").textContent = "";
    document.getElementById("result-technical").textContent = "";
  }
  if (location.hash.length > 1) {
    input.value = decodeURIComponent(location.hash.slice(1));
    run();
  }
  window.inminbanVerify = check;  // for scripted checks (and the browser tests)
})();
