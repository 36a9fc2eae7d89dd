// Small progressive enhancements; every page works without this file.
document.addEventListener("click", (event) => {
  const target = event.target.closest("[data-confirm]");
  if (target && !window.confirm(target.dataset.confirm)) {
    event.preventDefault();
  }
});
document.addEventListener("htmx:responseError", (event) => {
  const box = document.querySelector("#htmx-error");
  if (box) {
    box.textContent = "Something went wrong (" + event.detail.xhr.status + "). Reload the page and try again.";
    box.hidden = false;
  }
});
