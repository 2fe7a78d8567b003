// What the page scripts share: the translated-message formatter, the site's URLs as the
// server gives them, and requests that carry Django's CSRF token.

/** Fills "{name}" placeholders of a translated message; unknown ones stay as they are. */
export function format(template, values = {}) {
  return (template || "").replace(/\{(\w+)\}/g, (match, name) =>
    name in values ? String(values[name]) : match,
  );
}

/** A URL rendered by `{% url ... pk=0 %}` (".../0/..."), for another id. */
export function urlWithId(template, id) {
  return template.replace(/\/0\/(?=[^/]*\/?$)/, `/${Number(id)}/`);
}

let scriptUrls = null;

/** A URL of this site by name, from the server's JSON block (#script-urls); "" if none. */
export function siteUrl(name) {
  if (scriptUrls === null) {
    try {
      scriptUrls = JSON.parse(document.getElementById("script-urls")?.textContent || "{}");
    } catch {
      scriptUrls = {};
    }
  }
  return typeof scriptUrls?.[name] === "string" ? scriptUrls[name] : "";
}

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

/** A POST to this site: `json` is sent as JSON, `form` as a form. Resolves to the response
 * and its JSON body (null when it has none), whatever the status; rejects only when the
 * request did not get through. */
export async function post(url, { json, form, keepalive = false } = {}) {
  const headers = {
    Accept: "application/json",
    "X-CSRFToken": csrfToken(),
    "X-Requested-With": "fetch",
  };
  if (json !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    keepalive,
    headers,
    body: json !== undefined ? JSON.stringify(json) : new URLSearchParams(form || {}),
  });
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  return { response, body };
}

/** The body of a successful answer; otherwise an Error with the server's `detail` (in the
 * reader's language) or the status. */
async function bodyOrError(url, options) {
  const { response, body } = await post(url, options);
  if (!response.ok) {
    throw new Error(
      typeof body?.detail === "string" ? body.detail : `${url} answered ${response.status}`,
    );
  }
  return body;
}

export function postForm(url, data, { keepalive = false } = {}) {
  return bodyOrError(url, { form: data, keepalive });
}

export function postJson(url, data) {
  return bodyOrError(url, { json: data });
}
