import Crypto
import Foundation

extension ProgressPage {
    /// The only script a progress page carries, inline on active pages that have an events URL.
    ///
    /// It opens an `EventSource` on `<main data-events>`, and for each `progress` event sets the
    /// status badge, the meter and its label, the group counts and status message, and the run's
    /// progress messages, always through `textContent` (never as markup); it keeps the elapsed
    /// time counting. On
    /// `done` it reloads the page, which then shows the results. If the stream cannot be opened
    /// or fails for good, it falls back to reloading every `data-refresh` seconds, as the page
    /// does without script. Group pages also reload at most once a minute while runs finish, so
    /// their result rows appear.
    public static let liveScript = #"""
        (function () {
          "use strict";
          var main = document.querySelector("main[data-events]");
          if (!main) return;
          var refresh = parseInt(main.getAttribute("data-refresh"), 10);
          var loaded = Date.now();
          var reloading = false;
          function byId(id) { return document.getElementById(id); }
          function setText(id, text) { var node = byId(id); if (node) node.textContent = text; }
          function reload(delay) {
            if (reloading) return;
            reloading = true;
            setTimeout(function () { location.reload(); }, delay);
          }
          function fallBack() { if (refresh > 0) reload(refresh * 1000); }
          function duration(s) {
            if (s < 60) return s + "s";
            if (s < 3600) return Math.floor(s / 60) + "m " + (s % 60) + "s";
            if (s < 86400) return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m";
            return Math.floor(s / 86400) + "d " + Math.floor((s % 86400) / 3600) + "h";
          }
          var elapsed = byId("live-elapsed");
          var since = elapsed ? parseInt(elapsed.getAttribute("data-seconds"), 10) : NaN;
          if (!isNaN(since)) {
            setInterval(function () {
              elapsed.textContent = duration(since + Math.floor((Date.now() - loaded) / 1000));
            }, 1000);
          }
          if (!window.EventSource) { fallBack(); return; }
          var badges = {
            active: "b-running", running: "b-running", completed: "b-completed", queued: "b-queued",
            failed: "b-failed", cancelled: "b-cancelled", cancelling: "b-cancelled", action_required: "b-action"
          };
          var finishedAtLoad = null;
          function showRun(p) {
            var row = byId("live-meter-row"), meter = byId("live-meter");
            var parts = [], read = p.sources_read, considered = p.sources_considered;
            if (typeof read === "number" && typeof considered === "number") {
              parts.push(read + " sources read of " + considered + " considered");
            } else if (typeof read === "number") {
              parts.push(read + " sources read");
            } else if (typeof considered === "number") {
              parts.push(considered + " sources considered");
            }
            if (typeof p.progress_meter === "number") {
              var percent = Math.round(p.progress_meter);
              if (meter) { meter.value = percent; meter.textContent = percent + "%"; }
              parts.push(percent + "%");
            }
            if (row && parts.length > 0) {
              row.hidden = false;
              setText("live-meter-label", parts.join(" · "));
            }
            var log = byId("live-log"), empty = byId("live-empty"), messages = p.messages || [];
            if (log && messages.length > 0) {
              while (log.firstChild) log.removeChild(log.firstChild);
              for (var i = 0; i < messages.length; i++) {
                var item = document.createElement("li");
                item.textContent = String(messages[i]);
                if (i === messages.length - 1) item.className = "latest";
                log.appendChild(item);
              }
              log.hidden = false;
              if (empty) empty.hidden = true;
            }
          }
          function showGroup(p) {
            var total = p.total || 0, finished = p.finished || 0, counts = p.counts || {};
            var percent = total > 0 ? Math.floor(finished * 100 / total) : 0;
            var meter = byId("live-meter");
            if (meter) { meter.max = Math.max(total, 1); meter.value = finished; meter.textContent = percent + "%"; }
            setText("live-finished", String(finished));
            setText("live-runs", String(total));
            setText("live-percent", percent + "%");
            setText("live-total", String(total));
            var note = byId("live-group-message");
            if (note) {
              note.textContent = typeof p.status_message === "string" ? p.status_message : "";
              note.hidden = note.textContent === "";
            }
            var cells = document.querySelectorAll("[data-count]");
            for (var i = 0; i < cells.length; i++) {
              cells[i].textContent = String(counts[cells[i].getAttribute("data-count")] || 0);
            }
            if (finishedAtLoad === null) finishedAtLoad = finished;
            if (finished !== finishedAtLoad && Date.now() - loaded > 60000) reload(0);
          }
          var source = new EventSource(main.getAttribute("data-events"));
          source.addEventListener("open", function () {
            setText("live-note", "Working on it — updating live.");
            setText("live-footer", "updates live while the task is active");
          });
          source.addEventListener("progress", function (event) {
            var p;
            try { p = JSON.parse(event.data); } catch (error) { return; }
            var badge = byId("live-status");
            if (badge && typeof p.status === "string") {
              badge.textContent = p.status.split("_").join(" ");
              badge.className = "badge " + (badges[p.status] || "b-other");
            }
            if (p.kind === "group") showGroup(p); else showRun(p);
          });
          source.addEventListener("done", function () { source.close(); reload(0); });
          source.addEventListener("failed", function () { source.close(); fallBack(); });
          source.onerror = function () { if (source.readyState === 2) fallBack(); };
        })();
        """#

    /// The CSP source that allows ``liveScript`` (`'sha256-…'` without the quotes).
    public static let liveScriptHash = "sha256-" + Data(SHA256.hash(data: Data(liveScript.utf8))).base64EncodedString()
}
