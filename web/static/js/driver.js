// The driver's route on a phone: stops in order as big cards, one-tap
// navigation and the picked up / dropped off / no-show buttons.
// Data: GET /api/v1/driver/route, POST /api/v1/stops/<id>/status.
(function () {
  "use strict";
  const C = window.carpool;
  const el = C.el;

  const page = document.getElementById("driver-page");
  const state = {
    date: page.dataset.date,
    half: page.dataset.half,
    route: null,
    loaded: false,
    scrolled: false,
  };
  const notice = C.el("p", { id: "driver-notice", class: "notice", role: "status", hidden: true });
  document.getElementById("driver-error").after(notice);
  const nodes = {
    notice,
    when: document.getElementById("driver-when"),
    route: document.getElementById("route"),
    error: document.getElementById("driver-error"),
    connection: document.getElementById("connection"),
  };

  function whenWords() {
    const rel = C.relativeDay(state.date);
    if (rel === "today") return "this " + state.half;
    if (rel === "tomorrow") return "tomorrow " + state.half;
    return "on " + C.dateShort(state.date) + " (" + state.half + ")";
  }

  function showWhen() {
    const rel = C.relativeDay(state.date);
    nodes.when.textContent = C.dateLong(state.date) + (rel ? " (" + rel + ")" : "") + ", " + state.half;
  }

  function coords(place) {
    return Number(place.lat).toFixed(6) + "," + Number(place.lon).toFixed(6);
  }

  function navLinks(place) {
    const where = coords(place);
    return el("div", { class: "stop-card-nav" },
      el("a", {
        class: "button button-primary nav-link",
        href: "https://www.google.com/maps/dir/?api=1&destination=" + where,
        target: "_blank", rel: "noopener noreferrer",
      }, "Navigate"),
      el("a", { class: "button button-quiet geo-link", href: "geo:" + where }, "Open in map app"));
  }

  const ACTIONS = {
    pickup: [["picked_up", "Picked up", "button-ok"], ["no_show", "No-show", "button-bad"]],
    dropoff: [["dropped_off", "Dropped off", "button-ok"]],
  };

  function stopCard(stop, isNext) {
    const card = el("li", {
      class: "stop stop-card stop-" + stop.kind + (isNext ? " next" : ""),
      dataset: { stopId: stop.id, kind: stop.kind, status: stop.status },
      "aria-label": "Stop " + stop.seq,
    });
    // Outside the route's hours the server sends no rider and no home (privacy).
    const rider = stop.rider ? stop.rider.name : "Rider (name shown on the day)";
    const place = stop.place || { name: "Place not kept", lat: null, lon: null };
    const canNavigate = place.lat !== null && place.lat !== undefined;
    card.append(
      el("div", { class: "stop-card-head" },
        el("span", { class: "stop-card-time" }, C.clock(stop.arrive)),
        el("span", { class: "stop-card-kind", dataset: { kind: stop.kind } },
          C.STOP_KIND[stop.kind] || stop.kind),
        isNext ? el("span", { class: "badge stop-card-next" }, "Next") : null,
        el("span", { class: "badge stop-status", dataset: { status: stop.status } },
          C.STOP_STATUS[stop.status] || stop.status),
        stop.late_min ? el("span", { class: "badge late-mark" }, "Late " + stop.late_min + " min") : ""),
      el("p", { class: "stop-card-rider" }, rider),
      el("p", { class: "stop-card-place" }, place.name),
      canNavigate ? navLinks(place) : "");
    const actions = el("div", { class: "stop-card-actions" });
    (ACTIONS[stop.kind] || []).forEach(([status, label, look]) => {
      actions.append(el("button", {
        type: "button",
        class: "button " + look,
        dataset: { status },
        "aria-pressed": stop.status === status ? "true" : "false",
        onclick: () => setStatus(card, stop, status),
      }, label));
    });
    const message = el("p", { class: "stop-card-msg", role: "status", hidden: true });
    card.append(actions, message);
    return card;
  }

  async function setStatus(card, stop, status) {
    if (stop.status === status) return;
    const buttons = card.querySelectorAll(".stop-card-actions button");
    const message = card.querySelector(".stop-card-msg");
    buttons.forEach((b) => { b.disabled = true; });
    C.say(message, "Saving...", "info");
    try {
      const res = await C.api("/api/v1/stops/" + encodeURIComponent(stop.id) + "/status", {
        method: "POST", body: { status },
      });
      const updated = res && res.stop ? res.stop : Object.assign({}, stop, { status });
      const i = state.route.stops.findIndex((s) => s.id === stop.id);
      if (i !== -1) state.route.stops[i] = updated;
      render();
    } catch (err) {
      buttons.forEach((b) => { b.disabled = false; });
      C.say(message, "Not saved: " + err.message, "error");
      message.className = "stop-card-msg alert";
    }
  }

  function render() {
    const route = state.route;
    if (!route) {
      C.fill(nodes.route,
        el("div", { class: "card no-route" },
          el("h2", null, "No route for you " + whenWords() + " yet."),
          el("p", null, "It will show up here by itself as soon as the dispatcher publishes the plan.")));
      return;
    }
    const pickups = route.stops.filter((s) => s.kind === "pickup").length;
    const car = el("section", { class: "card car-card" },
      el("h2", null, route.vehicle.name),
      el("p", null, C.plural(route.vehicle.seats, "seat"),
        route.vehicle.wheelchair ? " · " + C.plural(route.vehicle.wheelchair, "wheelchair place") : ""),
      el("p", null, "Leave at ", el("span", { class: "big-time" }, C.clock(route.start && route.start.time))),
      el("p", null, C.plural(pickups, "rider") + " to pick up · about " + C.duration(route.drive_s) + " of driving" +
        (route.end && route.end.time ? " · done by " + C.clock(route.end.time) : "")));
    if (route.color) car.style.setProperty("--car-color", route.color);

    const next = route.stops.find((s) => s.status === "planned");
    const list = el("ol", { class: "route-stops" },
      route.stops.map((s) => stopCard(s, next && s.id === next.id)));
    const done = next ? null : el("p", { class: "notice", dataset: { kind: "done" } },
      "All stops are done. Thank you for driving!");
    C.fill(nodes.route, car, done, list);

    if (!state.scrolled && next && next !== route.stops[0]) {
      const card = list.querySelector('[data-stop-id="' + CSS.escape(String(next.id)) + '"]');
      if (card) card.scrollIntoView({ block: "start" });
    }
    state.scrolled = true;
  }

  const refresh = C.serialised(async () => {
    try {
      const data = await C.api("/api/v1/driver/route" + C.query({ date: state.date, half: state.half }));
      state.route = data.route;
      state.loaded = true;
      C.say(nodes.error, "");
      render();
    } catch (err) {
      C.say(nodes.error, "Could not load your route: " + err.message, "error");
      if (!state.loaded) C.fill(nodes.route);
    }
  });

  showWhen();
  C.autoSubmit(page.querySelector(".when-form"));
  const socket = C.connectSocket({
    statusNode: nodes.connection,
    onConnect: refresh,
    handlers: {
      plan_published: () => refresh(),
      stop_updated: () => refresh(),
      // The dispatcher moved a rider into or out of this car, or took a car off the road.
      routes_changed: async (ev) => {
        await refresh();
        C.say(nodes.notice, ev.kind === "vehicle_out_of_service"
          ? "Your route changed: a car went off the road and its riders were re-planned. Check your stops."
          : "Your route changed: the dispatcher moved a rider. Check your stops.", "info");
      },
      vehicle_updated: async (ev) => {
        await refresh();
        if (ev.in_service === false) {
          C.say(nodes.notice, "A car was taken off the road. If it is yours, the dispatcher has given your riders to other cars.", "info");
        }
      },
    },
  });
  refresh();

  window.driverPage = { socket, refresh, get route() { return state.route; }, notice };
})();
