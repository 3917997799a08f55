// Shared helpers for every page: the JSON API, formatting of times and
// dates, small DOM builders and the Socket.IO connection.
//
// Rule for all page scripts: text that comes from users or the database
// (names, places, reasons) is only ever inserted as text, through `el()` or
// `textContent`, never as HTML.
(function () {
  "use strict";

  // ---- the JSON API ------------------------------------------------------

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  /** An error answer from the API: `message` is in plain words, `fields`
   *  maps a field path to why it was refused (422 only). */
  class ApiError extends Error {
    constructor(status, message, fields) {
      super(message);
      this.name = "ApiError";
      this.status = status;
      this.fields = fields || {};
    }
  }

  const FALLBACK_MESSAGES = {
    0: "Cannot reach the server. Check the connection and try again.",
    401: "You are logged out. Please log in again.",
    403: "You are not allowed to do that.",
    404: "Not found. It may have been removed.",
    409: "Someone else changed this at the same time. Reload and try again.",
    422: "Some of the details are not right. See the notes below.",
  };

  /** fetch() for the JSON API. Resolves with the parsed body (or null for
   *  an empty answer); rejects with an ApiError. */
  async function api(path, options) {
    const opts = options || {};
    const method = (opts.method || "GET").toUpperCase();
    const headers = { Accept: "application/json" };
    const init = { method, headers, credentials: "same-origin" };
    if (method !== "GET" && method !== "HEAD") headers["X-CSRFToken"] = csrfToken();
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(opts.body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (err) {
      throw new ApiError(0, FALLBACK_MESSAGES[0]);
    }
    let data = null;
    const type = response.headers.get("Content-Type") || "";
    if (type.indexOf("json") !== -1) {
      try {
        data = await response.json();
      } catch (err) {
        data = null;
      }
    }
    if (!response.ok) {
      const message =
        (data && typeof data.error === "string" && data.error) ||
        FALLBACK_MESSAGES[response.status] ||
        "Something went wrong on the server (" + response.status + "). Try again in a moment.";
      throw new ApiError(response.status, message, data && data.fields);
    }
    return data;
  }

  /** Builds a query string from an object, leaving out empty values. */
  function query(params) {
    const q = new URLSearchParams();
    Object.keys(params).forEach((key) => {
      const value = params[key];
      if (value !== undefined && value !== null && value !== "") q.set(key, value);
    });
    const s = q.toString();
    return s ? "?" + s : "";
  }

  // ---- formatting --------------------------------------------------------

  function pad2(n) {
    return (n < 10 ? "0" : "") + n;
  }

  /** Seconds as "1 h 05 min", "45 min" or "under 1 min". */
  function duration(seconds) {
    if (seconds === null || seconds === undefined || isNaN(seconds)) return "–";
    const minutes = Math.round(Number(seconds) / 60);
    if (minutes < 1) return "under 1 min";
    const h = Math.floor(minutes / 60);
    const m = minutes % 60;
    return h ? h + " h " + pad2(m) + " min" : m + " min";
  }

  /** Seconds left as "6 s", "2 min 05 s". */
  function secondsLeft(seconds) {
    const s = Math.max(0, Math.ceil(Number(seconds) || 0));
    if (s < 60) return s + " s";
    return Math.floor(s / 60) + " min " + pad2(s % 60) + " s";
  }

  /** Metres as "18 km" / "1.2 km" / "300 m". */
  function distance(metres) {
    if (metres === null || metres === undefined || isNaN(metres)) return "–";
    const m = Number(metres);
    if (m < 1000) return Math.round(m) + " m";
    return (m < 10000 ? (m / 1000).toFixed(1) : Math.round(m / 1000)) + " km";
  }

  const timeFormat = new Intl.DateTimeFormat(undefined, {
    hour: "numeric", minute: "2-digit", timeZone: "UTC",
  });

  /** A service-day time "06:41:10" or "06:41" as "6:41 AM" (or "06:41",
   *  following the browser's language). Times are local to the service
   *  day, so they are formatted as given, with no time-zone shift. */
  function clock(hhmmss) {
    if (!hhmmss) return "";
    const parts = String(hhmmss).split(":").map(Number);
    if (parts.length < 2 || parts.some(isNaN)) return String(hhmmss);
    return timeFormat.format(new Date(Date.UTC(2000, 0, 1, parts[0], parts[1])));
  }

  /** "2026-11-27" as a local Date at noon (safe from time-zone shifts). */
  function parseDate(iso) {
    const p = String(iso).split("-").map(Number);
    return new Date(p[0], p[1] - 1, p[2], 12);
  }

  function isoDate(d) {
    return d.getFullYear() + "-" + pad2(d.getMonth() + 1) + "-" + pad2(d.getDate());
  }

  function addDays(iso, days) {
    const d = parseDate(iso);
    d.setDate(d.getDate() + days);
    return isoDate(d);
  }

  const longDate = new Intl.DateTimeFormat(undefined, {
    weekday: "long", day: "numeric", month: "long", year: "numeric",
  });
  const shortDate = new Intl.DateTimeFormat(undefined, {
    weekday: "short", day: "numeric", month: "short",
  });

  /** "Friday, November 27, 2026" in the browser's language. */
  function dateLong(iso) {
    return iso ? longDate.format(parseDate(iso)) : "";
  }

  /** "Fri, Nov 27". */
  function dateShort(iso) {
    return iso ? shortDate.format(parseDate(iso)) : "";
  }

  /** "today", "tomorrow" or null. */
  function relativeDay(iso) {
    const today = isoDate(new Date());
    if (iso === today) return "today";
    if (iso === addDays(today, 1)) return "tomorrow";
    return null;
  }

  const HALF_WORDS = { morning: "morning", evening: "evening" };
  const STOP_KIND = { pickup: "Pick up", dropoff: "Drop off" };
  const STOP_STATUS = {
    planned: "Planned",
    picked_up: "Picked up",
    dropped_off: "Dropped off",
    no_show: "No-show",
  };

  function plural(n, one, many) {
    return n + " " + (n === 1 ? one : many || one + "s");
  }

  // ---- DOM ---------------------------------------------------------------

  /** el("li", {class: "stop", dataset: {stopId: 3}}, "text", childNode, ...)
   *  Strings become text nodes, so data can never become markup. */
  function el(tag, attrs) {
    const node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach((key) => {
        const value = attrs[key];
        if (value === null || value === undefined || value === false) return;
        if (key === "class") node.className = value;
        else if (key === "dataset") Object.assign(node.dataset, value);
        else if (key === "text") node.textContent = value;
        else if (key.slice(0, 2) === "on" && typeof value === "function") {
          node.addEventListener(key.slice(2), value);
        } else if (value === true) node.setAttribute(key, "");
        else node.setAttribute(key, String(value));
      });
    }
    for (let i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) child.forEach((c) => append(node, c));
    else if (child instanceof Node) node.appendChild(child);
    else node.appendChild(document.createTextNode(String(child)));
  }

  /** Appends children like el() does (null and false are left out, which
   *  the DOM's own append() would print as "null"). */
  function add(node) {
    for (let i = 1; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  /** Replaces the children of `node`. */
  function fill(node) {
    node.replaceChildren();
    for (let i = 1; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  /** Shows a message in a status element (role=status / alert). */
  function say(node, message, kind) {
    if (!node) return;
    node.textContent = message || "";
    node.hidden = !message;
    node.dataset.kind = kind || "info";
  }

  /** Wraps an async loader so that calls never overlap: a call made while
   *  one is running runs once more when it ends. */
  function serialised(load) {
    let running = null;
    let again = false;
    function run() {
      if (running) {
        again = true;
        return running;
      }
      running = (async () => {
        try {
          do {
            again = false;
            await load();
          } while (again);
        } finally {
          running = null;
        }
      })();
      return running;
    }
    return run;
  }

  // ---- Socket.IO ---------------------------------------------------------

  /** Connects to the default namespace (the session cookie authenticates).
   *  `handlers` maps event names to functions; `onConnect` runs after every
   *  connect, including reconnects, so the page can re-fetch what it missed.
   *  `statusNode` shows "Live" / "Connection lost, reconnecting...". */
  function connectSocket(options) {
    const statusNode = options.statusNode;
    function show(state, text) {
      if (!statusNode) return;
      statusNode.dataset.state = state;
      statusNode.textContent = text;
    }
    if (typeof window.io !== "function") {
      show("off", "Live updates unavailable");
      return null;
    }
    show("connecting", "Connecting...");
    const socket = window.io();
    socket.on("connect", () => {
      show("live", "Live");
      if (options.onConnect) options.onConnect();
    });
    socket.on("disconnect", (reason) => {
      if (reason === "io client disconnect") {
        show("off", "Live updates off");
        return;
      }
      show("lost", "Connection lost, reconnecting...");
      // The server closed the link on purpose (for example at logout):
      // Socket.IO does not retry by itself then, so try once more.
      if (reason === "io server disconnect") setTimeout(() => socket.connect(), 2000);
    });
    socket.on("connect_error", () => {
      if (socket.active) show("lost", "Connection lost, reconnecting...");
      else show("off", "Live updates refused. Reload the page or log in again.");
    });
    Object.keys(options.handlers || {}).forEach((name) => {
      socket.on(name, (payload) => options.handlers[name](payload || {}));
    });
    return socket;
  }

  /** Makes a date input and a morning/evening switch reload the page. */
  function autoSubmit(form) {
    if (!form) return;
    form.addEventListener("change", () => form.submit());
    const button = form.querySelector(".js-hide");
    if (button) button.hidden = true;
  }

  window.carpool = {
    api, ApiError, query, csrfToken,
    duration, secondsLeft, distance, clock, dateLong, dateShort, relativeDay,
    parseDate, isoDate, addDays, plural,
    HALF_WORDS, STOP_KIND, STOP_STATUS,
    el, add, fill, say, serialised, connectSocket, autoSubmit,
  };
})();
