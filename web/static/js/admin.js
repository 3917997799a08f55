// The admin page: invitation links and the audit log. All data goes in as text.
(function () {
  "use strict";
  const C = window.carpool;
  const el = C.el;

  async function loadAudit() {
    const body = document.querySelector("#audit tbody");
    const data = await C.api("/api/v1/audit?limit=200");
    body.replaceChildren(...data.entries.map((e) => el("tr", null,
      el("td", null, e.at.replace("T", " ")),
      el("td", null, e.actor_id === null ? "(the person themselves)" : (e.actor || "#" + e.actor_id)),
      el("td", null, e.what),
      el("td", null, e.action))));
  }

  document.getElementById("invite-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = document.getElementById("invite-result");
    const role = document.getElementById("invite-role").value;
    try {
      const data = await C.api("/api/v1/invites", { method: "POST", body: { role } });
      result.replaceChildren("Send this link to the new " + role + ": ",
        el("a", { href: data.url, class: "invite-link" }, data.url));
      result.hidden = false;
      loadAudit();
    } catch (err) {
      C.say(result, err.message || "Could not make an invitation.", "error");
    }
  });

  loadAudit();
})();
