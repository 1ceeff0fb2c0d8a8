// Small DOM helpers shared by both apps: elements by id, the status line, and the error list
// (every error shows its code and correlation id, the two things a bug report needs).
import { BabelcastError, HttpError, WebSocketError } from "@babelcast/web-client";

export function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the page`);
  return found as T;
}

export function show(id: string, visible: boolean): void {
  element(id).hidden = !visible;
}

/** The connection/session state, for people (text) and for tests (data-state). */
export function setState(state: string, text: string): void {
  const status = element("state");
  status.dataset.state = state;
  status.textContent = text;
}

export interface ShownError {
  code: string;
  message: string;
  correlationId?: string | undefined;
}

export function describeError(error: unknown): ShownError {
  if (error instanceof HttpError)
    return { code: error.code || error.kind, message: error.userMessage, correlationId: error.correlationId };
  if (error instanceof WebSocketError)
    return { code: error.code ?? error.kind, message: error.userMessage, correlationId: error.correlationId };
  if (error instanceof BabelcastError)
    return { code: error.kind, message: error.userMessage, correlationId: error.correlationId };
  return { code: "APP_ERROR", message: error instanceof Error ? error.message : String(error) };
}

/** An `error` message from the server: its code, and its requestId as the correlation id. */
export function serverError(message: { code: string; message: string; requestId?: string }): ShownError {
  return { code: message.code, message: message.message, correlationId: message.requestId };
}

export function showError(error: unknown | ShownError): void {
  const shown = isShown(error) ? error : describeError(error);
  const item = document.createElement("li");
  item.dataset.code = shown.code;
  const code = document.createElement("strong");
  code.textContent = shown.code;
  item.append(code, ` ${shown.message}`);
  if (shown.correlationId) {
    const id = document.createElement("code");
    id.textContent = shown.correlationId;
    item.append(" (correlation id ", id, ")");
  }
  const list = element("errors");
  list.prepend(item);
  while (list.children.length > 20) list.lastElementChild?.remove();
  show("errors-panel", true);
}

function isShown(value: unknown): value is ShownError {
  return (
    typeof value === "object" && value !== null && "code" in value && "message" in value && !(value instanceof Error)
  );
}

export function fillLanguages(select: HTMLSelectElement, languages: readonly string[], selected: string): void {
  const names = new Intl.DisplayNames(["en"], { type: "language" });
  for (const code of languages) {
    const option = new Option(`${names.of(code) ?? code} (${code})`, code, false, code === selected);
    select.add(option);
  }
}
