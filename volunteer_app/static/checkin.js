// The tablet at the entrance: a new check-in code every minute, fetched without reloading the
// page (a timed page refresh would hinder people using assistive technology, and a reload
// that failed once would leave an error page for the rest of the day). While the server
// cannot be reached the last code stays and the next minute tries again; when the link has
// been switched off or renewed the page is loaded again and says so.
(() => {
  const box = document.querySelector("[data-code-url]");
  if (!box) {
    return;
  }
  const url = box.getAttribute("data-code-url");
  const clock = document.querySelector("[data-code-time]");
  const later = (seconds) => setTimeout(tick, Math.max(1, seconds) * 1000);
  async function tick() {
    try {
      const response = await fetch(url, { cache: "no-store", credentials: "omit" });
      if (response.status === 404) {
        window.location.reload();
        return;
      }
      if (response.ok) {
        const code = await response.json();
        box.innerHTML = code.svg;
        if (clock) {
          clock.textContent = code.time;
        }
        later(code.next);
        return;
      }
    } catch (error) {
      // Offline for the moment: the next minute tries again.
    }
    later(60);
  }
  later(Number(box.getAttribute("data-next")) || 60);
})();
