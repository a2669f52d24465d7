// The review pack's "Print / save as PDF" button (no inline script: the CSP forbids it).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });
});
