// People autocomplete for every <input data-people-url>: GET /tickets/people/?q=&role=
// fills a <datalist> with user names (labelled with full names). Typing a user name by
// hand works without it. Inputs may name their own list (list="..."); others get one.
// Words in data-people-keywords (e.g. "me none") are filter keywords, not look-ups.
let listCount = 0;

function listFor(input) {
  const named = input.getAttribute("list") && document.getElementById(input.getAttribute("list"));
  if (named) return named;
  const list = document.createElement("datalist");
  list.id = `people-options-${++listCount}`;
  input.after(list);
  input.setAttribute("list", list.id);
  return list;
}

function attach(input) {
  const list = listFor(input);
  const keywords = (input.dataset.peopleKeywords || "").split(/\s+/).filter(Boolean);
  let timer = 0;
  let controller = null;
  let lastQuery = null;
  const lookUp = () => {
    window.clearTimeout(timer);
    const query = input.value.trim();
    if (query === lastQuery || keywords.includes(query.toLowerCase())) return;
    timer = window.setTimeout(async () => {
      lastQuery = query;
      controller?.abort();
      controller = new AbortController();
      const url = new URL(input.dataset.peopleUrl, window.location.href);
      url.searchParams.set("q", query);
      url.searchParams.set("role", input.dataset.peopleRole || "any");
      try {
        const response = await fetch(url, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
          signal: controller.signal,
        });
        if (!response.ok) return;
        const data = await response.json();
        list.replaceChildren(
          ...(data.results || []).map((person) => {
            const option = document.createElement("option");
            option.value = person.username;
            option.label = person.name && person.name !== person.username ? person.name : "";
            return option;
          }),
        );
      } catch {
        // Typing on aborts the previous look-up; a failed one just offers nothing.
      }
    }, 200);
  };
  input.addEventListener("input", lookUp);
  input.addEventListener("focus", lookUp, { once: true });
}

document.querySelectorAll("input[data-people-url]").forEach(attach);
