// The live stream (Server-Sent Events): overview pushes and "jobs changed" nudges, reconnecting on its own.

import { getJson } from "./api.js";
import { scheduleRefresh } from "./refresh.js";
import { applyOverview, setConnection } from "./topbar.js";

let events = null;
let retryTimer = null;

export function connectEvents() {
  events?.close();
  setConnection("connecting", "connecting");
  events = new EventSource("/api/events");
  events.addEventListener("open", () => setConnection("live", "live"));
  events.addEventListener("overview", (e) => applyOverview(JSON.parse(e.data)));
  events.addEventListener("jobs", () => scheduleRefresh());
  events.addEventListener("error", () => {
    if (events.readyState !== EventSource.CLOSED) {
      setConnection("reconnecting", "reconnecting");
      return;
    }
    // closed for good (an HTTP error): find out whether the login expired, else try again later
    setConnection("offline", "offline, retrying");
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => {
      getJson("/api/overview")
        .then((o) => {
          applyOverview(o);
          connectEvents();
        })
        .catch(() => connectEvents());
    }, 5000);
  });
}
