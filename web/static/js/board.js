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
  };

  // ---- header: date, clock, day switch ----------------------------------

  function showWhen() {
    const rel = C.relativeDay(state.date);
    nodes.day.textContent = C.dateLong(state.date) + (rel ? " (" + rel + ")" : "");
    nodes.half.textContent = state.half;
    document.title = "Board: " + C.dateShort(state.date) + ", " + state.half + " · Carpool";
  }

  const clockFormat = new Intl.DateTimeFormat(undefined, {
    hour: "numeric", minute: "2-digit", second: "2-digit",
  });
  function tick() {
    const now = new Date();
    nodes.clock.textContent = clockFormat.format(now);
    nodes.clock.setAttribute("datetime", now.toISOString());
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

  function carItem(vehicle, route) {
    const item = el("li", {
      class: "car" + (route ? "" : " car-idle"),
      dataset: { vehicleId: vehicle.id },
    });
    if (route && route.color) item.style.setProperty("--car-color", route.color);
    const driver = (route && route.driver) || vehicle.driver;
    const searchText = [vehicle.name, driver ? driver.name : ""];

    const head = el("div", { class: "car-head" },
      el("span", { class: "swatch", "aria-hidden": "true" }),
      el("h3", { class: "car-name" }, vehicle.name),
      route ? el("button", {
        type: "button", class: "link-button",
        onclick: () => showOnMap(vehicle.id),
      }, "Show on map") : null);
    item.append(head);

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
    route.stops.forEach((stop) => {
      const rider = stop.rider ? stop.rider.name : "";
      stops.append(el("li", {
        class: "stop stop-" + stop.kind,
        dataset: {
          stopId: stop.id, kind: stop.kind, status: stop.status,
          search: (rider + " " + stop.place.name).toLowerCase(),
        },
      },
      el("span", { class: "stop-time" }, C.clock(stop.arrive)),
      el("span", { class: "stop-kind" }, C.STOP_KIND[stop.kind] || stop.kind),
      el("span", { class: "stop-rider" }, rider),
      el("button", {
        type: "button", class: "stop-place link-button",
        title: "Show on the map",
        onclick: () => showOnMap(vehicle.id, stop.id),
      }, stop.place.name),
      el("span", { class: "badge", dataset: { status: stop.status } },
        C.STOP_STATUS[stop.status] || stop.status)));
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
      dataset: {
        bookingId: item.booking_id,
        search: [item.rider.name, item.from && item.from.name, item.to && item.to.name, item.reason]
          .join(" ").toLowerCase(),
      },
    },
    el("strong", { class: "unassigned-rider" }, item.rider.name),
    el("span", { class: "unassigned-trip" },
      (item.from ? item.from.name : "?") + " → " + (item.to ? item.to.name : "?")),
    el("span", { class: "unassigned-reason" }, item.reason || "No reason given"))));
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
      C.say(nodes.progress, "Planning failed: " + (ev.error || "the planner stopped with an error."), "error");
    } else {
      const plan = state.data && state.data.plan;
      C.say(nodes.progress, plan
        ? "Plan ready: " + plan.served + " of " + plan.requests + " riders have a car"
        : "Plan ready.", "done");
    }
  }

  async function startPlanning() {
    setBusy(true);
    C.say(nodes.progress, "Planning: sending the request...", "busy");
    try {
      const res = await C.api("/api/v1/plans", {
        method: "POST", body: { date: state.date, half: state.half },
      });
      follow(res.job);
    } catch (err) {
      setBusy(false);
      C.say(nodes.progress, "Could not start planning: " + err.message, "error");
    }
  }

  // ---- loading -----------------------------------------------------------

  const refresh = C.serialised(async () => {
    try {
      const data = await C.api("/api/v1/board" + C.query({ date: state.date, half: state.half }));
      state.data = data;
      C.say(nodes.error, "");
      renderSummary(data);
      renderUnassigned(data);
      renderCars(data);
      drawMap(data);
      applySearch();
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
  nodes.search.addEventListener("input", applySearch);

  const socket = C.connectSocket({
    statusNode: nodes.connection,
    onConnect: refresh,
    handlers: {
      plan_published: (ev) => { if (sameDay(ev)) refresh(); },
      stop_updated: () => refresh(),
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
    refresh,
    map,
  };
})();
