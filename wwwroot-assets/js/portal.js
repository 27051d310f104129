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
