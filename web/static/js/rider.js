// The rider's page: when and where the car comes, the regular rides (skip a
// day, undo, stop) and a form to add a ride.
// Data: /api/v1/rider/trips, /api/v1/rider/bookings, /api/v1/places.
(function () {
  "use strict";
  const C = window.carpool;
  const el = C.el;

  const page = document.getElementById("rider-page");
  const state = { date: page.dataset.date, bookings: null, trips: null };
  const nodes = {
    trips: document.getElementById("trips"),
    tripsWhen: document.getElementById("trips-when"),
    bookings: document.getElementById("bookings"),
    bookingsMessage: document.getElementById("bookings-message"),
    error: document.getElementById("rider-error"),
    connection: document.getElementById("connection"),
    form: document.getElementById("booking-form"),
  };

  const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
  const WEEKDAY_NAMES = { mon: "Mon", tue: "Tue", wed: "Wed", thu: "Thu", fri: "Fri", sat: "Sat", sun: "Sun" };
  const HALF_TITLE = { morning: "Morning", evening: "Evening" };
  const TRIP_STATUS = {
    picked_up: "You were picked up",
    dropped_off: "You were dropped off",
    no_show: "Marked as not there",
  };

  // ---- next rides --------------------------------------------------------

  function bookingById(id) {
    return (state.bookings || []).find((b) => b.id === id) || null;
  }

  // A trip's pickup is a place with its time merged in ({...place, time});
  // a nested {place, time} is read too.
  function placeName(p) {
    return p ? (p.place ? p.place.name : p.name) : "";
  }

  function tripItem(trip) {
    const booking = bookingById(trip.booking_id);
    const item = el("li", { class: "trip", dataset: { bookingId: trip.booking_id, status: trip.status } },
      el("p", { class: "trip-half" }, HALF_TITLE[trip.half] || trip.half));
    if (trip.status === "unplanned" || trip.status === "unassigned") {
      C.add(item,
        el("p", { class: "trip-main" },
          trip.status === "unplanned" ? "Not planned yet" : "No car for this ride yet"),
        booking ? el("p", null, booking.from.name + " → " + booking.to.name) : null,
        el("p", { class: "hint" }, trip.reason ||
          (trip.status === "unplanned"
            ? "The dispatcher plans the rides the day before. Look again later."
            : "The dispatcher can see this and will try to find a car.")));
      return item;
    }
    const pickup = trip.pickup || {};
    const dropoff = trip.dropoff || {};
    C.add(item,
      el("p", { class: "trip-main" }, C.clock(pickup.time) + " at " + placeName(pickup)),
      el("p", null, "Your car: ", el("strong", null, trip.vehicle ? trip.vehicle.name : "?"),
        trip.driver ? " with " + trip.driver.name : ""),
      el("p", null, "Drops you at " + placeName(dropoff) +
        (dropoff.time ? " around " + C.clock(dropoff.time) : "")),
      TRIP_STATUS[trip.status]
        ? el("p", null, el("span", { class: "badge", dataset: { status: trip.status } }, TRIP_STATUS[trip.status]))
        : null);
    return item;
  }

  function renderTrips() {
    if (!state.trips) return;
    if (!state.trips.length) {
      C.fill(nodes.trips, el("li", { class: "trip empty-trip" },
        el("p", { class: "trip-main" }, "No rides booked for this day."),
        el("p", { class: "hint" }, "Add a regular ride below.")));
      return;
    }
    C.fill(nodes.trips, state.trips.map(tripItem));
  }

  // ---- regular rides -----------------------------------------------------

  /** The first day from the page's date on which the booking runs and is
   *  not skipped yet, or null. */
  function nextRunDay(b) {
    let day = b.valid_from && b.valid_from > state.date ? b.valid_from : state.date;
    for (let i = 0; i < 14; i++, day = C.addDays(day, 1)) {
      if (b.valid_until && day > b.valid_until) return null;
      const wd = WEEKDAYS[C.parseDate(day).getDay()];
      if (b.weekdays.indexOf(wd) !== -1 && b.skipped.indexOf(day) === -1) return day;
    }
    return null;
  }

  function bookingItem(b) {
    const item = el("li", { class: "booking", dataset: { bookingId: b.id } });
    const msg = el("p", { class: "booking-msg", role: "status", hidden: true });
    const days = b.weekdays.length === 5 && ["mon", "tue", "wed", "thu", "fri"].every((d) => b.weekdays.includes(d))
      ? "Monday to Friday"
      : b.weekdays.map((d) => WEEKDAY_NAMES[d] || d).join(", ");
    item.append(
      el("p", { class: "booking-title" }, b.from.name + " → " + b.to.name),
      el("p", null, (HALF_TITLE[b.half] || b.half) + "s, " + days),
      el("p", null, (b.time_kind === "arrive_by" ? "Arrive by " : "Leave after ") + C.clock(b.time)),
      el("p", { class: "hint" }, (b.valid_from > state.date ? "Starts " : "Since ") + C.dateShort(b.valid_from) +
        (b.valid_until ? " · last day " + C.dateShort(b.valid_until) : "")));

    const upcoming = b.skipped.filter((d) => d >= state.date).sort();
    if (upcoming.length) {
      item.append(el("div", { class: "skips" },
        el("span", null, "Skipping:"),
        upcoming.map((d) => el("span", { class: "skip", dataset: { date: d } },
          el("strong", null, C.dateShort(d)),
          el("button", {
            type: "button", class: "button button-quiet undo-skip",
            onclick: () => act(item, msg, () => C.api(
              "/api/v1/rider/bookings/" + b.id + "/skips/" + encodeURIComponent(d), { method: "DELETE" })),
          }, "Undo skip")))));
    }

    const actions = el("div", { class: "booking-actions" });
    const next = nextRunDay(b);
    if (next) {
      actions.append(el("button", {
        type: "button", class: "button skip-next", dataset: { date: next },
        onclick: () => skip(item, msg, b, next),
      }, "Skip " + C.dateShort(next)));
    }
    const other = el("form", { class: "skip-other", hidden: true },
      el("label", { class: "field" }, el("span", { class: "label-text" }, "Day to skip"),
        el("input", { type: "date", name: "date", required: true, min: state.date, value: next || state.date })),
      el("button", { type: "submit", class: "button" }, "Skip that day"));
    other.addEventListener("submit", (e) => {
      e.preventDefault();
      const day = other.elements.date.value;
      if (day) skip(item, msg, b, day);
    });
    actions.append(el("button", {
      type: "button", class: "button button-quiet", "aria-expanded": "false",
      onclick: (e) => {
        other.hidden = !other.hidden;
        e.currentTarget.setAttribute("aria-expanded", String(!other.hidden));
        if (!other.hidden) other.elements.date.focus();
      },
    }, "Skip another day"));

    // Stopping a ride cannot be undone here, so it asks in place first.
    const stop = el("button", { type: "button", class: "button button-bad stop-ride" }, "Stop this ride");
    const confirm = el("span", { class: "booking-actions confirm-stop", hidden: true },
      el("strong", null, "Stop this ride for good?"),
      el("button", {
        type: "button", class: "button button-bad confirm-yes",
        onclick: () => act(item, msg, () => C.api("/api/v1/rider/bookings/" + b.id, { method: "DELETE" }),
          "Ride stopped."),
      }, "Yes, stop it"),
      el("button", {
        type: "button", class: "button button-quiet confirm-no",
        onclick: () => { confirm.hidden = true; stop.hidden = false; stop.focus(); },
      }, "No, keep it"));
    stop.addEventListener("click", () => { stop.hidden = true; confirm.hidden = false; });
    actions.append(stop, confirm);
    item.append(actions, other, msg);
    return item;
  }

  function skip(item, msg, b, day) {
    return act(item, msg, () => C.api("/api/v1/rider/bookings/" + b.id + "/skips", {
      method: "POST", body: { date: day },
    }), "Skipped " + C.dateShort(day) + ".");
  }

  /** Runs one change on a booking, then reloads rides and trips. */
  async function act(item, msg, call, doneText) {
    const buttons = item.querySelectorAll("button");
    buttons.forEach((x) => { x.disabled = true; });
    C.say(msg, "Saving...", "info");
    try {
      await call();
      await refresh();
      if (doneText) C.say(nodes.bookingsMessage, doneText, "done");
    } catch (err) {
      buttons.forEach((x) => { x.disabled = false; });
      C.say(msg, "Not saved: " + err.message, "error");
      msg.className = "booking-msg alert";
    }
  }

  function renderBookings() {
    if (!state.bookings) return;
    if (!state.bookings.length) {
      C.fill(nodes.bookings, el("li", { class: "empty" }, "You have no regular rides yet. Add one below."));
      return;
    }
    C.fill(nodes.bookings, state.bookings.map(bookingItem));
  }

  // ---- loading -----------------------------------------------------------

  const refresh = C.serialised(async () => {
    try {
      const [bookings, trips] = await Promise.all([
        C.api("/api/v1/rider/bookings"),
        C.api("/api/v1/rider/trips" + C.query({ date: state.date })),
      ]);
      state.bookings = bookings.bookings || [];
      state.trips = trips.trips || [];
      C.say(nodes.error, "");
      renderBookings();
      renderTrips();
    } catch (err) {
      C.say(nodes.error, "Could not load your rides: " + err.message, "error");
    }
  });

  // ---- the place search --------------------------------------------------

  function placePicker(root) {
    const hidden = root.querySelector('input[type="hidden"]');
    const search = root.querySelector('input[type="search"]');
    const results = root.querySelector(".place-results");
    const chosen = root.querySelector(".place-chosen");
    let timer = null;
    let asked = "";

    function choose(place) {
      hidden.value = place.id;
      C.fill(chosen,
        el("span", { class: "place-chosen-name" }, "✓ " + place.name),
        el("button", {
          type: "button", class: "link-button",
          onclick: () => { clear(); search.focus(); },
        }, "Change"));
      search.value = "";
      search.hidden = true;
      C.fill(results);
      showFieldError(hidden.name, "");
    }
    function clear() {
      hidden.value = "";
      C.fill(chosen);
      search.hidden = false;
    }

    async function lookup() {
      const q = search.value.trim();
      if (q === asked) return;
      asked = q;
      if (q.length < 2) {
        C.fill(results);
        return;
      }
      try {
        const data = await C.api("/api/v1/places" + C.query({ q }));
        if (q !== asked) return; // an older answer
        const places = Array.isArray(data) ? data : (data && data.places) || [];
        C.fill(results, places.length
          ? places.map((p) => el("li", null, el("button", {
            type: "button", dataset: { placeId: p.id }, onclick: () => choose(p),
          }, p.name)))
          : el("li", { class: "hint", style: "padding: .5rem .75rem" },
            "No place matches “" + q + "”. Try another word."));
      } catch (err) {
        C.fill(results, el("li", { class: "field-error", style: "padding: .5rem .75rem" }, err.message));
      }
    }

    search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(lookup, 250);
    });
    search.addEventListener("keydown", (e) => {
      if (e.key === "Enter") { // do not submit the whole form from here
        e.preventDefault();
        clearTimeout(timer);
        lookup().then(() => {
          const first = results.querySelector("button");
          if (first) first.focus();
        });
      }
    });
    return { clear };
  }

  // ---- the add-a-ride form -----------------------------------------------

  const form = nodes.form;
  const pickers = Array.from(form.querySelectorAll(".place-picker")).map(placePicker);
  const formError = form.querySelector(".form-error");
  const formDone = form.querySelector(".form-done");

  function showFieldError(name, text) {
    const slot = form.querySelector('[data-error-for="' + name + '"]');
    if (!slot) return false;
    slot.textContent = text || "";
    const input = form.querySelector('[name="' + name + '"]:not([type="hidden"])') ||
      (name.endsWith("_place_id") ? form.querySelector("#" + name.split("_")[0] + "-search") : null);
    if (input) {
      if (text) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
    return true;
  }

  function clearErrors() {
    form.querySelectorAll("[data-error-for]").forEach((slot) => showFieldError(slot.dataset.errorFor, ""));
    C.say(formError, "");
  }

  /** Puts each "field.path" error next to its field; the rest on top. */
  function showErrors(err) {
    const leftover = [];
    Object.keys(err.fields || {}).forEach((path) => {
      const name = path.split(/[.[]/)[0];
      const slot = form.querySelector('[data-error-for="' + name + '"]');
      if (slot && slot.textContent) slot.textContent += " " + err.fields[path];
      else if (!showFieldError(name, err.fields[path])) leftover.push(err.fields[path]);
    });
    C.say(formError, [err.message].concat(leftover).join(" "), "error");
    const first = form.querySelector('[aria-invalid="true"]');
    if (first) first.focus();
    else formError.scrollIntoView({ block: "center" });
  }

  // Mornings are usually "arrive by", evenings "leave after", until the
  // rider picks one.
  let timeKindTouched = false;
  form.querySelectorAll('input[name="time_kind"]').forEach((r) =>
    r.addEventListener("change", () => { timeKindTouched = true; }));
  form.querySelectorAll('input[name="half"]').forEach((r) => r.addEventListener("change", () => {
    if (timeKindTouched) return;
    const kind = r.value === "evening" ? "leave_after" : "arrive_by";
    form.querySelector('input[name="time_kind"][value="' + kind + '"]').checked = true;
    const time = form.elements.time;
    if (time.value === "07:30" && r.value === "evening") time.value = "16:30";
    else if (time.value === "16:30" && r.value === "morning") time.value = "07:30";
  }));

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors();
    C.say(formDone, "");
    const f = form.elements;
    const body = {
      from_place_id: f.from_place_id.value ? Number(f.from_place_id.value) : null,
      to_place_id: f.to_place_id.value ? Number(f.to_place_id.value) : null,
      half: form.querySelector('input[name="half"]:checked').value,
      weekdays: Array.from(form.querySelectorAll('input[name="weekdays"]:checked')).map((x) => x.value),
      time_kind: form.querySelector('input[name="time_kind"]:checked').value,
      time: f.time.value,
      valid_from: f.valid_from.value,
      valid_until: f.valid_until.value || null,
    };
    const submit = form.querySelector('button[type="submit"]');
    submit.disabled = true;
    try {
      await C.api("/api/v1/rider/bookings", { method: "POST", body });
      pickers.forEach((p) => p.clear());
      C.say(formDone, "Ride added. It is in your regular rides above.", "done");
      await refresh();
    } catch (err) {
      if (err.status === 422 || Object.keys(err.fields).length) showErrors(err);
      else C.say(formError, "Not saved: " + err.message, "error");
    } finally {
      submit.disabled = false;
    }
  });

  // ---- start -------------------------------------------------------------

  const rel = C.relativeDay(state.date);
  nodes.tripsWhen.textContent = (rel ? rel + ", " : "") + C.dateLong(state.date);
  C.autoSubmit(page.querySelector(".other-day"));
  const socket = C.connectSocket({
    statusNode: nodes.connection,
    onConnect: refresh,
    handlers: {
      plan_published: () => refresh(),
      stop_updated: () => refresh(),
    },
  });
  refresh();

  window.riderPage = { socket, refresh };
})();
