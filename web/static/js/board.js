// The dispatcher's board: every car and rider of one half-day on a map and
// in lists, kept live over Socket.IO. Data: GET /api/v1/board (docs/api.md).
(function () {
  "use strict";
  const C = window.carpool;
  const el = C.el;

  const page = document.getElementById("board-page");
  const state = {
    date: page.dataset.date,
    half: page.dataset.half,
    mapConfig: JSON.parse(page.dataset.mapConfig || "{}"),
    data: null,
    job: null, // the planning job this board follows: {id, status, progress, error}
    knownJobs: new Set(),
    fitted: false,
    live: null, // GET /api/v1/live: cars in service, late marks, the draft, the clock
    liveAt: 0, // Date.now() when `live` arrived, to run the service-day clock on
    panel: null, // what the rider panel is about: {bookingId, stopId, from}
    carPanel: null, // the vehicle id the car panel is about
    ride: { rider: null, from: null, to: null },
  };

  const nodes = {
    day: document.getElementById("board-day"),
    half: document.getElementById("board-half"),
    clock: document.getElementById("clock"),
    connection: document.getElementById("connection"),
    planButton: document.getElementById("plan-button"),
    progress: document.getElementById("progress"),
    summary: document.getElementById("plan-summary"),
    error: document.getElementById("board-error"),
    carList: document.getElementById("car-list"),
    carCount: document.getElementById("car-count"),
    unassigned: document.getElementById("unassigned"),
    unassignedCount: document.getElementById("unassigned-count"),
    search: document.getElementById("search"),
    searchCount: document.getElementById("search-count"),
    nowHalf: document.getElementById("now-half"),
    notice: document.getElementById("board-notice"),
    draft: document.getElementById("draft"),
    timeline: document.getElementById("timeline"),
    riderPanel: document.getElementById("rider-panel"),
    carPanel: document.getElementById("car-panel"),
    ridePanel: document.getElementById("ride-panel"),
    moveTarget: document.getElementById("move-target"),
    movePreview: document.getElementById("move-preview"),
    moveSave: document.getElementById("move-save"),
    riderMsg: document.getElementById("rider-panel-msg"),
    carMsg: document.getElementById("car-panel-msg"),
    rideMsg: document.getElementById("ride-msg"),
  };

  // ---- header: date, clock, day switch ----------------------------------

  function showWhen() {
    const rel = C.relativeDay(state.date);
    nodes.day.textContent = C.dateLong(state.date) + (rel ? " (" + rel + ")" : "");
    nodes.half.textContent = state.half;
    nodes.nowHalf.textContent = state.half === "morning" ? "Morning" : "Evening";
    document.title = "Board: " + C.dateShort(state.date) + ", " + state.half + " · Carpool";
  }

  const clockFormat = new Intl.DateTimeFormat(undefined, {
    hour: "numeric", minute: "2-digit", second: "2-digit",
  });
  let ticks = 0;
  function tick() {
    // The server's clock, not this computer's: they agree in real use, and a
    // demo or test standing on another day (CLOCK_AT) shows its own time.
    const live = state.live;
    const offset = live && live.server_time ? Date.parse(live.server_time) - state.liveAt : 0;
    const now = new Date(Date.now() + (Number.isFinite(offset) ? offset : 0));
    nodes.clock.textContent = clockFormat.format(now);
    nodes.clock.setAttribute("datetime", now.toISOString());
    // Car positions and statuses move with the clock; every 15 s is plenty.
    if (++ticks % 15 === 0 && state.data) updateCars();
  }

  // ---- the service-day clock, car status and position ----------------------

  function seconds(hhmmss) {
    if (!hhmmss) return null;
    const p = String(hhmmss).split(":").map(Number);
    return p[0] * 3600 + p[1] * 60 + (p[2] || 0);
  }

  /** Seconds since midnight of the day shown, by the server's clock; null before the day. */
  function nowS() {
    const live = state.live;
    if (!live || live.now_s === null || live.now_s === undefined) return null;
    return Math.min(86400, live.now_s + Math.floor((Date.now() - state.liveAt) / 1000));
  }

  function vehicleInfo(id) {
    const live = state.live;
    return live ? live.vehicles.find((v) => v.id === id) : null;
  }

  /** {status, text}: out_of_service | idle | waiting | on_time | late | done. */
  function carStatus(vehicleId, route) {
    const info = vehicleInfo(vehicleId);
    if (info && !info.in_service) {
      return { status: "out_of_service",
        text: "Out of service" + (info.out_of_service_reason ? " (" + info.out_of_service_reason + ")" : "") };
    }
    if (!route || !route.stops.length) return { status: "idle", text: "Not used in this plan" };
    const now = nowS();
    const start = route.start ? seconds(route.start.time) : seconds(route.stops[0].arrive);
    const next = route.stops.find((s) => s.status === "planned");
    if (!next) return { status: "done", text: "Done" };
    if (now === null || now < start) {
      return { status: "waiting", text: "Waiting to start (leaves " + C.clock(route.start && route.start.time) + ")" };
    }
    const late = Math.floor((now - seconds(next.start)) / 60);
    if (late >= 1) return { status: "late", text: "Late by " + C.plural(late, "min", "min") };
    return { status: "on_time", text: "On time" };
  }

  /** Where the car is: its shared position if fresh, else where the plan has it now. */
  function carPosition(vehicleId, route) {
    const info = vehicleInfo(vehicleId);
    if (info && info.last_position && Date.now() - Date.parse(info.last_position.at) < 600000) {
      return { where: [info.last_position.lat, info.last_position.lon], source: "shared" };
    }
    if (!route) return null;
    const points = [];
    if (route.start) points.push([seconds(route.start.time), latlng(route.start)]);
    route.stops.forEach((s) => {
      if (!s.place) return;
      points.push([seconds(s.arrive), latlng(s.place)], [seconds(s.depart), latlng(s.place)]);
    });
    if (route.end) points.push([seconds(route.end.time), latlng(route.end)]);
    if (!points.length) return null;
    const now = nowS();
    const t = now === null ? -1 : now;
    if (t <= points[0][0]) return { where: points[0][1], source: "planned" };
    for (let i = 1; i < points.length; i++) {
      const [t0, p0] = points[i - 1];
      const [t1, p1] = points[i];
      if (t0 <= t && t <= t1) {
        const f = t1 === t0 ? 0 : (t - t0) / (t1 - t0);
        return { where: [p0[0] + f * (p1[0] - p0[0]), p0[1] + f * (p1[1] - p0[1])], source: "planned" };
      }
    }
    return { where: points[points.length - 1][1], source: "planned" };
  }

  let carMarkers = null; // layer group of the cars' "now" markers
  function updateCars() {
    const routes = new Map((state.data.routes || []).map((r) => [r.vehicle.id, r]));
    nodes.carList.querySelectorAll(".car").forEach((item) => {
      const id = Number(item.dataset.vehicleId);
      const st = carStatus(id, routes.get(id));
      item.dataset.status = st.status;
      const badge = item.querySelector(".car-status");
      if (badge) {
        badge.dataset.status = st.status;
        badge.textContent = st.text;
      }
    });
    if (!map) return;
    if (!carMarkers) carMarkers = L.layerGroup().addTo(map);
    carMarkers.clearLayers();
    routes.forEach((route, id) => {
      const pos = carPosition(id, route);
      if (!pos) return;
      const st = carStatus(id, route);
      L.circleMarker(pos.where, {
        radius: 9, color: "#111", weight: 2, fillColor: route.color || "#333", fillOpacity: 1,
        className: "car-marker status-" + st.status + " source-" + pos.source,
      }).bindTooltip(route.vehicle.name + ": " + st.text).addTo(carMarkers);
    });
  }

  // ---- map ---------------------------------------------------------------

  let map = null;
  let routeLayer = null;
  const carLayers = new Map(); // vehicle id -> {group, line, markers: Map(stop id -> marker)}

  function initMap() {
    if (typeof window.L === "undefined") {
      C.fill(document.getElementById("map"),
        el("p", { class: "map-missing" }, "The map could not be loaded. The lists still work."));
      return;
    }
    const cfg = state.mapConfig;
    L.Icon.Default.imagePath = page.dataset.leafletImages;
    map = L.map("map", { renderer: L.svg(), zoomSnap: 0.5 });
    map.setView(cfg.center || [0, 0], cfg.zoom || 12);
    if (cfg.tile_url) {
      L.tileLayer(cfg.tile_url, { attribution: cfg.attribution || "", maxZoom: 19 }).addTo(map);
    } else {
      map.getContainer().classList.add("no-tiles");
    }
    routeLayer = L.layerGroup().addTo(map);
  }

  function latlng(p) {
    return [Number(p.lat), Number(p.lon)];
  }

  function stopPopup(route, stop) {
    return el("div", { class: "popup" },
      el("strong", null, route.vehicle.name),
      route.driver ? el("span", null, " · " + route.driver.name) : null,
      el("br"),
      el("span", { class: "popup-time" }, C.clock(stop.arrive)), " ",
      el("span", null, C.STOP_KIND[stop.kind] || stop.kind), " ",
      el("strong", null, stop.rider ? stop.rider.name : ""),
      el("br"),
      el("span", null, stop.place.name),
      el("br"),
      el("span", { class: "badge", dataset: { status: stop.status } }, C.STOP_STATUS[stop.status] || stop.status));
  }

  function startPopup(route) {
    return el("div", { class: "popup" },
      el("strong", null, route.vehicle.name), route.driver ? " · " + route.driver.name : "",
      el("br"), "Leaves at " + C.clock(route.start.time));
  }

  function unassignedPopup(item) {
    return el("div", { class: "popup" },
      el("strong", null, item.rider.name), " has no car", el("br"),
      "From " + item.from.name, el("br"), "To " + item.to.name, el("br"),
      el("em", null, item.reason || ""));
  }

  function drawMap(data) {
    if (!map) return;
    // Keep an open stop popup open across the redraw that every event causes.
    let reopen = null;
    carLayers.forEach((layers, vehicleId) => layers.markers.forEach((marker, stopId) => {
      if (marker.isPopupOpen()) reopen = [vehicleId, stopId];
    }));
    routeLayer.clearLayers();
    carLayers.clear();
    const bounds = L.latLngBounds([]);
    (data.routes || []).forEach((route) => {
      const color = route.color || "#333";
      const group = L.layerGroup();
      const points = [];
      if (route.start) points.push(latlng(route.start));
      route.stops.forEach((s) => points.push(latlng(s.place)));
      if (route.end) points.push(latlng(route.end));
      const line = L.polyline(points, {
        color, weight: 4, opacity: 0.85, className: "route-line",
      }).addTo(group);
      line.bindPopup(() => startPopup(route));
      if (route.start) {
        L.circleMarker(latlng(route.start), {
          radius: 5, color: "#111", weight: 2, fillColor: color, fillOpacity: 1,
          className: "start-marker",
        }).bindPopup(() => startPopup(route)).addTo(group);
      }
      const markers = new Map();
      route.stops.forEach((stop) => {
        const pickup = stop.kind === "pickup";
        const marker = L.circleMarker(latlng(stop.place), {
          radius: pickup ? 7 : 6,
          color,
          weight: 3,
          fillColor: pickup ? color : "#ffffff",
          fillOpacity: stop.status === "planned" ? 1 : 0.4,
          className: "stop-marker stop-" + stop.kind + " status-" + stop.status,
        });
        marker.bindPopup(() => stopPopup(route, stop));
        marker.addTo(group);
        markers.set(stop.id, marker);
      });
      group.addTo(routeLayer);
      points.forEach((p) => bounds.extend(p));
      carLayers.set(route.vehicle.id, { group, line, markers });
    });
    (data.unassigned || []).forEach((item) => {
      if (!item.from) return;
      L.circleMarker(latlng(item.from), {
        radius: 6, color: "#555", weight: 2, dashArray: "3 3", fillColor: "#ddd",
        fillOpacity: 1, className: "unassigned-marker",
      }).bindPopup(() => unassignedPopup(item)).addTo(routeLayer);
      bounds.extend(latlng(item.from));
    });
    if (reopen && carLayers.has(reopen[0])) {
      const marker = carLayers.get(reopen[0]).markers.get(reopen[1]);
      if (marker) marker.openPopup();
    }
    // Fit once per page: later refreshes keep the dispatcher's view.
    if (!state.fitted && bounds.isValid()) {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
      state.fitted = true;
    }
  }

  function showOnMap(vehicleId, stopId) {
    const layers = carLayers.get(vehicleId);
    if (!map || !layers) return;
    if (stopId !== undefined && layers.markers.has(stopId)) {
      const marker = layers.markers.get(stopId);
      map.setView(marker.getLatLng(), Math.max(map.getZoom(), 14));
      marker.openPopup();
    } else {
      map.fitBounds(layers.line.getBounds(), { padding: [24, 24], maxZoom: 16 });
      layers.line.bringToFront();
    }
    document.getElementById("map").scrollIntoView({ block: "nearest" });
  }

  // ---- lists -------------------------------------------------------------

  // The rider being dragged (drag and drop moves a rider onto another car).
  let dragging = null;
  function startDrag(ev, what) {
    dragging = what;
    ev.dataTransfer.setData("text/plain", what.rider || "rider");
    ev.dataTransfer.effectAllowed = "move";
  }

  function carItem(vehicle, route) {
    const item = el("li", {
      class: "car" + (route ? "" : " car-idle"),
      dataset: { vehicleId: vehicle.id },
    });
    if (route && route.color) item.style.setProperty("--car-color", route.color);
    const driver = (route && route.driver) || vehicle.driver;
    const searchText = [vehicle.name, driver ? driver.name : ""];

    const info = vehicleInfo(vehicle.id);
    const inService = !info || info.in_service;
    const status = carStatus(vehicle.id, route);
    item.dataset.status = status.status;
    const head = el("div", { class: "car-head" },
      el("span", { class: "swatch", "aria-hidden": "true" }),
      el("h3", { class: "car-name" }, vehicle.name),
      route ? el("button", {
        type: "button", class: "link-button",
        onclick: () => showOnMap(vehicle.id),
      }, "Show on map") : null,
      inService
        ? el("button", { type: "button", class: "link-button car-out-button",
          onclick: () => openCarPanel(vehicle) }, "Take off the road")
        : el("button", { type: "button", class: "link-button car-in-button",
          onclick: () => backInService(vehicle) }, "Back in service"));
    item.append(head);
    item.append(el("p", { class: "car-status badge", dataset: { status: status.status } }, status.text));
    // Drop a rider here to move them into this car.
    item.addEventListener("dragover", (ev) => {
      if (!inService || !dragging || dragging.from === vehicle.id) return;
      ev.preventDefault();
      item.classList.add("drop-here");
    });
    item.addEventListener("dragleave", () => item.classList.remove("drop-here"));
    item.addEventListener("drop", (ev) => {
      item.classList.remove("drop-here");
      if (!dragging) return;
      ev.preventDefault();
      const what = dragging;
      dragging = null;
      openRiderPanel(what, vehicle.id);
    });

    const facts = [
      driver ? "Driver: " + driver.name : "No driver",
      C.plural(vehicle.seats, "seat"),
    ];
    if (vehicle.wheelchair) facts.push(C.plural(vehicle.wheelchair, "wheelchair place"));
    if (route) {
      const riders = route.stops.filter((s) => s.kind === "pickup").length;
      const most = route.stops.reduce((m, s) => Math.max(m, s.load || 0), 0);
      facts.push(C.plural(riders, "rider"), "up to " + most + " aboard");
      facts.push("drive " + C.duration(route.drive_s));
      if (route.distance_m) facts.push(C.distance(route.distance_m));
    }
    item.append(el("p", { class: "car-facts" }, facts.join(" · ")));

    if (!route) {
      item.append(el("p", { class: "car-times" }, "Not used in this plan"));
      item.dataset.search = searchText.join(" ").toLowerCase();
      return item;
    }
    item.append(el("p", { class: "car-times" },
      "Leaves " + C.clock(route.start && route.start.time),
      route.end && route.end.time ? " · back " + C.clock(route.end.time) : ""));

    const stops = el("ol", { class: "stops" });
    const late = (state.live && state.live.late) || {};
    route.stops.forEach((stop) => {
      const rider = stop.rider ? stop.rider.name : "";
      const movable = stop.status === "planned" && stop.booking_id !== null && stop.booking_id !== undefined;
      const what = { bookingId: stop.booking_id, stopId: stop.kind === "pickup" ? stop.id : null,
        rider, from: vehicle.id, kind: stop.kind };
      const placeName = stop.place ? stop.place.name : "(address removed)";
      const li = el("li", {
        class: "stop stop-" + stop.kind,
        draggable: movable ? "true" : null,
        dataset: {
          stopId: stop.id, kind: stop.kind, status: stop.status, bookingId: stop.booking_id,
          search: (rider + " " + placeName).toLowerCase(),
        },
        ondragstart: (ev) => startDrag(ev, what),
        ondragend: () => { dragging = null; },
      },
      el("span", { class: "stop-time" }, C.clock(stop.arrive)),
      el("span", { class: "stop-kind" }, C.STOP_KIND[stop.kind] || stop.kind),
      el("span", { class: "stop-rider" }, rider),
      el("button", {
        type: "button", class: "stop-place link-button",
        title: "Show on the map",
        onclick: () => showOnMap(vehicle.id, stop.id),
      }, placeName),
      el("span", { class: "badge", dataset: { status: stop.status } },
        C.STOP_STATUS[stop.status] || stop.status),
      late[stop.id] && stop.status === "planned"
        ? el("span", { class: "badge late-mark", dataset: { status: "late" } }, "Late " + late[stop.id] + " min")
        : null,
      movable ? el("button", {
        type: "button", class: "link-button stop-change",
        "aria-label": "Change " + rider + "'s ride",
        onclick: () => openRiderPanel(what, null),
      }, "Change") : null);
      stops.append(li);
    });
    item.append(stops);
    item.dataset.search = searchText.join(" ").toLowerCase();
    return item;
  }

  function renderCars(data) {
    const byVehicle = new Map();
    (data.routes || []).forEach((r) => byVehicle.set(r.vehicle.id, r));
    const vehicles = (data.vehicles || []).slice();
    // A route whose car is missing from `vehicles` is still listed.
    (data.routes || []).forEach((r) => {
      if (!vehicles.some((v) => v.id === r.vehicle.id)) vehicles.push(r.vehicle);
    });
    // Cars with a route first (in the order of the routes), idle cars after.
    const order = new Map((data.routes || []).map((r, i) => [r.vehicle.id, i]));
    vehicles.sort((a, b) => {
      const ia = order.has(a.id) ? order.get(a.id) : Infinity;
      const ib = order.has(b.id) ? order.get(b.id) : Infinity;
      return ia - ib || String(a.name).localeCompare(String(b.name), undefined, { numeric: true });
    });
    C.fill(nodes.carList, vehicles.map((v) => carItem(v, byVehicle.get(v.id))));
    if (!vehicles.length) nodes.carList.append(el("li", { class: "empty" }, "No cars for this half-day."));
    nodes.carCount.textContent = "(" + (data.routes || []).length + " on the road, " + vehicles.length + " in all)";
  }

  function renderUnassigned(data) {
    const items = data.unassigned || [];
    nodes.unassignedCount.textContent = "(" + items.length + ")";
    C.fill(nodes.unassigned, items.map((item) => el("li", {
      class: "unassigned-item",
      draggable: "true",
      ondragstart: (ev) => startDrag(ev,
        { bookingId: item.booking_id, stopId: null, rider: item.rider ? item.rider.name : "", from: null }),
      ondragend: () => { dragging = null; },
      dataset: {
        bookingId: item.booking_id,
        search: [item.rider ? item.rider.name : "", item.from && item.from.name, item.to && item.to.name, item.reason]
          .join(" ").toLowerCase(),
      },
    },
    el("strong", { class: "unassigned-rider" }, item.rider ? item.rider.name : "(rider removed)"),
    el("span", { class: "unassigned-trip" },
      (item.from ? item.from.name : "?") + " → " + (item.to ? item.to.name : "?")),
    el("span", { class: "unassigned-reason" }, item.reason || "No reason given"),
    el("button", {
      type: "button", class: "link-button find-car",
      onclick: () => openRiderPanel({ bookingId: item.booking_id, stopId: null,
        rider: item.rider ? item.rider.name : "", from: null }, null),
    }, "Put in a car"))));
    if (!items.length) {
      nodes.unassigned.append(el("li", { class: "empty" },
        data.plan ? "Every rider has a car." : "No plan yet."));
    }
  }

  function renderSummary(data) {
    const plan = data.plan;
    if (!plan) {
      nodes.summary.textContent = "No plan yet for this " + state.half +
        ". Press “Plan routes” to make one.";
      nodes.planButton.textContent = "Plan routes";
      return;
    }
    const parts = [
      (plan.status === "published" ? "Plan published" : "Plan (" + plan.status + ")") +
        (plan.created_at ? " " + formatStamp(plan.created_at) : "") + ":",
      plan.served + " of " + plan.requests + " riders have a car",
      (data.routes || []).length + " cars on the road",
      "total drive " + C.duration(plan.drive_s),
    ];
    if (plan.distance_m) parts.push(C.distance(plan.distance_m));
    nodes.summary.textContent = parts[0] + " " + parts.slice(1).join(" · ");
    nodes.planButton.textContent = "Plan routes again";
  }

  const stampFormat = new Intl.DateTimeFormat(undefined, {
    weekday: "short", hour: "numeric", minute: "2-digit",
  });
  function formatStamp(iso) {
    const d = new Date(iso);
    return isNaN(d) ? "" : stampFormat.format(d);
  }

  // ---- search ------------------------------------------------------------

  function applySearch() {
    const words = nodes.search.value.toLowerCase().trim().split(/\s+/).filter(Boolean);
    const matches = (text) => words.every((w) => (text || "").indexOf(w) !== -1);
    let cars = 0;
    let riders = 0;
    nodes.carList.querySelectorAll(".car").forEach((car) => {
      const carMatch = !words.length || matches(car.dataset.search);
      let anyStop = false;
      car.querySelectorAll(".stop").forEach((stop) => {
        const hit = words.length > 0 && matches(stop.dataset.search);
        stop.classList.toggle("match", hit);
        stop.hidden = !(carMatch || hit);
        anyStop = anyStop || hit;
      });
      const show = carMatch || anyStop;
      car.hidden = !show;
      if (show) cars++;
      const layers = carLayers.get(Number(car.dataset.vehicleId));
      if (layers) layers.line.setStyle({ opacity: show ? 0.85 : 0.15 });
    });
    nodes.unassigned.querySelectorAll(".unassigned-item").forEach((item) => {
      const show = !words.length || matches(item.dataset.search);
      item.hidden = !show;
      if (show) riders++;
    });
    nodes.searchCount.textContent = words.length
      ? C.plural(cars, "car") + " and " + C.plural(riders, "rider without a car", "riders without a car") + " match"
      : "";
  }

  // ---- planning jobs -----------------------------------------------------

  function progressText(p) {
    if (!p) return "Planning: starting...";
    let text = "Planning: " + p.placed + " of " + p.requests + " riders placed";
    text += p.best_drive_s !== null && p.best_drive_s !== undefined
      ? ", best drive time " + C.duration(p.best_drive_s)
      : ", no plan found yet";
    if (p.time_left_s !== null && p.time_left_s !== undefined) {
      text += ", " + C.secondsLeft(p.time_left_s) + " left";
    }
    return text;
  }

  function setBusy(busy) {
    nodes.planButton.disabled = busy;
    nodes.planButton.setAttribute("aria-busy", busy ? "true" : "false");
  }

  let pollTimer = null;
  function follow(job) {
    state.job = job;
    state.knownJobs.add(job.id);
    if (job.status === "queued") {
      C.say(nodes.progress, "Planning: waiting for the planner to start...", "busy");
    } else if (job.status === "running") {
      C.say(nodes.progress, progressText(job.progress), "busy");
    }
    const active = job.status === "queued" || job.status === "running";
    setBusy(active);
    if (active && !pollTimer) pollTimer = setInterval(poll, 3000);
  }

  // A fallback for when live updates are down: ask about the job now and then.
  async function poll() {
    if (!state.job || (state.job.status !== "queued" && state.job.status !== "running")) {
      clearInterval(pollTimer);
      pollTimer = null;
      return;
    }
    if (socket && socket.connected) return;
    try {
      const res = await C.api("/api/v1/jobs/" + encodeURIComponent(state.job.id));
      const job = res.job;
      if (job.status === "done" || job.status === "failed") {
        finished({ job_id: job.id, status: job.status, plan_id: job.plan_id, error: job.error });
      } else {
        follow(job);
      }
    } catch (err) {
      /* the next tick tries again */
    }
  }

  async function finished(ev) {
    const ours = state.knownJobs.has(ev.job_id);
    if (ours && state.job && state.job.id === ev.job_id) {
      state.job = Object.assign({}, state.job, { status: ev.status, error: ev.error });
      setBusy(false);
    }
    await refresh();
    if (!ours) return;
    if (ev.status === "failed") {
      C.say(nodes.progress, "Planning failed: " + (ev.error || "the planner stopped with an error.") +
        " The plan in force has not changed.", "error");
    } else {
      const draft = state.live && state.live.draft;
      const plan = state.data && state.data.plan;
      if (draft && draft.draft.id === ev.plan_id) {
        C.say(nodes.progress, "New plan ready: " + draft.draft.served + " of " + draft.draft.requests +
          " riders have a car. Compare it below, then publish it or throw it away.", "done");
        nodes.draft.scrollIntoView({ block: "nearest" });
      } else {
        C.say(nodes.progress, plan
          ? "Plan ready: " + plan.served + " of " + plan.requests + " riders have a car"
          : "Plan ready.", "done");
      }
    }
  }

  async function startPlanning() {
    setBusy(true);
    C.say(nodes.progress, "Planning: sending the request...", "busy");
    try {
      const res = await C.api("/api/v1/drafts", {
        method: "POST", body: { date: state.date, half: state.half },
      });
      follow(res.job);
    } catch (err) {
      setBusy(false);
      C.say(nodes.progress, "Could not start planning: " + err.message, "error");
    }
  }

  // ---- the draft plan ----------------------------------------------------

  function renderDraft(live) {
    const cmp = live && live.draft;
    nodes.draft.hidden = !cmp;
    if (!cmp) return;
    const old = cmp.in_force;
    const set = (id, text) => { document.getElementById(id).textContent = text; };
    set("compare-served-old", old ? old.served + " of " + old.requests : "no plan");
    set("compare-served-new", cmp.draft.served + " of " + cmp.draft.requests);
    set("compare-drive-old", old ? C.duration(old.drive_s) : "–");
    set("compare-drive-new", C.duration(cmp.draft.drive_s));
    set("compare-cars-old", old ? String(old.cars) : "–");
    set("compare-cars-new", String(cmp.draft.cars));
    set("draft-changed-count", old
      ? C.plural(cmp.changed.length, "rider changes car", "riders change car") +
        (cmp.newly_served.length ? ", " + C.plural(cmp.newly_served.length, "rider gets a car", "riders get a car") : "") +
        (cmp.no_longer_served.length ? ", " + C.plural(cmp.no_longer_served.length, "rider loses their car", "riders lose their car") : "")
      : "There is no plan in force yet.");
    C.fill(document.getElementById("draft-changed"), cmp.changed.slice(0, 50).map((c) =>
      el("li", { dataset: { bookingId: c.booking_id } }, (c.rider || "A rider") + ": " + c.from + " → " + c.to)));
  }

  async function decideDraft(action) {
    const cmp = state.live && state.live.draft;
    if (!cmp) return;
    const buttons = nodes.draft.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    try {
      await C.api("/api/v1/plans/" + cmp.draft.id + "/" + action, { method: "POST", body: {} });
      C.say(nodes.progress, action === "publish"
        ? "The new plan is published; drivers and riders see it now."
        : "The new plan was thrown away; the plan in force stays.", "done");
    } catch (err) {
      C.say(nodes.error, (action === "publish" ? "Could not publish: " : "Could not throw it away: ") + err.message, "error");
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
      refresh();
    }
  }

  // ---- the timeline ------------------------------------------------------

  const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
  function renderTimeline(events) {
    const items = events.slice().reverse().map((e) => el("li", { class: "timeline-item", dataset: { kind: e.kind } },
      el("time", { datetime: e.at }, timeFormat.format(new Date(e.at))), " ",
      el("span", { class: "timeline-text" }, e.text),
      e.by ? el("span", { class: "timeline-by" }, " (" + e.by + ")") : null));
    C.fill(nodes.timeline, items.length ? items : el("li", { class: "empty" }, "Nothing yet."));
  }

  // ---- moving a rider, marks ---------------------------------------------

  function routeOf(vehicleId) {
    return (state.data.routes || []).find((r) => r.vehicle.id === vehicleId) || null;
  }

  function versions() {
    const out = {};
    (state.data.routes || []).forEach((r) => { out[r.id] = r.version; });
    return out;
  }

  function openRiderPanel(what, toVehicleId) {
    state.panel = what;
    closePanels();
    nodes.riderPanel.hidden = false;
    document.getElementById("rider-panel-title").textContent = what.rider || "Rider";
    const from = what.from ? routeOf(what.from) : null;
    document.getElementById("rider-panel-where").textContent = from
      ? "Now in " + from.vehicle.name + "." : "Has no car now.";
    const options = [];
    if (what.from) options.push(el("option", { value: "" }, "No car (take them out)"));
    (state.data.vehicles || []).forEach((v) => {
      const info = vehicleInfo(v.id);
      if (v.id === what.from || (info && !info.in_service) || !v.driver) return;
      const r = routeOf(v.id);
      options.push(el("option", { value: String(v.id) },
        v.name + (r ? " (" + C.plural(r.stops.filter((s) => s.kind === "pickup").length, "rider") + ")" : " (not used yet)")));
    });
    C.fill(nodes.moveTarget, options);
    if (toVehicleId) nodes.moveTarget.value = String(toVehicleId);
    else if (what.from && nodes.moveTarget.options.length > 1) nodes.moveTarget.selectedIndex = 1;
    document.getElementById("stop-marks").hidden = !what.stopId;
    C.fill(nodes.movePreview);
    C.say(nodes.riderMsg, "");
    nodes.moveSave.disabled = true;
    nodes.riderPanel.scrollIntoView({ block: "nearest" });
    nodes.moveTarget.focus();
    if (toVehicleId) previewMove();
  }

  function targetId() {
    return nodes.moveTarget.value ? Number(nodes.moveTarget.value) : null;
  }

  function previewStops(view) {
    return el("ol", { class: "preview-stops" }, view.stops.map((s) => el("li", {
      class: "preview-stop" + (s.moved ? " moved" : ""), dataset: { kind: s.kind },
    }, el("span", { class: "stop-time" }, C.clock(s.time)),
    s.before && s.before.slice(0, 5) !== s.time ? el("span", { class: "was" }, " (was " + C.clock(s.before) + ")") : null,
    " " + (C.STOP_KIND[s.kind] || s.kind) + " " + s.rider + " at " + s.place)));
  }

  async function previewMove() {
    const what = state.panel;
    if (!what || !state.data.plan) return;
    nodes.moveSave.disabled = true;
    C.fill(nodes.movePreview, el("p", { class: "hint" }, "Working out the new times..."));
    try {
      const res = await C.api("/api/v1/moves/preview", { method: "POST", body: {
        plan_id: state.data.plan.id, booking_id: what.bookingId, to_vehicle_id: targetId(),
      } });
      const p = res.preview;
      const parts = [];
      if (p.problems.length) {
        parts.push(el("div", { class: "alert problems", dataset: { kind: "error" } },
          el("strong", null, "This breaks a promise to riders:"),
          el("ul", null, p.problems.map((x) => el("li", { class: "problem", dataset: { kind: x.kind } }, x.text)))));
      } else {
        parts.push(el("p", { class: "notice ok-move", dataset: { kind: "done" } }, "Every rider stays on time."));
      }
      if (p.to) parts.push(el("h3", null, p.to.vehicle.name + ": leaves " + C.clock(p.to.leave)), previewStops(p.to));
      if (p.from) parts.push(el("h3", null, p.from.vehicle.name + " without " + what.rider), previewStops(p.from));
      C.fill(nodes.movePreview, parts);
      nodes.moveSave.disabled = false;
      nodes.moveSave.textContent = p.problems.length ? "Save the move anyway" : "Save the move";
    } catch (err) {
      C.fill(nodes.movePreview);
      C.say(nodes.riderMsg, err.message, "error");
    }
  }

  async function saveMove() {
    const what = state.panel;
    if (!what) return;
    nodes.moveSave.disabled = true;
    try {
      const res = await C.api("/api/v1/moves", { method: "POST", body: {
        plan_id: state.data.plan.id, booking_id: what.bookingId, to_vehicle_id: targetId(), versions: versions(),
      } });
      const to = res.move.to;
      closePanels();
      C.say(nodes.notice, what.rider + (to ? " moved to " + to.vehicle.name + "." : " taken out of their car."), "done");
    } catch (err) {
      C.say(nodes.riderMsg, err.status === 409
        ? "Someone else changed these cars a moment ago. The board is up to date again: check the new times and try once more."
        : "Not saved: " + err.message, "error");
      if (err.status === 409) previewMove();
    }
    refresh();
  }

  async function markStop(kind) {
    const what = state.panel;
    if (!what || !what.stopId) return;
    try {
      if (kind === "no_show") {
        await C.api("/api/v1/stops/" + what.stopId + "/status", { method: "POST", body: { status: "no_show" } });
        C.say(nodes.notice, what.rider + " is marked as a no-show.", "done");
      } else {
        const minutes = Number(document.getElementById("late-minutes").value || 0);
        await C.api("/api/v1/stops/" + what.stopId + "/late", { method: "POST", body: { minutes } });
        C.say(nodes.notice, minutes ? what.rider + " will be " + minutes + " min late; the driver is told." : what.rider + " is on time again.", "done");
      }
      closePanels();
    } catch (err) {
      C.say(nodes.riderMsg, "Not saved: " + err.message, "error");
    }
    refresh();
  }

  // ---- cars off the road -------------------------------------------------

  function openCarPanel(vehicle) {
    closePanels();
    state.carPanel = vehicle.id;
    nodes.carPanel.hidden = false;
    document.getElementById("car-panel-title").textContent = "Take " + vehicle.name + " off the road";
    C.say(nodes.carMsg, "");
    nodes.carPanel.scrollIntoView({ block: "nearest" });
    document.getElementById("oos-reason").focus();
  }

  async function takeOffRoad() {
    const id = state.carPanel;
    const button = document.getElementById("oos-confirm");
    button.disabled = true;
    C.say(nodes.carMsg, "Re-planning its riders...", "info");
    try {
      const res = await C.api("/api/v1/vehicles/" + id + "/out-of-service", { method: "POST", body: {
        date: state.date, half: state.half, reason: document.getElementById("oos-reason").value,
      } });
      const r = res.replan;
      closePanels();
      let text = "Car taken off the road. " + C.plural(r.moved.length, "rider") + " moved to other cars";
      if (r.unplaced.length) text += "; " + C.plural(r.unplaced.length, "rider") + " still need a car (see “Riders without a car”)";
      C.say(nodes.notice, text + ".", r.unplaced.length ? "error" : "done");
    } catch (err) {
      C.say(nodes.carMsg, "Not done: " + err.message, "error");
    } finally {
      button.disabled = false;
    }
    refresh();
  }

  async function backInService(vehicle) {
    try {
      await C.api("/api/v1/vehicles/" + vehicle.id + "/in-service", { method: "POST", body: {} });
      C.say(nodes.notice, vehicle.name + " is back in service; the next plan can use it.", "done");
    } catch (err) {
      C.say(nodes.error, "Could not put " + vehicle.name + " back: " + err.message, "error");
    }
    refresh();
  }

  // ---- a ride for someone who phoned -------------------------------------

  function picker(kind, search) {
    const input = document.getElementById("ride-" + kind);
    const results = document.getElementById("ride-" + kind + "-results");
    const chosen = document.getElementById("ride-" + kind + "-chosen");
    let seq = 0;
    input.addEventListener("input", async () => {
      const mine = ++seq;
      const text = input.value.trim();
      if (!text) { C.fill(results); return; }
      try {
        const found = await search(text);
        if (mine !== seq) return;
        C.fill(results, found.map((f) => el("li", null, el("button", {
          type: "button", dataset: { id: f.id },
          onclick: () => {
            state.ride[kind] = f;
            C.fill(chosen, f.name);
            C.fill(results);
            input.value = "";
          },
        }, f.name + (f.kind ? " (" + f.kind + ")" : "")))));
        if (!found.length) C.fill(results, el("li", { class: "empty" }, "Nothing matches."));
        if (kind === "rider") {
          // Someone new on the phone: add them as a rider (no password, no login).
          results.append(el("li", null, el("button", {
            type: "button", class: "new-rider",
            onclick: async () => {
              try {
                const made = await C.api("/api/v1/riders", { method: "POST", body: { name: text } });
                state.ride.rider = made.rider;
                C.fill(chosen, made.rider.name + " (new rider)");
                C.fill(results);
                input.value = "";
              } catch (err) {
                C.say(nodes.rideMsg, "Could not add the rider: " + err.message, "error");
              }
            },
          }, "Add “" + text + "” as a new rider")));
        }
      } catch (err) {
        C.say(nodes.rideMsg, err.message, "error");
      }
    });
  }

  function openRidePanel() {
    closePanels();
    state.ride = { rider: null, from: null, to: null };
    ["rider", "from", "to"].forEach((k) => C.fill(document.getElementById("ride-" + k + "-chosen")));
    document.getElementById("ride-time-kind").value = state.half === "morning" ? "arrive_by" : "leave_after";
    C.say(nodes.rideMsg, "");
    nodes.ridePanel.hidden = false;
    nodes.ridePanel.scrollIntoView({ block: "nearest" });
    document.getElementById("ride-rider").focus();
  }

  async function saveRide(ev) {
    ev.preventDefault();
    const r = state.ride;
    const missing = [];
    if (!r.rider) missing.push("the rider");
    if (!r.from) missing.push("where from");
    if (!r.to) missing.push("where to");
    if (missing.length) {
      C.say(nodes.rideMsg, "Please choose " + missing.join(", ") + " from the lists.", "error");
      return;
    }
    try {
      const res = await C.api("/api/v1/rides", { method: "POST", body: {
        rider_id: r.rider.id, from_place_id: r.from.id, to_place_id: r.to.id, date: state.date, half: state.half,
        time_kind: document.getElementById("ride-time-kind").value, time: document.getElementById("ride-time").value,
      } });
      closePanels();
      const ride = res.ride;
      C.say(nodes.notice, ride.placed
        ? "Ride booked for " + r.rider.name + ", in " + ride.vehicle + "."
        : ride.plan_id
          ? "Ride booked for " + r.rider.name + ". No car can take it on time: it waits under “Riders without a car”."
          : "Ride booked for " + r.rider.name + "; it will be in the next plan.", ride.placed || !ride.plan_id ? "done" : "error");
    } catch (err) {
      const fields = Object.keys(err.fields || {}).map((k) => err.fields[k]).join("; ");
      C.say(nodes.rideMsg, "Not booked: " + err.message + (fields ? " (" + fields + ")" : ""), "error");
    }
    refresh();
  }

  function closePanels() {
    nodes.riderPanel.hidden = true;
    nodes.carPanel.hidden = true;
    nodes.ridePanel.hidden = true;
  }

  // ---- loading -----------------------------------------------------------

  const stats = { renders: 0, lastRenderMs: null }; // read by scripts/bench_board.py

  const refresh = C.serialised(async () => {
    try {
      const q = C.query({ date: state.date, half: state.half });
      const [data, live, events] = await Promise.all([
        C.api("/api/v1/board" + q), C.api("/api/v1/live" + q), C.api("/api/v1/timeline" + q),
      ]);
      const began = performance.now();
      state.live = live;
      state.liveAt = Date.now();
      state.data = data;
      C.say(nodes.error, "");
      renderDraft(live);
      renderTimeline(events.events || []);
      renderSummary(data);
      renderUnassigned(data);
      renderCars(data);
      drawMap(data);
      updateCars();
      applySearch();
      stats.renders += 1;
      stats.lastRenderMs = performance.now() - began;
      const job = data.job;
      if (job && (job.status === "queued" || job.status === "running")) {
        follow(job);
      } else if (job && job.status === "failed" && !nodes.progress.textContent) {
        C.say(nodes.progress, "Last planning failed: " + (job.error || "unknown error"), "error");
      } else if (!job || job.status === "done") {
        if (state.job && (state.job.status === "queued" || state.job.status === "running") &&
            (!job || job.id === state.job.id)) {
          // The job ended while we were not listening.
          state.job = null;
          setBusy(false);
        }
      }
    } catch (err) {
      C.say(nodes.error, "Could not load the board: " + err.message, "error");
      if (!state.data) nodes.summary.textContent = "";
    }
  });

  function sameDay(ev) {
    return !ev.date || (ev.date === state.date && (!ev.half || ev.half === state.half));
  }

  // ---- start -------------------------------------------------------------

  showWhen();
  tick();
  setInterval(tick, 1000);
  C.autoSubmit(page.querySelector(".when-form"));
  initMap();
  nodes.planButton.addEventListener("click", startPlanning);
  document.getElementById("publish-button").addEventListener("click", () => decideDraft("publish"));
  document.getElementById("discard-button").addEventListener("click", () => decideDraft("discard"));
  nodes.moveTarget.addEventListener("change", previewMove);
  document.getElementById("move-check").addEventListener("click", previewMove);
  nodes.moveSave.addEventListener("click", saveMove);
  document.getElementById("mark-no-show").addEventListener("click", () => markStop("no_show"));
  document.getElementById("mark-late").addEventListener("click", () => markStop("late"));
  document.getElementById("oos-confirm").addEventListener("click", takeOffRoad);
  document.getElementById("add-ride-button").addEventListener("click", openRidePanel);
  document.getElementById("ride-form").addEventListener("submit", saveRide);
  ["rider-panel-close", "car-panel-close", "ride-panel-close"].forEach((id) =>
    document.getElementById(id).addEventListener("click", closePanels));
  document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") closePanels(); });
  picker("rider", async (text) => (await C.api("/api/v1/riders" + C.query({ q: text }))).riders);
  const placeSearch = async (text) => (await C.api("/api/v1/places" + C.query({ q: text }))).places;
  picker("from", placeSearch);
  picker("to", placeSearch);
  nodes.search.addEventListener("input", applySearch);

  const socket = C.connectSocket({
    statusNode: nodes.connection,
    onConnect: refresh,
    handlers: {
      plan_published: (ev) => { if (sameDay(ev)) refresh(); },
      stop_updated: () => refresh(),
      routes_changed: (ev) => { if (sameDay(ev)) refresh(); },
      vehicle_updated: () => refresh(),
      plan_drafted: (ev) => { if (sameDay(ev)) refresh(); },
      plan_discarded: (ev) => { if (sameDay(ev)) refresh(); },
      job_finished: (ev) => finished(ev),
      solve_progress: (ev) => {
        if (!sameDay(ev) && !state.knownJobs.has(ev.job_id)) return;
        if (!state.job || state.job.id !== ev.job_id) {
          state.knownJobs.add(ev.job_id);
          state.job = { id: ev.job_id, status: "running" };
          setBusy(true);
        }
        state.job.status = "running";
        state.job.progress = ev;
        C.say(nodes.progress, progressText(ev), "busy");
      },
    },
  });
  refresh();

  window.board = {
    socket,
    get data() { return state.data; },
    get live() { return state.live; },
    refresh,
    map,
    stats,
  };
})();
