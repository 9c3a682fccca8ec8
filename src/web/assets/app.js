// The only script: pre-fills a time zone from the browser where the page asks for it
// (data-browser-tz). Every form works without it.
(() => {
  let zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    return;
  }
  if (!zone) return;
  for (const input of document.querySelectorAll('input[data-browser-tz]')) input.value = zone;
  for (const select of document.querySelectorAll('select[data-browser-tz]')) {
    if (![...select.options].some((option) => option.value === zone)) continue;
    select.value = zone;
    const note = document.getElementById(select.dataset.browserTz);
    if (note) note.hidden = false;
  }
})();
