// Small browser helpers called from Blazor components.
window.portal = {
  getTheme: () => localStorage.getItem("portal-theme"),
  setTheme: (value) => localStorage.setItem("portal-theme", value),
  copyText: (text) => navigator.clipboard.writeText(text),
  download: (fileName, contentType, base64) => {
    const link = document.createElement("a");
    link.href = `data:${contentType};base64,${base64}`;
    link.download = fileName;
    document.body.appendChild(link);
    link.click();
    link.remove();
  },
};

// The skip link moves keyboard focus into the page's main content. Handled here (capture phase, before Blazor's own
// link handling) because Blazor would treat it as a navigation and only scroll, leaving focus in the app bar.
document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("a.skip-link") : null;
  const main = link ? document.getElementById("main-content") : null;
  if (main) {
    event.preventDefault();
    event.stopPropagation();
    main.focus();
    main.scrollIntoView();
  }
}, true);
