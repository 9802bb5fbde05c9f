// Print buttons on the roster and letter pages (no inline script: the CSP forbids it).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    event.preventDefault();
    window.print();
  }
});

// Forms that change someone's slot ask once before they are sent.
document.addEventListener("submit", (event) => {
  const question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// Copy buttons beside read-only code (the centre's programme on its own website): shown only
// where the browser can copy; without them, the code is selected and copied by hand.
if (navigator.clipboard) {
  document.querySelectorAll("[data-copy]").forEach((button) => { button.hidden = false; });
}
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) {
    return;
  }
  const source = document.getElementById(button.getAttribute("data-copy"));
  source.select();
  navigator.clipboard.writeText(source.value).then(() => {
    button.setAttribute("aria-live", "polite");
    button.textContent = button.getAttribute("data-copied") || button.textContent;
  });
});
